//! `atlas list`: the filtered sites as an aligned table (CJK-width aware).

use super::{open_existing, FilterArgs};
use anyhow::Result;
use atlas_core::{ChainRef, Labelled};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use std::path::Path;
use std::process::ExitCode;

/// Prints the sites `args` filter (with `unlocated`, the worklist of sites to locate).
pub fn run(db: &Path, args: &FilterArgs, unlocated: bool) -> Result<ExitCode> {
    let store = open_existing(db)?;
    let mut filter = args.to_filter()?;
    if unlocated {
        filter.located = Some(false);
    }
    store.validate_filter(&filter)?;
    let total = store.count(&filter)?;
    let sites = store.query(&filter)?;
    let reference = store.reference()?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "编号 id",
            "名称 name",
            "类别 category",
            "类型 kind",
            "产业链 chains",
            "镇街 town",
            "定位 precision",
        ]);
    for s in &sites {
        let town = s
            .town_code
            .as_ref()
            .and_then(|t| reference.divisions.iter().find(|d| &d.code == t))
            .map(|d| d.name_zh.clone())
            .unwrap_or_default();
        let mut precision = s.location.precision.zh().to_string();
        if s.outside_district {
            precision.push_str(" · 区外");
        }
        table.add_row(vec![
            s.id.to_string(),
            s.name_zh.clone(),
            s.category.zh().to_string(),
            s.kind.zh().to_string(),
            ChainRef::format_list(&s.chains),
            town,
            precision,
        ]);
    }
    println!("{table}");
    println!("{} / {} 个站点 sites", sites.len(), total);
    if unlocated {
        let all = store.count(&atlas_core::SiteFilter::default())?;
        println!("已定位 located {} / {all}", all - total);
    }
    Ok(ExitCode::SUCCESS)
}
