//! Import readers: encodings, separators, spreadsheet cells, and one test per kind of bad input.

mod common;

use atlas_core::dataset::SITES_CSV;
use atlas_core::import::{parse_sites, read_table, FileFormat, ImportError, ParsedFile};
use atlas_core::RowError;
use common::*;

fn parse(bytes: &[u8], format: FileFormat) -> Result<ParsedFile, ImportError> {
    parse_sites(bytes, format, &ctx(), None)
}

fn csv_with(rows: &[&str]) -> String {
    let mut s = String::from(VALID_HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

fn only_error(p: &ParsedFile) -> &RowError {
    assert_eq!(p.errors.len(), 1, "{:#?}", p.errors);
    &p.errors[0]
}

// ---------------------------------------------------------------------------------------------
// Encodings and separators
// ---------------------------------------------------------------------------------------------

#[test]
fn gbk_encoded_csv_imports_with_chinese_intact() {
    let text = "编号,名称,类别,类型,数据来源,经度,纬度,定位精度,镇街\n\
                gbk-site,茂名石化炼油厂孵化基地,载体平台,孵化器,茂南区规划第12页,110.92,21.67,建筑级,河西街道\n";
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    assert!(!had_errors);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let p = parse(&bytes, FileFormat::Csv).unwrap();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.encoding, "GBK");
    let site = &p.sites[0].1;
    assert_eq!(site.name_zh, "茂名石化炼油厂孵化基地");
    assert_eq!(site.source, "茂南区规划第12页");
    assert_eq!(site.town_code.as_ref().unwrap().as_str(), "440902002");
}

#[test]
fn the_whole_default_dataset_reads_the_same_from_gb18030_as_from_utf8() {
    let (bytes, _, had_errors) = encoding_rs::GB18030.encode(SITES_CSV);
    assert!(!had_errors);
    let from_gb = parse(&bytes, FileFormat::Csv).unwrap();
    let from_utf8 = parse(SITES_CSV.as_bytes(), FileFormat::Csv).unwrap();
    assert!(from_gb.errors.is_empty(), "{:#?}", from_gb.errors);
    assert_eq!(from_gb.sites, from_utf8.sites);
}

#[test]
fn a_shift_jis_file_is_refused_with_a_message_naming_its_encoding() {
    let text = "id,name_zh,category,kind,source\n\
                jp,東京のインキュベーション施設です,carrier_platform,incubator,ソースはこちらの資料になります\n\
                jp2,ありがとうございます、よろしくお願いします,carrier_platform,incubator,テスト\n";
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!had_errors);
    let err = parse(&bytes, FileFormat::Csv).unwrap_err();
    assert!(matches!(err, ImportError::Encoding(_)), "{err}");
    assert!(err.to_string().contains("Shift_JIS"), "{err}");
    assert!(err.to_string().contains("UTF-8"), "says what to do: {err}");
}

#[test]
fn a_big5_file_is_refused_with_a_message_naming_its_encoding() {
    let text = "id,name_zh,category,kind,source\n\
                tw,臺灣創新育成中心與學術研究機構,carrier_platform,incubator,資料來源：經濟部中小企業處\n";
    let (bytes, _, had_errors) = encoding_rs::BIG5.encode(text);
    assert!(!had_errors);
    let err = parse(&bytes, FileFormat::Csv).unwrap_err();
    assert!(err.to_string().contains("Big5"), "{err}");
}

#[test]
fn utf16_text_from_excel_is_read_with_or_without_a_bom() {
    // Excel's "Unicode text": UTF-16LE with BOM, tab separated.
    let text = format!("{}\n{}\n", VALID_HEADER, VALID_ROW).replace(',', "\t");
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let p = parse(&le, FileFormat::Csv).unwrap();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.encoding, "UTF-16LE");
    assert_eq!(p.sites[0].1.name_zh, "测试站点");

    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
    assert_eq!(parse(&be, FileFormat::Csv).unwrap().encoding, "UTF-16BE");

    let bare: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let p = parse(&bare, FileFormat::Csv).unwrap();
    assert_eq!(p.encoding, "UTF-16LE");
    assert_eq!(p.sites.len(), 1);
}

#[test]
fn utf8_with_and_without_a_bom_reads_the_same() {
    let text = csv_with(&[VALID_ROW]);
    let plain = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let bom = parse(format!("\u{feff}{text}").as_bytes(), FileFormat::Csv).unwrap();
    assert_eq!(plain.sites, bom.sites);
    assert_eq!(bom.encoding, "UTF-8");
}

#[test]
fn semicolon_and_tab_separated_files_are_read() {
    for sep in [";", "\t"] {
        let text = csv_with(&[VALID_ROW]).replace(',', sep);
        let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
        assert!(p.errors.is_empty(), "{sep:?}: {:#?}", p.errors);
        assert_eq!(p.sites.len(), 1);
    }
}

#[test]
fn a_title_line_above_the_header_is_skipped() {
    let text = format!(
        "茂南区科技创新资源名录（2026年）,,,\n\n{}",
        csv_with(&[VALID_ROW])
    );
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.sites[0].0, 4, "line numbers still count the title lines");
}

#[test]
fn a_row_wider_than_the_header_is_reported_with_its_line() {
    let text = csv_with(&[
        VALID_ROW,
        "wide,名称,carrier_platform,incubator,来源,110.92,21.67,building,petrochemical,多出的值",
    ]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!(e.line, 3);
    assert_eq!(e.value.as_deref(), Some("多出的值"));
    assert!(e.message.contains("unquoted separator"), "{}", e.message);
    assert_eq!(p.sites.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Bad input, one test each
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_csv_with_an_unclosed_quote_names_the_line() {
    let text = csv_with(&[
        VALID_ROW,
        "bad,\"未闭合的引号,carrier_platform,incubator,来源,,,,",
        "later,名称,carrier_platform,incubator,来源,,,,",
    ]);
    match parse(text.as_bytes(), FileFormat::Csv).unwrap_err() {
        ImportError::Csv { line, message } => {
            assert_eq!(line, 3);
            assert!(message.contains("never closed"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn an_empty_file_is_refused() {
    for bytes in [&b""[..], b"   \n\n", b"\xEF\xBB\xBF"] {
        for format in [FileFormat::Csv, FileFormat::Xlsx, FileFormat::GeoJson] {
            let err = parse(bytes, format).unwrap_err();
            assert!(matches!(err, ImportError::Empty), "{format:?}: {err}");
            assert!(err.to_string().contains("empty"));
        }
    }
}

#[test]
fn a_header_without_rows_is_refused_as_empty() {
    let err = parse(format!("{VALID_HEADER}\n").as_bytes(), FileFormat::Csv).unwrap_err();
    assert!(matches!(err, ImportError::Empty), "{err}");
    assert!(err.to_string().contains("at least one data row"));
}

#[test]
fn missing_required_columns_are_named_in_chinese_and_english() {
    let text = "编号,名称,经度,纬度\nx,名称,110.9,21.6\n";
    let err = parse(text.as_bytes(), FileFormat::Csv).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ImportError::MissingColumns(_)));
    for part in ["category (类别)", "kind (类型)", "source (数据来源)"] {
        assert!(msg.contains(part), "{msg}");
    }
    assert!(!msg.contains("name_zh"), "{msg}");
}

#[test]
fn a_duplicated_column_is_refused() {
    let text = format!("{VALID_HEADER},名称\n{VALID_ROW},again\n");
    let err = parse(text.as_bytes(), FileFormat::Csv).unwrap_err();
    assert!(
        matches!(err, ImportError::DuplicateColumn(ref c) if c == "名称"),
        "{err}"
    );
}

#[test]
fn an_out_of_range_latitude_is_a_row_error_on_the_lat_column() {
    let text = csv_with(&[
        VALID_ROW,
        "bad-lat,名称,carrier_platform,incubator,来源,110.92,91.5,building,",
    ]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!((e.line, e.column.as_deref()), (3, Some("lat")));
    assert_eq!(e.id.as_deref(), Some("bad-lat"));
    assert!(
        e.message.contains("latitude 91.5 is out of range"),
        "{}",
        e.message
    );
    assert_eq!(p.sites.len(), 1, "the good row is kept");
    assert_eq!(p.invalid_rows(), 1);
}

#[test]
fn an_unknown_kind_lists_the_allowed_values() {
    let text = csv_with(&["k,名称,carrier_platform,factory,来源,,,,"]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!((e.line, e.column.as_deref()), (2, Some("kind")));
    assert!(
        e.message.contains("unknown kind 'factory'"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("incubator, maker_space"),
        "{}",
        e.message
    );
}

#[test]
fn an_unknown_chain_lists_the_chains() {
    let text = csv_with(&["c,名称,carrier_platform,incubator,来源,,,,steel"]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!(e.column.as_deref(), Some("chains"));
    assert!(e.message.contains("unknown chain 'steel'"), "{}", e.message);
    assert!(e.message.contains("petrochemical"), "{}", e.message);
}

#[test]
fn a_kind_of_another_category_is_refused() {
    let text = csv_with(&["m,名称,key_enterprise,incubator,来源,,,,"]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!(e.column.as_deref(), Some("kind"));
    assert_eq!(
        e.message,
        "kind 'incubator' belongs to category 'carrier_platform', not 'key_enterprise'"
    );
}

#[test]
fn a_duplicate_id_in_one_file_names_the_first_line() {
    let text = csv_with(&[VALID_ROW, VALID_ROW]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!(e.line, 3);
    assert_eq!(e.message, "duplicate id: already used on line 2");
    assert_eq!(p.sites.len(), 1);
}

#[test]
fn a_longitude_without_latitude_is_refused_on_the_missing_column() {
    let text = csv_with(&["half,名称,carrier_platform,incubator,来源,110.92,,building,"]);
    let p = parse(text.as_bytes(), FileFormat::Csv).unwrap();
    let e = only_error(&p);
    assert_eq!(e.column.as_deref(), Some("lat"));
    assert!(
        e.message.contains("lon and lat must both be given"),
        "{}",
        e.message
    );
}

#[test]
fn an_xls_workbook_is_refused_with_advice() {
    let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    bytes.extend([0u8; 500]);
    for format in [FileFormat::Xlsx, FileFormat::Csv] {
        let err = parse(&bytes, format).unwrap_err();
        assert!(matches!(err, ImportError::Unsupported(_)), "{err}");
        assert!(err.to_string().contains(".xls (Excel 97–2003)"), "{err}");
        assert!(err.to_string().contains(".xlsx"), "{err}");
    }
}

#[test]
fn garbage_bytes_given_as_xlsx_are_refused() {
    let err = parse(b"\x00\x01\x02garbage\xff\xfe", FileFormat::Xlsx).unwrap_err();
    assert!(matches!(err, ImportError::Xlsx(_)), "{err}");
    assert!(err.to_string().contains("not an .xlsx workbook"), "{err}");
    let err = parse(csv_with(&[VALID_ROW]).as_bytes(), FileFormat::Xlsx).unwrap_err();
    assert!(err.to_string().contains("a CSV file?"), "{err}");
    // A truncated workbook.
    let mut out = Vec::new();
    atlas_core::export::export_sites(
        atlas_core::ExportFormat::Xlsx,
        &mut out,
        edge_sites()
            .into_iter()
            .map(Ok::<_, std::convert::Infallible>),
        &ctx(),
        atlas_core::HeaderLang::Zh,
        &meta(),
    )
    .unwrap();
    out.truncate(out.len() / 2);
    let err = parse(&out, FileFormat::Xlsx).unwrap_err();
    assert!(err.to_string().contains("damaged or incomplete"), "{err}");
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all("这不是工作簿".as_bytes()).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let err = parse(&bytes, FileFormat::Xlsx).unwrap_err();
    assert!(matches!(err, ImportError::Xlsx(_)), "{err}");
    assert!(err.to_string().contains("not an Excel workbook"), "{err}");
    let err = parse(&bytes, FileFormat::Csv).unwrap_err();
    assert!(err.to_string().contains("import it as .xlsx"), "{err}");
}

#[test]
fn broken_geojson_is_refused_and_unsupported_geometry_is_a_row_error() {
    let err = parse(
        b"{\"type\":\"FeatureCollection\",\"features\":[",
        FileFormat::GeoJson,
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::GeoJson(_)), "{err}");
    let err = parse(
        br#"{"type":"Point","coordinates":[110.9,21.6]}"#,
        FileFormat::GeoJson,
    )
    .unwrap_err();
    assert!(err.to_string().contains("bare geometry"), "{err}");
    let fc = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"ok-point","geometry":{"type":"Point","coordinates":[110.92,21.67]},
       "properties":{"名称":"中文表头也可以","category":"carrier_platform","kind":"incubator","source":"来源","location_precision":"building","established":2015}},
      {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[110.9,21.6],[110.91,21.61]]},
       "properties":{"id":"multi","name_zh":"多点","category":"carrier_platform","kind":"incubator","source":"来源","location_precision":"building"}}
    ]}"#;
    let p = parse(fc.as_bytes(), FileFormat::GeoJson).unwrap();
    assert_eq!(p.sites.len(), 1);
    let s = &p.sites[0].1;
    assert_eq!(
        (s.id.as_str(), s.name_zh.as_str()),
        ("ok-point", "中文表头也可以")
    );
    assert_eq!(s.established, Some(2015));
    let e = only_error(&p);
    assert_eq!((e.line, e.column.as_deref()), (2, Some("polygon_wkt")));
    assert!(e.message.contains("only POLYGON"), "{}", e.message);
}

// ---------------------------------------------------------------------------------------------
// XLSX cells
// ---------------------------------------------------------------------------------------------

/// A workbook as a person would make it: a title row, typed cells, an `#N/A`.
fn hand_made_workbook() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "茂南区载体平台名录")?;
    let headers = [
        "编号",
        "名称",
        "类别",
        "类型",
        "数据来源",
        "经度",
        "纬度",
        "定位精度",
        "电话",
        "成立年份",
        "更新日期",
        "备注",
        "是否区外",
    ];
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(1, i as u16, *h)?;
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Row 3: typed cells.
    ws.write_string(2, 0, "typed")?;
    ws.write_string(2, 1, "数字单元格的站点")?;
    ws.write_string(2, 2, "载体平台")?;
    ws.write_string(2, 3, "孵化器")?;
    ws.write_string(2, 4, "手工表格")?;
    ws.write_number(2, 5, 110.920_461_7)?;
    ws.write_number(2, 6, 21.676_291)?;
    ws.write_string(2, 7, "建筑级")?;
    ws.write_number(2, 8, 13_800_138_000.0)?;
    ws.write_number(2, 9, 2015.0)?;
    ws.write_datetime_with_format(2, 10, ExcelDateTime::from_ymd(2026, 3, 5)?, &date)?;
    ws.write_string(2, 11, "'=SUM(1,2)")?;
    ws.write_boolean(2, 12, false)?;
    // Row 4: a failed lookup in the latitude.
    ws.write_string(3, 0, "na")?;
    ws.write_string(3, 1, "查找失败")?;
    ws.write_string(3, 2, "载体平台")?;
    ws.write_string(3, 3, "孵化器")?;
    ws.write_string(3, 4, "手工表格")?;
    ws.write_number(3, 5, 110.9)?;
    ws.write_formula(3, 6, "=NA()")?;
    ws.set_formula_result(3, 6, "#N/A");
    ws.write_string(3, 7, "建筑级")?;
    wb.save_to_buffer()
}

#[test]
fn xlsx_cells_read_as_people_typed_them() {
    let bytes = hand_made_workbook().unwrap();
    let p = parse(&bytes, FileFormat::Xlsx).unwrap();
    assert_eq!(p.encoding, "XLSX");
    let (line, s) = &p.sites[0];
    assert_eq!(*line, 3, "the sheet's row number");
    assert_eq!(s.phone.as_deref(), Some("13800138000"));
    assert_eq!(s.marker().unwrap().lon.get(), 110.920_461_7);
    assert_eq!(s.marker().unwrap().lat.get(), 21.676_291);
    assert_eq!(s.established, Some(2015));
    assert_eq!(s.updated_at, chrono::NaiveDate::from_ymd_opt(2026, 3, 5));
    assert_eq!(
        s.notes.as_deref(),
        Some("=SUM(1,2)"),
        "the export's quote is removed"
    );
    let t = read_table(&bytes, FileFormat::Xlsx).unwrap();
    assert_eq!(t.rows[0].1[12], "false");
}

#[test]
fn an_error_cell_in_a_workbook_is_a_row_error_naming_the_cell() {
    let p = parse(&hand_made_workbook().unwrap(), FileFormat::Xlsx).unwrap();
    assert_eq!(p.sites.len(), 1);
    let e = p.errors.iter().find(|e| e.line == 4).unwrap();
    assert_eq!(e.column.as_deref(), Some("lat"));
    assert_eq!(e.value.as_deref(), Some("#N/A"));
    assert_eq!(e.id.as_deref(), Some("na"));
    assert!(
        e.message.contains("spreadsheet error #N/A"),
        "{}",
        e.message
    );
}

#[test]
fn rows_with_only_an_address_are_placed_at_the_township_seat_or_not_at_all() {
    use atlas_core::LocationPrecision;
    let csv = "id,name_zh,category,kind,source,address,scope\n\
        a-town,按镇名,key_enterprise,high_tech_enterprise,测试,茂南区公馆镇某路1号,\n\
        a-village,按村名,key_enterprise,high_tech_enterprise,测试,广东省茂名市茂南区塘桥村委会旁,\n\
        a-twice,两镇,key_enterprise,high_tech_enterprise,测试,金塘镇与公馆镇交界,\n\
        a-ambiguous,同名村,key_enterprise,high_tech_enterprise,测试,新城村委会,\n\
        a-elsewhere,外县,key_enterprise,high_tech_enterprise,测试,电白区某镇,\n\
        a-nothing,无地址,key_enterprise,high_tech_enterprise,测试,,\n\
        a-partner,合作方,innovation_resource,university,测试,公馆镇,partner\n";
    let gbk = encoding_rs::GBK.encode(csv).0;
    let p = parse(&gbk, FileFormat::Csv).unwrap();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    let site = |id: &str| &p.sites.iter().find(|(_, s)| s.id.as_str() == id).unwrap().1;
    let town = |id: &str| site(id).town_code.as_ref().map(|t| t.as_str().to_string());
    assert_eq!(site("a-town").location.precision, LocationPrecision::Town);
    assert_eq!(town("a-town").as_deref(), Some("440902101"));
    assert_eq!(
        site("a-village").location.precision,
        LocationPrecision::Town
    );
    assert_eq!(town("a-village").as_deref(), Some("440902100"));
    assert!(site("a-village")
        .location
        .source
        .as_deref()
        .unwrap()
        .contains("据地址“塘桥村"));
    for id in [
        "a-twice",
        "a-ambiguous",
        "a-elsewhere",
        "a-nothing",
        "a-partner",
    ] {
        assert_eq!(
            site(id).location.precision,
            LocationPrecision::Unknown,
            "{id}"
        );
        assert_eq!(site(id).location.geometry, None, "{id}");
        assert_eq!(town(id), None, "{id}");
    }
    let note = |id: &str| {
        p.notes
            .iter()
            .find(|n| n.id.as_deref() == Some(id))
            .map(|n| n.message.clone())
    };
    assert!(note("a-town")
        .unwrap()
        .starts_with("placed at 公馆镇 seat from address: 公馆镇"));
    assert!(note("a-village").unwrap().contains("from address: 塘桥村"));
    assert!(note("a-twice").unwrap().contains("several townships"));
    assert!(note("a-ambiguous").unwrap().contains("several townships"));
    assert!(note("a-elsewhere").unwrap().contains("电白"));
    assert_eq!(note("a-nothing"), None);
    assert_eq!(note("a-partner"), None);
    assert_eq!(p.notes[0].line, 2);
}
