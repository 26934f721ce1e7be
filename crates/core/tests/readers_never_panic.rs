//! Property-style tests with a small deterministic generator (no extra crates): readers and
//! validation never panic on arbitrary input, and arbitrary text survives export → import.

mod common;

use atlas_core::export::{export_sites, ExportFormat};
use atlas_core::import::{parse_sites, read_table, FileFormat};
use atlas_core::record::site_from_row;
use atlas_core::{Column, HeaderLang, RawRow, Site};
use common::*;
use std::collections::HashMap;

/// Knuth's MMIX linear congruential generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ALPHABET: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    " ",
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\n",
    "\"",
    "'",
    ",",
    ";",
    "茂",
    "南",
    "，",
    "；",
    "|",
    "_",
    "&",
    "<",
    ">",
    "😀",
    ".",
    "(",
    ")",
    "#N/A",
    "POLYGON((",
    "110.9",
    "-73.9",
    "carrier_platform",
    "incubator",
    "petrochemical",
    "河西街道",
    "gcj02",
    "building",
    "\u{feff}",
    "\r",
    "\r\n",
    "\u{1}",
    "_x0041_",
];

fn text(r: &mut Lcg, max_parts: usize) -> String {
    let n = r.below(max_parts + 1);
    (0..n).map(|_| *r.pick(ALPHABET)).collect()
}

fn all_readers(bytes: &[u8]) {
    for format in [FileFormat::Csv, FileFormat::Xlsx, FileFormat::GeoJson] {
        let _ = read_table(bytes, format);
        let _ = parse_sites(bytes, format, &ctx(), None);
    }
    let _ = FileFormat::sniff(bytes);
}

#[test]
fn random_bytes_never_make_a_reader_panic() {
    let mut r = Lcg(0x5eed);
    let prefixes: [&[u8]; 7] = [
        b"",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"PK\x03\x04",
        b"{\"type\":\"FeatureCollection\",\"features\":[",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        b"id,name_zh,category,kind,source\n",
    ];
    for _ in 0..1500 {
        let mut bytes = r.pick(&prefixes).to_vec();
        bytes.extend(r.bytes(200));
        all_readers(&bytes);
    }
}

#[test]
fn mutated_exports_never_make_a_reader_panic() {
    let sites = edge_sites();
    let mut r = Lcg(42);
    for format in ExportFormat::STREAMED {
        let mut good = Vec::new();
        export_sites(
            format,
            &mut good,
            sites.iter().map(Ok::<_, std::convert::Infallible>),
            &ctx(),
            HeaderLang::Zh,
            &meta(),
        )
        .unwrap();
        let rounds = if format == ExportFormat::Xlsx {
            200
        } else {
            400
        };
        for _ in 0..rounds {
            let mut b = good.clone();
            match r.below(4) {
                0 => {
                    let n = r.below(b.len());
                    b.truncate(n);
                }
                1 => {
                    for _ in 0..1 + r.below(8) {
                        let i = r.below(b.len());
                        b[i] = r.next() as u8;
                    }
                }
                2 => {
                    let i = r.below(b.len());
                    let extra = r.bytes(16);
                    b.splice(i..i, extra);
                }
                _ => {
                    let i = r.below(b.len());
                    let j = (i + r.below(64)).min(b.len());
                    b.drain(i..j);
                }
            }
            all_readers(&b);
        }
    }
}

#[test]
fn random_cells_never_make_validation_panic() {
    let mut r = Lcg(7);
    for _ in 0..3000 {
        let mut cells = HashMap::new();
        for c in Column::ALL {
            if r.below(3) > 0 {
                cells.insert(c, text(&mut r, 4));
            }
        }
        let row = RawRow { line: 2, cells };
        let _ = site_from_row(&row, &ctx(), None);
    }
}

#[test]
fn random_csv_tables_never_make_the_reader_panic() {
    let mut r = Lcg(99);
    for _ in 0..1000 {
        let mut s = String::new();
        for _ in 0..1 + r.below(5) {
            let cols = 1 + r.below(8);
            let line: Vec<String> = (0..cols).map(|_| text(&mut r, 3)).collect();
            s.push_str(&line.join(","));
            s.push_str(if r.below(2) == 0 { "\n" } else { "\r\n" });
        }
        all_readers(s.as_bytes());
        let with_header = format!("{VALID_HEADER}\n{s}");
        let _ = parse_sites(with_header.as_bytes(), FileFormat::Csv, &ctx(), None);
    }
}

/// Sites whose free-text fields are random text.
fn random_sites(r: &mut Lcg, n: usize) -> Vec<Site> {
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < n {
        i += 1;
        let mut cells: HashMap<Column, String> = [
            (Column::Id, format!("rnd-{i}")),
            (Column::Category, "carrier_platform".into()),
            (Column::Kind, "incubator".into()),
            (Column::Lon, "110.9".into()),
            (Column::Lat, "21.6".into()),
            (Column::LocationPrecision, "building".into()),
        ]
        .into_iter()
        .collect();
        for c in [
            Column::NameZh,
            Column::NameEn,
            Column::Address,
            Column::Phone,
            Column::Contact,
            Column::Source,
            Column::SourceQuote,
            Column::Notes,
            Column::Website,
            Column::LocationSource,
        ] {
            cells.insert(c, text(r, 6));
        }
        let row = RawRow { line: 2, cells };
        if let Ok(site) = site_from_row(&row, &ctx(), None) {
            out.push(site);
        }
    }
    out
}

fn round_trip(format: ExportFormat, import_as: FileFormat, sites: &[Site]) -> Vec<u8> {
    let mut out = Vec::new();
    export_sites(
        format,
        &mut out,
        sites.iter().map(Ok::<_, std::convert::Infallible>),
        &ctx(),
        HeaderLang::Zh,
        &meta(),
    )
    .expect("export");
    let parsed = parse_sites(&out, import_as, &ctx(), None).expect("import");
    assert!(parsed.errors.is_empty(), "{format}: {:#?}", parsed.errors);
    let back: Vec<Site> = parsed.sites.into_iter().map(|(_, s)| s).collect();
    assert_eq!(back.len(), sites.len());
    for (a, b) in sites.iter().zip(&back) {
        assert_eq!(a, b, "{format}");
    }
    out
}

#[test]
fn random_text_survives_export_and_import_in_every_readable_format() {
    let mut r = Lcg(2026);
    let sites = random_sites(&mut r, 300);
    let csv = round_trip(ExportFormat::Csv, FileFormat::Csv, &sites);
    round_trip(ExportFormat::Xlsx, FileFormat::Xlsx, &sites);
    round_trip(ExportFormat::GeoJson, FileFormat::GeoJson, &sites);
    // And CSV is byte-stable.
    let again: Vec<Site> = parse_sites(&csv, FileFormat::Csv, &ctx(), None)
        .unwrap()
        .sites
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(round_trip(ExportFormat::Csv, FileFormat::Csv, &again), csv);
}

/// Crashes found by the fuzz targets (`fuzz/`, FUZZING.md), kept as regression tests: each
/// input gives a report or an error, not a panic.
#[test]
fn inputs_that_crashed_a_fuzz_target_read_without_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    // A LineString/Polygon position with one number: geojson's conversion to geo indexed [1].
    let geojson = std::fs::read(dir.join("geojson-short-position.geojson")).unwrap();
    let _ = parse_sites(&geojson, FileFormat::GeoJson, &ctx(), None);
    // A cell reference calamine panics on; the reader catches it as an unreadable file.
    let xlsx = std::fs::read(dir.join("xlsx-calamine-panic.xlsx")).unwrap();
    assert!(parse_sites(&xlsx, FileFormat::Xlsx, &ctx(), None).is_err());
    // The same short position in a district boundary is refused, not a panic.
    let boundary =
        r#"{"type":"Polygon","coordinates":[[[110.8,21.6],[110.9],[110.9,21.7],[110.8,21.6]]]}"#;
    let err = atlas_core::District::from_geojson(boundary).unwrap_err();
    assert!(err.to_string().contains("two numbers"), "{err}");
}
