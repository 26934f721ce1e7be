//! `atlas history ID`: the revisions of a site as a table, newest first.

use anyhow::{bail, Result};
use atlas_core::edit::changed_columns;
use atlas_core::SiteId;
use std::path::Path;
use std::process::ExitCode;

pub fn run(db: &Path, id: &str) -> Result<ExitCode> {
    let id = SiteId::new(id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = super::open_existing(db)?;
    let revisions = store.history(&id)?;
    if revisions.is_empty() {
        bail!("no site has ever had the id '{id}' (没有该编号的站点)");
    }
    let reference = store.reference()?;
    let ctx = reference.context(crate::app::clock::current().today());
    let state = match store.site_version(&id)? {
        Some(v) => format!("version {v}"),
        None => "已删除 deleted (restore: POST /api/v1/sites/{id}/restore)".to_string(),
    };
    println!(
        "修改历史 history of {id}: {} revision(s), {state}",
        revisions.len()
    );
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec![
            "rev",
            "时间 at (UTC)",
            "修改人 who",
            "操作 action",
            "版本 version",
            "改动 changed",
        ]);
    for r in revisions {
        let changed: Vec<&str> = changed_columns(r.before.as_ref(), r.after.as_ref(), &ctx)
            .into_iter()
            .map(|c| c.key())
            .collect();
        table.add_row(vec![
            r.rev.to_string(),
            r.at,
            r.who,
            r.action.to_string(),
            r.version.map(|v| v.to_string()).unwrap_or_default(),
            changed.join(", "),
        ]);
    }
    println!("{table}");
    Ok(ExitCode::SUCCESS)
}
