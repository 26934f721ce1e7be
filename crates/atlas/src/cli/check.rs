//! `atlas check`: dataset health — duplicate names, sites outside the district, missing sources,
//! how precisely the sites are placed, and records not verified within a year.

use anyhow::Result;
use atlas_core::freshness;
use atlas_core::{Labelled, LocationPrecision, Scope, Site, SiteFilter};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// Findings of a health check.
#[derive(Debug, Default)]
pub struct Health {
    /// Names used by more than one site, with their ids.
    pub duplicate_names: Vec<(String, Vec<String>)>,
    /// Local sites whose marker lies outside the district.
    pub local_outside: Vec<String>,
    /// Partner sites outside the district (expected).
    pub partners_outside: usize,
    /// Partner sites drawn inside the district (a partner is elsewhere: check their points).
    pub partners_inside: Vec<String>,
    /// Sites without a quote from their source.
    pub missing_quote: Vec<String>,
    /// Sites with a precise location but no location source.
    pub missing_location_source: Vec<String>,
    /// Sites per precision.
    pub precision: BTreeMap<LocationPrecision, usize>,
    /// Total sites.
    pub total: usize,
}

/// Sites not verified within `days` of `today` (never verified ones first, then the oldest):
/// `(id, name, verified_at)`.
pub fn stale(
    sites: &[Site],
    today: chrono::NaiveDate,
    days: i64,
) -> Vec<(String, String, Option<chrono::NaiveDate>)> {
    let mut out: Vec<(String, String, Option<chrono::NaiveDate>)> = sites
        .iter()
        .filter(|s| freshness::is_stale(s, today, days))
        .map(|s| (s.id.to_string(), s.name_zh.clone(), s.verified_at))
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Computes the findings for a list of sites.
pub fn health(sites: &[Site]) -> Health {
    let mut h = Health {
        total: sites.len(),
        ..Default::default()
    };
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in sites {
        let key: String = s.name_zh.chars().filter(|c| !c.is_whitespace()).collect();
        by_name.entry(key).or_default().push(s.id.to_string());
        match (s.scope, s.outside_district) {
            (Scope::Partner, true) => h.partners_outside += 1,
            (Scope::Partner, false) if s.location.precision.is_located() => {
                h.partners_inside.push(format!("{} {}", s.id, s.name_zh))
            }
            (Scope::Local, true) => h.local_outside.push(format!("{} {}", s.id, s.name_zh)),
            _ => {}
        }
        if s.source_quote.is_none() {
            h.missing_quote.push(s.id.to_string());
        }
        if s.location.precision.is_located()
            && !s.location.precision.is_approximate()
            && s.location.source.is_none()
        {
            h.missing_location_source.push(s.id.to_string());
        }
        *h.precision.entry(s.location.precision).or_default() += 1;
    }
    h.duplicate_names = by_name
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    h
}

/// How many sites are placed exactly, at township level, or not at all.
fn print_located(h: &Health) {
    let n = |p: LocationPrecision| h.precision.get(&p).copied().unwrap_or(0);
    let unknown = n(LocationPrecision::Unknown);
    let approximate = n(LocationPrecision::Town) + n(LocationPrecision::District);
    println!(
        "\n定位 location: 已定位 located {} / {}, 镇街级（近似）township-level {approximate}, \
         位置待定 unknown {unknown}",
        h.total - unknown - approximate,
        h.total
    );
}

pub fn run(db: &Path) -> Result<ExitCode> {
    let store = super::open_existing(db)?;
    let sites = store.query(&SiteFilter::default())?;
    let h = health(&sites);
    println!("数据体检 dataset check: {} 个站点 sites", h.total);
    println!("\n重名 duplicate names: {}", h.duplicate_names.len());
    for (name, ids) in &h.duplicate_names {
        println!("  {name}: {}", ids.join(", "));
    }
    println!(
        "\n区外站点 outside the district: {} 区内单位 local, {} 区外合作单位 partners (expected)",
        h.local_outside.len(),
        h.partners_outside
    );
    for s in &h.local_outside {
        println!("  {s}");
    }
    println!(
        "区外合作单位却在区内 partners drawn inside the district: {}",
        h.partners_inside.len()
    );
    for s in &h.partners_inside {
        println!("  {s}");
    }
    print_located(&h);
    println!("\n缺少原文摘录 no source quote: {}", h.missing_quote.len());
    for s in &h.missing_quote {
        println!("  {s}");
    }
    println!(
        "\n精确位置缺少来源 precise location without a source: {}",
        h.missing_location_source.len()
    );
    for s in &h.missing_location_source {
        println!("  {s}");
    }
    println!("\n定位精度 location precision:");
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["定位精度 precision", "站点 sites", "%", ""]);
    for p in LocationPrecision::ALL {
        let n = h.precision.get(p).copied().unwrap_or(0);
        let pct = if h.total > 0 {
            100.0 * n as f64 / h.total as f64
        } else {
            0.0
        };
        let note = if !p.is_located() {
            "不绘制 not drawn"
        } else if p.is_approximate() {
            "近似 approximate"
        } else {
            ""
        };
        table.add_row(vec![
            format!("{} {}", p.zh(), p.id()),
            n.to_string(),
            format!("{pct:.1}"),
            note.to_string(),
        ]);
    }
    println!("{table}");
    let old = stale(
        &sites,
        crate::app::clock::current().today(),
        freshness::DEFAULT_DAYS,
    );
    println!(
        "\n一年内未核实 not verified within a year: {} (核实 verify: POST /api/v1/sites/{{id}}/verify)",
        old.len()
    );
    for (id, name, verified) in &old {
        let when = verified
            .map(|d| format!("核实于 verified {d}"))
            .unwrap_or_else(|| "从未核实 never verified".into());
        println!("  {id} {name} ({when})");
    }
    Ok(ExitCode::SUCCESS)
}
