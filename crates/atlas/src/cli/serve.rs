//! `atlas serve`: the map page and the API. The one place the command line starts the server.

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use std::path::Path;
use std::process::ExitCode;

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

/// Starts the map server on `addr` until Ctrl-C or SIGTERM.
pub fn run(db: &Path, addr: std::net::SocketAddr, basemap: &BasemapArgs) -> Result<ExitCode> {
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
    rt.block_on(crate::server::serve(db, addr, config))?;
    Ok(ExitCode::SUCCESS)
}
