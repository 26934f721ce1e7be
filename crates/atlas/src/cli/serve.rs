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

/// How long and how many connections a client may hold (连接限制); see
/// `crate::server::Limits`. Durations in seconds.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Seconds a client has to send a request's headers (also the wait for the next request of a kept-alive connection).
    #[arg(long, env = "ATLAS_HEADER_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds from a request's headers to its response (reading the body, the handler): past it, 408.
    #[arg(long, env = "ATLAS_REQUEST_TIMEOUT", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Seconds an upload may stall before it is dropped (nothing written).
    #[arg(long, env = "ATLAS_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Seconds a connection with no request in progress may stay silent before it is closed.
    #[arg(long, env = "ATLAS_IDLE_TIMEOUT", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Open connections at most (keep it well under the process's file limit, `ulimit -n`).
    #[arg(long, env = "ATLAS_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl LimitArgs {
    fn limits(&self) -> crate::server::Limits {
        use std::time::Duration;
        crate::server::Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
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
pub fn run(
    db: &Path,
    addr: std::net::SocketAddr,
    basemap: &BasemapArgs,
    limits: &LimitArgs,
) -> Result<ExitCode> {
    malloc::settle();
    let basemap = crate::server::assets::Basemap::from_flags(
        basemap.basemap == BasemapArg::Tianditu,
        basemap.tianditu_key.as_deref(),
        basemap.basemap_url.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let config = crate::server::ServerConfig {
        basemap,
        limits: limits.limits(),
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
        .on_thread_start(priority::for_runtime_threads())
        .build()
        .context("starting the runtime")?;
    rt.block_on(crate::server::serve(db, addr, config))?;
    Ok(ExitCode::SUCCESS)
}

/// CPU priority: the runtime's threads (requests, reads, exports) run [`READS_NICE`] steps
/// below the process; the writer's thread, started by the main thread with the database
/// (`server::db`), keeps the process's priority, as do the list index's first build and the
/// checkpointer. On a small machine a read load can keep every core busy, and a save then
/// waited its turn behind the reads (BENCHMARKS.md, "Reads during writes"); a save is a small
/// share of the work, so the reads hardly slow for it.
///
/// [`READS_NICE`]: priority::READS_NICE
mod priority {
    /// How much lower (in `nice` steps) the runtime's threads run.
    pub(super) const READS_NICE: i32 = 10;

    /// What each thread of the runtime runs when it starts: it sets its own priority to
    /// [`READS_NICE`] below the calling thread's (Linux keeps one per thread). The value is
    /// set, not added: tokio starts its blocking threads from threads already lowered.
    #[cfg(target_os = "linux")]
    pub(super) fn for_runtime_threads() -> impl Fn() + Send + Sync + 'static {
        use rustix::process::{getpriority_process, setpriority_process};
        let base = getpriority_process(None).ok();
        move || {
            if let Some(base) = base {
                // A refusal leaves the thread as it is.
                let _ = setpriority_process(None, base.saturating_add(READS_NICE));
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn for_runtime_threads() -> impl Fn() + Send + Sync + 'static {
        || {}
    }
}

/// The C allocator's settings for a long-running server. glibc's defaults (an arena per thread,
/// up to 8 per core, and a threshold for `mmap` that rises as large blocks are freed) let a
/// server with many short-lived blocking threads keep freed memory it never uses again: under a
/// steady read and write load RssAnon grows far past what the data needs (BENCHMARKS.md,
/// "Reads during writes"). Two arenas and a fixed 1 MiB `mmap` threshold (large buffers — list
/// pages, exports — go back to the system when freed) hold it flat.
///
/// glibc reads these only when a process starts, and setting them in-process would need
/// `unsafe` (`mallopt`): so `serve` starts itself again once with `GLIBC_TUNABLES` set — same
/// process id, arguments and environment otherwise. Nothing happens when the environment
/// already says how (`GLIBC_TUNABLES`, `MALLOC_ARENA_MAX`), off glibc, or when the executable
/// cannot be started again (the server then runs with the defaults, and says so).
mod malloc {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub(super) fn settle() {
        use std::os::unix::process::CommandExt as _;
        /// The settings, in glibc's tunables syntax.
        const TUNABLES: &str = "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=1048576";
        if ["GLIBC_TUNABLES", "MALLOC_ARENA_MAX"]
            .iter()
            .any(|v| std::env::var_os(v).is_some())
        {
            return;
        }
        let mut args = std::env::args_os();
        let (Some(arg0), Ok(exe)) = (args.next(), std::env::current_exe()) else {
            return;
        };
        // `exec` returns only when it failed.
        let e = std::process::Command::new(exe)
            .arg0(arg0)
            .args(args)
            .env("GLIBC_TUNABLES", TUNABLES)
            .exec();
        eprintln!("atlas serve: could not restart with the allocator settings ({e}); running with glibc's defaults");
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub(super) fn settle() {}
}
