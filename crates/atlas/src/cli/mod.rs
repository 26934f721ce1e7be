//! Command-line interface: `atlas init | import | export | list | check | serve | chain-report |
//! import-chains | user | history | backup | restore`.

use anyhow::{bail, Context as _, Result};
use atlas_core::SiteFilter;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

pub mod backup;
pub mod chains;
pub mod check;
pub mod export;
mod history;
mod import;
mod list;
mod users;

/// Innovation Atlas (创新资源布局图): the Maonan District innovation-resource catalogue and map.
#[derive(Debug, Parser)]
#[command(name = "atlas", version, about, long_about = None)]
pub struct Cli {
    /// SQLite database file (数据库文件).
    #[arg(long, global = true, env = "ATLAS_DB", default_value = "atlas.db")]
    pub db: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a database holding the default Maonan dataset (创建数据库并载入默认数据).
    Init {
        /// Overwrite an existing database file.
        #[arg(long)]
        force: bool,
    },
    /// Validate and import a CSV, XLSX or GeoJSON file of sites (导入站点表格).
    Import(ImportArgs),
    /// Export the sites matching a filter (按筛选条件导出).
    Export(ExportArgs),
    /// List the sites matching a filter as a table (列出站点).
    List {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Check the dataset's health: duplicates, sites outside the district, sources, precision (数据体检).
    Check,
    /// Gap analysis of one industry chain as a workbook or CSV (产业链分析报告).
    ChainReport(ChainReportArgs),
    /// Replace the chains and links with a chains CSV (columns of data/chains.csv) (导入产业链).
    ImportChains(ImportChainsArgs),
    /// Replace the plan's indicators with an indicators CSV (columns of data/indicators.csv) (导入规划指标).
    ImportIndicators(ImportChainsArgs),
    /// Manage who may write through the API: add (prints the token once), list, revoke (用户与令牌).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the revisions of a site, newest first (修改历史).
    History {
        /// Site id, e.g. gdupt.
        id: String,
    },
    /// Copy the database to FILE, consistently, also while a server writes (在线备份).
    Backup {
        /// The backup file to write.
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the database with a backup FILE; the current one is kept as
    /// DB.before-restore-TIMESTAMP (从备份恢复).
    Restore {
        /// A backup made by `atlas backup` (or any atlas database).
        file: PathBuf,
    },
    /// Serve the map and the API; a missing or empty database gets the default dataset (启动地图服务).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ATLAS_ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        basemap: BasemapArgs,
    },
}

/// `atlas user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints their token once (only a hash is stored).
    Add {
        /// 1–40 ASCII letters, digits, '_' or '-' (e.g. zhang_san).
        name: String,
        /// What the user may do.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List users: name, role, created, revoked (never tokens or hashes).
    List,
    /// Revoke a user's token (at once, also for a running server).
    Revoke {
        /// User name.
        name: String,
    },
}

/// `--role` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Creates, changes, deletes, restores, reverts, verifies and imports sites.
    Editor,
    /// An editor who also manages users and chains.
    Admin,
}

/// The map page's base map: offline (the project's own data) unless one is chosen here.
#[derive(Debug, Clone, Default, Args)]
pub struct BasemapArgs {
    /// Online base map under the sites (在线底图): `tianditu` (天地图, needs --tianditu-key) or `offline`.
    #[arg(long, value_enum, env = "ATLAS_BASEMAP", default_value = "offline")]
    pub basemap: BasemapArg,
    /// Tianditu key (天地图密钥 tk).
    #[arg(long, env = "ATLAS_TIANDITU_KEY", hide_env_values = true)]
    pub tianditu_key: Option<String>,
    /// Any XYZ raster tile URL template ({z}/{x}/{y}) or MapLibre style URL as the base map.
    #[arg(long, env = "ATLAS_BASEMAP_URL")]
    pub basemap_url: Option<String>,
}

/// `--basemap` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum BasemapArg {
    /// No online base map: nothing leaves the server's origin.
    #[default]
    Offline,
    /// Tianditu (天地图) vec_w + cva_w.
    Tianditu,
}

/// Filter flags, named like the API's query parameters (brief §5). Comma lists mean "any of".
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// innovation_resource, carrier_platform, key_enterprise (or 创新资源, 载体平台, 重点企业).
    #[arg(long)]
    pub category: Option<String>,
    /// Kind, e.g. incubator,industrial_park.
    #[arg(long)]
    pub kind: Option<String>,
    /// Industry chain id, e.g. petrochemical.
    #[arg(long)]
    pub chain: Option<String>,
    /// Chain link id, e.g. petrochemical.fine_chemicals.
    #[arg(long)]
    pub link: Option<String>,
    /// national, provincial, municipal, district, none.
    #[arg(long)]
    pub level: Option<String>,
    /// operating, under_construction, planned.
    #[arg(long)]
    pub status: Option<String>,
    /// local, partner.
    #[arg(long)]
    pub scope: Option<String>,
    /// Township code(s), e.g. 440902100.
    #[arg(long)]
    pub town: Option<String>,
    /// minLon,minLat,maxLon,maxLat (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Full-text search, Chinese or English (全文检索), e.g. 石化.
    #[arg(long)]
    pub q: Option<String>,
    /// At most this many sites.
    #[arg(long)]
    pub limit: Option<String>,
    /// Skip this many sites.
    #[arg(long)]
    pub offset: Option<String>,
}

impl FilterArgs {
    /// Builds the shared `SiteFilter`, with the same parsing and messages as the API.
    pub fn to_filter(&self) -> Result<SiteFilter> {
        let mut f = SiteFilter::default();
        let pairs = [
            ("category", &self.category),
            ("kind", &self.kind),
            ("chain", &self.chain),
            ("link", &self.link),
            ("level", &self.level),
            ("status", &self.status),
            ("scope", &self.scope),
            ("town", &self.town),
            ("bbox", &self.bbox),
            ("q", &self.q),
            ("limit", &self.limit),
            ("offset", &self.offset),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                f.apply(k, v)
                    .map_err(|e| anyhow::anyhow!("--{}: {}", e.param, e.message))?;
            }
        }
        Ok(f)
    }
}

/// CRS of an input file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CrsArg {
    /// WGS84 (GPS, OpenStreetMap).
    Wgs84,
    /// CGCS2000 (Tianditu); the same as WGS84 at map scale.
    Cgcs2000,
    /// GCJ-02 (Amap/高德, Tencent).
    Gcj02,
    /// BD-09 (Baidu/百度).
    Bd09,
}

impl From<CrsArg> for atlas_core::Crs {
    fn from(c: CrsArg) -> Self {
        match c {
            CrsArg::Wgs84 => atlas_core::Crs::Wgs84,
            CrsArg::Cgcs2000 => atlas_core::Crs::Cgcs2000,
            CrsArg::Gcj02 => atlas_core::Crs::Gcj02,
            CrsArg::Bd09 => atlas_core::Crs::Bd09,
        }
    }
}

/// `atlas import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV (UTF-8 or GBK), XLSX or GeoJSON file.
    pub file: PathBuf,
    /// CRS of rows whose `crs` (坐标系) cell is empty; default wgs84.
    #[arg(long, value_enum)]
    pub crs: Option<CrsArg>,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows and skip the invalid ones (otherwise any invalid row aborts the import).
    #[arg(long)]
    pub skip_invalid: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Excel workbook.
    Xlsx,
    /// CSV, UTF-8 with BOM.
    Csv,
    /// GeoJSON FeatureCollection (RFC 7946).
    Geojson,
    /// KML 2.2 (Google Earth).
    Kml,
}

/// Header language of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Chinese headers and labels.
    Zh,
    /// English keys and identifiers.
    En,
}

/// `atlas export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: FormatArg,
    /// Output file; `-` writes to standard output. Default: a name saying what and when.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Header language (CSV/XLSX).
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// Excel workbook: summary, one sheet per link, about.
    Xlsx,
    /// The summary as CSV, UTF-8 with BOM.
    Csv,
}

/// `atlas chain-report`.
#[derive(Debug, Args)]
pub struct ChainReportArgs {
    /// Chain id, e.g. petrochemical (see `atlas list` or /api/v1/chains).
    pub chain: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ReportFormatArg,
    /// Output file; `-` writes to standard output. Default: a name saying which chain and when.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// A link with fewer key enterprises than this (and at least one) is weak (≥ 1).
    #[arg(long, default_value = "2")]
    pub weak_below: String,
}

/// `atlas import-chains` and `atlas import-indicators`.
#[derive(Debug, Args)]
pub struct ImportChainsArgs {
    /// CSV with the columns of data/chains.csv (chain_id, chain_order, chain_name_zh,
    /// chain_name_en, link_id, link_order, link_name_zh, link_name_en, link_description_zh,
    /// source), or of data/indicators.csv for import-indicators; UTF-8.
    pub file: PathBuf,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init { force } => init(&cli.db, force),
        Command::Import(args) => import::run(&cli.db, &args),
        Command::Export(args) => export::run(&cli.db, &args),
        Command::List { filter } => list::run(&cli.db, &filter),
        Command::Check => check::run(&cli.db),
        Command::ChainReport(args) => chains::report(&cli.db, &args),
        Command::ImportChains(args) => chains::import(&cli.db, &args),
        Command::ImportIndicators(args) => chains::import_indicators(&cli.db, &args),
        Command::User { command } => users::run(&cli.db, &command),
        Command::History { id } => history::run(&cli.db, &id),
        Command::Backup { file, force } => backup::backup(&cli.db, &file, force),
        Command::Restore { file } => backup::restore(&cli.db, &file),
        Command::Serve { addr, basemap } => serve(&cli.db, addr, &basemap),
    }
}

fn init(db: &std::path::Path, force: bool) -> Result<ExitCode> {
    if db.exists() {
        if !force {
            bail!(
                "{} already exists; use --force to replace it (数据库已存在，使用 --force 覆盖)",
                db.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    }
    let mut store =
        atlas_store::Store::open(db).with_context(|| format!("creating {}", db.display()))?;
    let report = store
        .load_default(crate::app::clock::current().today())
        .context("loading the default dataset")?;
    println!(
        "已创建 created {}: {} 个站点 sites (默认数据集：茂南区 default Maonan dataset)",
        db.display(),
        report.inserted + report.updated + report.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

/// Who the command line writes as in revisions: `cli:$USER`, or `cli`.
pub fn cli_who() -> String {
    std::env::var("USER")
        .ok()
        .map(|u| {
            u.chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect::<String>()
        })
        .filter(|u| !u.trim().is_empty())
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|| "cli".into())
}

/// Opens an existing database (never creates one silently for read commands).
pub fn open_existing(db: &std::path::Path) -> Result<atlas_store::Store> {
    if !db.exists() {
        bail!(
            "{} does not exist; run `atlas init` first (数据库不存在，请先运行 atlas init)",
            db.display()
        );
    }
    atlas_store::Store::open(db).with_context(|| format!("opening {}", db.display()))
}

fn serve(
    db: &std::path::Path,
    addr: std::net::SocketAddr,
    basemap: &BasemapArgs,
) -> Result<ExitCode> {
    let basemap = crate::server::assets::Basemap::from_flags(
        basemap.basemap == BasemapArg::Tianditu,
        basemap.tianditu_key.as_deref(),
        basemap.basemap_url.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let config = crate::server::ServerConfig {
        basemap,
        ..Default::default()
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(crate::server::serve(db, addr, crate::app::clock::current().today(), config))?;
    Ok(ExitCode::SUCCESS)
}
