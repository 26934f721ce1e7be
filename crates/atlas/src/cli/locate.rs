//! `atlas locate --from-address [--dry-run]`: places the stored sites that have no location at
//! their township's seat when their address names the township (or a village or community under
//! exactly one township), by the same rules as an import. One transaction, one revision a site;
//! nothing is guessed below township level.

use anyhow::{bail, Context as _, Result};
use atlas_core::edit::apply_patch;
use atlas_core::places::Placement;
use atlas_core::{LocationPrecision, Scope, Site, SiteFilter};
use clap::Args;
use std::path::Path;
use std::process::ExitCode;

/// `atlas locate`.
#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Place sites without a location by the township their address names.
    #[arg(long)]
    pub from_address: bool,
    /// Report what would be placed; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What the gazetteer made of one site's address.
struct Finding {
    id: String,
    name: String,
    outcome: Result<Site, String>,
}

/// Runs `atlas locate`.
pub fn run(db: &Path, args: &LocateArgs) -> Result<ExitCode> {
    if !args.from_address {
        bail!("say how to locate: --from-address (按地址定位到镇街)");
    }
    let mut store = super::open_existing(db)?;
    let reference = store.reference()?;
    let ctx = reference.context(crate::app::clock::current().today());
    let mut findings = Vec::new();
    for site in store.query(&SiteFilter::default())? {
        let Some(address) = site.address.as_deref().filter(|a| !a.trim().is_empty()) else {
            continue;
        };
        if site.location.precision != LocationPrecision::Unknown || site.scope == Scope::Partner {
            continue;
        }
        let outcome = match ctx.places.place(address) {
            Placement::Town { .. } => {
                // Clearing the precision lets the import's rules place the site from its
                // address, exactly as an imported row without coordinates.
                let patch = serde_json::json!({ "properties": { "location_precision": null } });
                apply_patch(&site, &patch, &ctx, "atlas locate")
                    .map_err(|errors| {
                        let why: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
                        why.join("; ")
                    })
                    .and_then(|s| placed_or_reason(s, address))
            }
            Placement::Ambiguous { names, .. } => Err(format!(
                "地址指向多个镇街 names several townships: {}",
                names.join("、")
            )),
            Placement::Elsewhere { name } => {
                Err(format!("地址位于外县区 names another county: {name}"))
            }
            Placement::NotFound => Err("地址未指明镇街 names no township".into()),
        };
        findings.push(Finding {
            id: site.id.to_string(),
            name: site.name_zh.clone(),
            outcome,
        });
    }
    let placed: Vec<Site> = findings
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().cloned())
        .collect();
    print_findings(&findings);
    if !args.dry_run && !placed.is_empty() {
        store
            .import_sites_by(&placed, &super::cli_who(), false)
            .context("writing the placed sites (写入)")?;
    }
    println!(
        "{}: {} 个站点按地址定位到镇街 placed at their township seat, {} 个未定位 not placed{}",
        if args.dry_run {
            "试运行 dry run"
        } else {
            "已定位 located"
        },
        placed.len(),
        findings.len() - placed.len(),
        if args.dry_run {
            "; nothing written"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The site when the rules placed it; why not otherwise (a township without a known seat).
fn placed_or_reason(site: Site, address: &str) -> Result<Site, String> {
    if site.location.precision.is_located() {
        Ok(site)
    } else {
        Err(format!(
            "地址“{address}”所指镇街驻地未知 the township's seat is not known"
        ))
    }
}

fn print_findings(findings: &[Finding]) {
    for f in findings {
        match &f.outcome {
            Ok(site) => println!(
                "  {} {} → {} ({})",
                f.id,
                f.name,
                site.town_code.as_ref().map(|c| c.as_str()).unwrap_or("?"),
                site.location.source.as_deref().unwrap_or("")
            ),
            Err(why) => println!("  {} {} — {why}", f.id, f.name),
        }
    }
}
