//! Command-line interface: one file per command (`init`, `import`, `export`, `list`, `locate`, `check`,
//! `chain-report`, `import-chains`, `import-indicators`, `user`, `history`, `backup`,
//! `restore`, `publish`, `serve`), each with its arguments and its `run`; [`args`] holds the argument
//! types several commands share. The CLI never reaches into the server: `atlas serve`
//! ([`serve`]) starts it through `crate::server::serve`, and `atlas publish` ([`publish`]) has
//! the API's public GETs answered through `crate::server::snapshot::render`.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub mod args;
mod backup;
mod chain_report;
mod check;
mod export;
mod history;
mod import;
mod import_chains;
mod import_indicators;
mod init;
mod list;
mod locate;
mod publish;
mod restore;
mod serve;
mod user;

pub use args::FilterArgs;

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
    Import(import::ImportArgs),
    /// Export the sites matching a filter (按筛选条件导出).
    Export(export::ExportArgs),
    /// List the sites matching a filter as a table (列出站点).
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// The editors' worklist: sites with no location or only a township- or district-level
        /// one, most important first (= --located false) (待定位).
        #[arg(long, conflicts_with = "located")]
        unlocated: bool,
    },
    /// Place sites without a location at their township seat from their address (按地址定位到镇街).
    Locate(locate::LocateArgs),
    /// Check the dataset's health: duplicates, sites outside the district, sources, precision (数据体检).
    Check,
    /// Gap analysis of one industry chain as a workbook or CSV (产业链分析报告).
    ChainReport(chain_report::ChainReportArgs),
    /// Replace the chains and links with a chains CSV (columns of data/chains.csv) (导入产业链).
    ImportChains(import_chains::ImportChainsArgs),
    /// Replace the plan's indicators with an indicators CSV (columns of data/indicators.csv) (导入规划指标).
    ImportIndicators(import_indicators::ImportIndicatorsArgs),
    /// Manage who may write through the API: add (prints the token once), list, revoke (用户与令牌).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
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
    /// Publish the map as a static site any web server can host (发布静态地图网站).
    Publish(publish::PublishArgs),
    /// Serve the map and the API; a missing or empty database gets the default dataset (启动地图服务).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ATLAS_ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        basemap: serve::BasemapArgs,
        #[command(flatten)]
        limits: serve::LimitArgs,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let db = cli.db.clone();
    dispatch(cli).map_err(|e| name_damaged_file(e, &db))
}

/// A damaged database met after opening it (SQLite says so only when it reads a bad page):
/// the message names the file, as one met when opening it does.
fn name_damaged_file(e: anyhow::Error, db: &Path) -> anyhow::Error {
    use atlas_store::{ErrorKind, StoreError};
    let unnamed = e.chain().any(|c| {
        c.downcast_ref::<StoreError>().is_some_and(|s| {
            s.kind() == ErrorKind::Corrupt && !matches!(s, StoreError::Corrupt { .. })
        })
    });
    if unnamed {
        e.context(db.display().to_string())
    } else {
        e
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init { force } => init::run(&cli.db, force),
        Command::Import(args) => import::run(&cli.db, &args),
        Command::Export(args) => export::run(&cli.db, &args),
        Command::Publish(args) => publish::run(&cli.db, &args),
        Command::List { filter, unlocated } => list::run(&cli.db, &filter, unlocated),
        Command::Locate(args) => locate::run(&cli.db, &args),
        Command::Check => check::run(&cli.db),
        Command::ChainReport(args) => chain_report::run(&cli.db, &args),
        Command::ImportChains(args) => import_chains::run(&cli.db, &args),
        Command::ImportIndicators(args) => import_indicators::run(&cli.db, &args),
        Command::User { command } => user::run(&cli.db, &command),
        Command::History { id } => history::run(&cli.db, &id),
        Command::Backup { file, force } => backup::run(&cli.db, &file, force),
        Command::Restore { file } => restore::run(&cli.db, &file),
        Command::Serve {
            addr,
            basemap,
            limits,
        } => serve::run(&cli.db, addr, &basemap, &limits),
    }
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
pub fn open_existing(db: &Path) -> Result<atlas_store::Store> {
    if !db.exists() {
        bail!(
            "{} does not exist; run `atlas init` first (数据库不存在，请先运行 atlas init)",
            db.display()
        );
    }
    let mut store = atlas_store::Store::open(db).map_err(|e| match e.kind() {
        // Its message names the file already.
        atlas_store::ErrorKind::Corrupt => anyhow::Error::from(e),
        _ => anyhow::Error::from(e).context(format!("opening {}", db.display())),
    })?;
    store.set_clock(crate::app::clock::current());
    Ok(store)
}

/// Reads `file` as UTF-8 text; returns its display name too.
pub fn read_utf8(file: &Path, what: &str) -> Result<(String, String)> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{name}: the {what} file must be UTF-8 (须为 UTF-8)"))?;
    Ok((name, text))
}
