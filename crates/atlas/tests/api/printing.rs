//! Issue 17: every workbook the server writes prints as a few clean A4 pages. The site list
//! (5 and 200 rows), the chain report, the progress board and the matching results are converted
//! to PDF by LibreOffice (`soffice --headless`, one run for all five) and their pages counted
//! per sheet (each printed page carries its sheet's name in the page header); every sheet is one
//! page wide (its last column's header is on its first page). The first page of the 5-row list
//! is rendered to PNG in `CARGO_TARGET_TMPDIR/print/` for a person to look at. openpyxl checks
//! the list sheet's layout and print settings. tests/run-all.sh installs LibreOffice
//! (`libreoffice-calc-nogui`) and poppler (`pdfinfo`, `pdftotext`, `pdftoppm`) when missing.

use crate::helpers::{spawn_app, spawn_app_with_synthetic, TestApp};
use atlas_core::export::{LIST_COLUMNS, XLSX_ABOUT_SHEET, XLSX_DATA_SHEET, XLSX_LIST_SHEET};
use atlas_core::report::{CHAIN_WIDE_SHEET, INDICATORS_SHEET, SUMMARY_SHEET};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn workbook(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"], XLSX, "{path}");
    r.bytes().await.unwrap().to_vec()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (tests/run-all.sh installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Converts every file to PDF in one LibreOffice run (with its own profile, so that parallel
/// runs do not share one); returns the PDFs in the same order.
fn to_pdf(dir: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let profile = format!("file://{}", dir.join("lo-profile").display());
    run(Command::new("soffice")
        .arg(format!("-env:UserInstallation={profile}"))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.join("pdf"))
        .args(files));
    files
        .iter()
        .map(|f| {
            let pdf = dir
                .join("pdf")
                .join(f.with_extension("pdf").file_name().unwrap());
            assert!(pdf.exists(), "LibreOffice wrote no {}", pdf.display());
            pdf
        })
        .collect()
}

/// The text of each page of `pdf` (poppler's `pdftotext`; pages end with a form feed).
fn pages(pdf: &Path) -> Vec<String> {
    let info = run(Command::new("pdfinfo").arg(pdf));
    let count: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo prints the page count")
        .trim()
        .parse()
        .unwrap();
    let text = run(Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-"));
    let pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    assert!(
        pages.len() >= count,
        "{} pages, text of {}",
        count,
        pages.len()
    );
    pages[..count].to_vec()
}

/// The sheet each page belongs to: the first of `sheets` its first line (the page header) names.
fn pages_per_sheet(pages: &[String], sheets: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, p) in pages.iter().enumerate() {
        let head = p
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        // The longest name that heads the page ("1 炼油" and not "1").
        let sheet = sheets
            .iter()
            .filter(|s| head.starts_with(s.as_str()))
            .max_by_key(|s| s.len())
            .unwrap_or_else(|| panic!("page {} has no sheet name in its header: {head:?}", i + 1));
        out.entry(sheet.clone()).or_default().push(p.clone());
    }
    out
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    use calamine::{Reader, Xlsx};
    let wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    wb.sheet_names().to_vec()
}

/// Pages of `sheet`, each asserted to hold the sheet's last column header (one page wide).
fn sheet_pages<'a>(
    by_sheet: &'a BTreeMap<String, Vec<String>>,
    sheet: &str,
    last_header: &str,
    what: &str,
) -> &'a [String] {
    let p = by_sheet
        .get(sheet)
        .unwrap_or_else(|| panic!("{what}: sheet {sheet} printed no page"));
    assert!(
        p[0].contains(last_header),
        "{what}: sheet {sheet} is not one page wide (no {last_header:?} on its first page):\n{}",
        p[0]
    );
    p
}

/// The list sheet's layout and print settings, as openpyxl reads them: `title;A3;headers;
/// orientation;paper;fitToPage;fitToWidth;fitToHeight;print_title_rows;footer`.
fn openpyxl_list_sheet(file: &Path) -> Vec<String> {
    let script = "import sys, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1])\n\
        ws = wb.worksheets[0]\n\
        ps = ws.page_setup\n\
        heads = ','.join(str(ws.cell(3, c).value) for c in range(2, ws.max_column + 1))\n\
        print('\\n'.join(map(str, [ws.title, ws['A1'].value, ws['A3'].value, heads, \
        ps.orientation, ps.paperSize, ws.sheet_properties.pageSetUpPr.fitToPage, \
        ps.fitToWidth, ps.fitToHeight, ws.print_title_rows, ws.oddFooter.center.text, \
        ws['B4'].alignment.wrap_text, ws['B4'].border.left.style, ws['A4'].value, \
        ','.join(wb.sheetnames)])))";
    run(Command::new("python3").args(["-c", script]).arg(file))
        .lines()
        .map(str::to_string)
        .collect()
}

/// The site list of `bytes` printed in `pdf`: one page wide, at most `max_pages`, the header and
/// page numbers on every page, row `rows` on the last page.
fn check_site_list(what: &str, bytes: &[u8], pdf: &Path, max_pages: usize, rows: usize) {
    let names = sheet_names(bytes);
    assert_eq!(names, [XLSX_LIST_SHEET, XLSX_DATA_SHEET, XLSX_ABOUT_SHEET]);
    let by_sheet = pages_per_sheet(&pages(pdf), &names);
    let last_header = LIST_COLUMNS[LIST_COLUMNS.len() - 1].0;
    let list = sheet_pages(&by_sheet, XLSX_LIST_SHEET, last_header, what);
    assert!(
        list.len() <= max_pages,
        "{what}: the list prints on {} pages, at most {max_pages} wanted",
        list.len()
    );
    assert!(list[0].contains("序号"), "{what}");
    assert!(
        list.iter().all(|p| p.contains("名称")),
        "{what}: the header row repeats on every page"
    );
    for p in list {
        let squeezed: String = p.split_whitespace().collect();
        assert!(
            squeezed.contains("页共"),
            "{what}: page numbers in the footer:\n{p}"
        );
    }
    let last = list.last().unwrap();
    assert!(
        last.lines()
            .any(|l| l.trim_start().starts_with(&format!("{rows} "))),
        "{what}: row {rows} is on the last page:\n{last}"
    );
}

/// The chain report: the summary first, on one page; at most 2 pages per link sheet.
fn check_chain_report(bytes: &[u8], pdf: &Path) {
    let names = sheet_names(bytes);
    assert_eq!(names[0], SUMMARY_SHEET);
    let by_sheet = pages_per_sheet(&pages(pdf), &names);
    assert_eq!(
        sheet_pages(&by_sheet, SUMMARY_SHEET, "服务机构", "chain").len(),
        1
    );
    let links: Vec<&String> = names
        .iter()
        .filter(|n| *n != SUMMARY_SHEET && *n != XLSX_ABOUT_SHEET)
        .collect();
    assert!(
        links.len() >= 7,
        "six links and the chain-wide sheet: {names:?}"
    );
    assert!(links.iter().any(|n| *n == CHAIN_WIDE_SHEET));
    for l in &links {
        let p = sheet_pages(&by_sheet, l, "来源", "chain");
        assert!(p.len() <= 2, "chain: sheet {l} prints on {} pages", p.len());
    }
    let total: usize = by_sheet.values().map(Vec::len).sum();
    assert!(
        total <= 2 * links.len() + 2,
        "chain report: {total} pages for {} link sheets",
        links.len()
    );
}

/// The list sheet's layout and print settings, read by openpyxl.
fn check_list_sheet_settings(file: &Path) {
    let v = openpyxl_list_sheet(file);
    let heads: Vec<&str> = LIST_COLUMNS.iter().map(|(h, _)| *h).collect();
    assert_eq!(v[0], XLSX_LIST_SHEET);
    assert_eq!(v[1], "茂南区科技创新要素资源清单 · 载体平台 · 石油化工");
    assert_eq!(v[2], "序号");
    assert_eq!(v[3], heads.join(","));
    assert_eq!(v[4], "landscape", "orientation");
    assert_eq!(v[5], "9", "A4");
    assert_eq!(v[6], "True", "fit to page");
    // fitToWidth="1" is the OOXML default, which the writer leaves out (openpyxl: None).
    assert!(
        matches!(v[7].as_str(), "1" | "None"),
        "one page wide: {}",
        v[7]
    );
    assert_eq!(v[8], "0", "as many pages tall as needed");
    assert_eq!(v[9], "$3:$3", "the header row repeats");
    assert_eq!(v[10], "第 &P 页 共 &N 页");
    assert_eq!((v[11].as_str(), v[12].as_str()), ("True", "thin"));
    assert_eq!(v[13].parse::<f64>().ok(), Some(1.0), "序号 starts at 1");
    assert_eq!(
        v[14],
        format!("{XLSX_LIST_SHEET},{XLSX_DATA_SHEET},{XLSX_ABOUT_SHEET}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workbook_prints_on_a_few_pages_one_page_wide() {
    let app = spawn_app().await;
    let big = spawn_app_with_synthetic(400).await;
    let dir = tempfile::tempdir().unwrap();
    let five = "/api/v1/export?format=xlsx&category=carrier_platform&chain=petrochemical";
    let downloads = [
        ("list-5", workbook(&app, five).await),
        (
            "list-200",
            workbook(&big, "/api/v1/export?format=xlsx&limit=200").await,
        ),
        (
            "chain",
            workbook(&app, "/api/v1/chains/petrochemical/report?format=xlsx").await,
        ),
        (
            "board",
            workbook(&app, "/api/v1/indicators/export?format=xlsx").await,
        ),
        (
            "match",
            workbook(
                &big,
                "/api/v1/match?chain=petrochemical&limit=25&format=xlsx",
            )
            .await,
        ),
    ];
    let files: Vec<PathBuf> = downloads
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(format!("{name}.xlsx"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let pdfs = to_pdf(dir.path(), &files);
    // The first page of the 5-row list as PNG (and every PDF), for a person to look at.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("print");
    std::fs::create_dir_all(&artifacts).unwrap();
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdfs[0])
        .arg(artifacts.join("site-list-5")));
    assert!(artifacts.join("site-list-5.png").exists());
    for (i, (name, _)) in downloads.iter().enumerate() {
        std::fs::copy(&pdfs[i], artifacts.join(format!("{name}.pdf"))).unwrap();
    }

    check_site_list("list-5", &downloads[0].1, &pdfs[0], 1, 5);
    assert!(
        pages(&pdfs[0])[0].contains("茂南区科技创新要素资源清单 · 载体平台 · 石油化工"),
        "the list's title says its filter"
    );
    check_site_list("list-200", &downloads[1].1, &pdfs[1], 8, 200);
    check_chain_report(&downloads[2].1, &pdfs[2]);

    // The progress board: one page wide, a few pages, the header on each.
    let names = sheet_names(&downloads[3].1);
    let by_sheet = pages_per_sheet(&pages(&pdfs[3]), &names);
    let board = sheet_pages(&by_sheet, INDICATORS_SHEET, "原文", "board");
    assert!(
        board.len() <= 3,
        "the board prints on {} pages",
        board.len()
    );
    assert!(board.iter().all(|p| p.contains("目标值")));

    // The matching results: the same list, in rank order.
    let names = sheet_names(&downloads[4].1);
    assert_eq!(names[0], XLSX_LIST_SHEET);
    let by_sheet = pages_per_sheet(&pages(&pdfs[4]), &names);
    let last_header = LIST_COLUMNS[LIST_COLUMNS.len() - 1].0;
    let list = sheet_pages(&by_sheet, XLSX_LIST_SHEET, last_header, "match");
    assert!(list[0].contains("智慧选址"), "{}", list[0]);
    assert!(list.len() <= 2, "match list: {} pages", list.len());

    check_list_sheet_settings(&files[0]);
}
