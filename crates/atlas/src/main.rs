//! `atlas`: the Innovation Atlas binary (创新资源布局图). Thin edge: parses arguments and hands
//! them to [`atlas::cli::run`]; errors are reported with `anyhow`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = atlas::cli::Cli::parse();
    match atlas::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
