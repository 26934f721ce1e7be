#![allow(clippy::unwrap_used)]
//! The `atlas` binary end to end: a real SQLite file in a temporary directory, real files out
//! and in, read back by real readers (calamine, the csv crate, openpyxl when python has it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("atlas.db")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn atlas(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_atlas"))
            .args(args)
            .env("ATLAS_DB", self.db())
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.atlas(args);
        assert!(
            out.status.success(),
            "atlas {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    fn init(&self) {
        self.ok(&["init"]);
    }
    /// Runs a command line whose arguments contain no spaces, `{path}` standing for `path`, and
    /// returns its output, failing on an error.
    fn ok_line(&self, line: &str, path: &Path) -> String {
        let path = path.to_str().unwrap();
        let args: Vec<&str> = line
            .split_whitespace()
            .map(|a| if a == "{path}" { path } else { a })
            .collect();
        self.ok(&args)
    }
    /// Exports the sites `filter` selects as an English-header CSV named `name`: its header
    /// and rows.
    fn export_csv_en(
        &self,
        name: &str,
        filter: &[&str],
    ) -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let out = self.path(name);
        let mut args = vec!["export", "--format", "csv", "--lang", "en", "-o"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(filter);
        self.ok(&args);
        let rows = csv_rows(&out);
        let headers = csv::Reader::from_reader(&std::fs::read(&out).unwrap()[3..])
            .headers()
            .unwrap()
            .clone();
        (headers, rows)
    }
}

fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a UTF-8 BOM"
    );
    csv::Reader::from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn init_then_list_by_chain_prints_the_petrochemical_sites() {
    let env = Env::new();
    env.init();
    let out = env.ok(&["list", "--chain", "petrochemical"]);
    assert!(out.contains("茂南石化工业园"), "{out}");
    assert!(out.contains("天源石化"), "{out}");
    assert!(
        !out.contains("罗非鱼"),
        "a modern-agriculture site is not on the petrochemical chain:\n{out}"
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let env = Env::new();
    env.init();
    let out = env.atlas(&["init"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    env.ok(&["init", "--force"]);
}

#[test]
fn commands_on_a_missing_database_say_to_run_init() {
    let env = Env::new();
    let out = env.atlas(&["list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("atlas init"));
    assert!(
        !env.db().exists(),
        "a read command does not create a database"
    );
}

#[test]
fn a_two_character_search_finds_sites() {
    let env = Env::new();
    env.init();
    let out = env.ok(&["list", "--q", "石化"]);
    assert!(out.contains("茂南石化工业园"), "{out}");
    let out = env.ok(&["list", "--q", "园区"]);
    assert!(out.contains("产业园区") || out.contains("园"), "{out}");
}

#[test]
fn a_bad_filter_value_names_the_flag_and_the_allowed_values() {
    let env = Env::new();
    env.init();
    let out = env.atlas(&["list", "--category", "factory"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--category") && err.contains("carrier_platform"),
        "{err}"
    );
    let out = env.atlas(&["list", "--chain", "steel"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("petrochemical"),
        "{err}"
    );
}

#[test]
fn xlsx_export_of_carrier_platforms_has_chinese_headers_and_exactly_those_rows() {
    use calamine::{open_workbook, Reader, Xlsx};
    let env = Env::new();
    env.init();
    let file = env.path("x.xlsx");
    env.ok_line(
        "export --format xlsx --category carrier_platform -o {path}",
        &file,
    );
    let mut wb: Xlsx<_> = open_workbook(&file).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(names, ["清单", "全部字段", "说明 About"]);
    let range = wb.worksheet_range(&names[1]).unwrap();
    let rows: Vec<_> = range.rows().collect();
    assert_eq!(rows[0][0].to_string(), "编号");
    assert_eq!(rows[0][1].to_string(), "名称");
    assert!(rows.len() > 5);
    for r in &rows[1..] {
        assert_eq!(
            r[3].to_string(),
            "载体平台",
            "category column holds the Chinese label"
        );
    }
    let listed = env.ok(&["list", "--category", "carrier_platform"]);
    for r in &rows[1..] {
        assert!(
            listed.contains(&r[0].to_string()),
            "{} is a carrier platform",
            r[0]
        );
    }
    // A second, independent reader: openpyxl (installed by tests/run-all.sh).
    let py = Command::new("python3")
        .args(["-c", "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); ws = wb['全部字段']; print(ws.freeze_panes, ws.auto_filter.ref, ws.cell(1, 2).value, ws.max_row - 1)", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "openpyxl could not read the export: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let line = String::from_utf8(py.stdout).unwrap();
    assert!(
        line.starts_with("A2 A1:"),
        "frozen header row and an autofilter: {line}"
    );
    assert!(line.contains("名称"), "{line}");
    assert_eq!(
        line.split_whitespace()
            .last()
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        rows.len() - 1
    );
}

#[test]
fn csv_export_import_export_is_byte_identical() {
    let env = Env::new();
    env.init();
    let a = env.path("a.csv");
    let b = env.path("b.csv");
    env.ok(&["export", "--format", "csv", "-o", a.to_str().unwrap()]);
    let out = env.ok(&["import", a.to_str().unwrap()]);
    assert!(out.contains("0 新增 inserted"), "{out}");
    env.ok(&["export", "--format", "csv", "-o", b.to_str().unwrap()]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let rows = csv_rows(&a);
    assert!(rows.len() >= 50);
}

#[test]
fn an_import_with_one_bad_row_writes_nothing_and_reports_the_line() {
    let env = Env::new();
    env.init();
    let file = env.path("bad.csv");
    std::fs::write(
        &file,
        "编号,名称,类别,类型,数据来源,经度,纬度,定位精度\n\
         new-a,新站点甲,载体平台,孵化器,测试,110.9,21.65,building\n\
         new-b,新站点乙,载体平台,孵化器,测试,110.9,95,building\n",
    )
    .unwrap();
    let out = env.atlas(&["import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("line 3") && stdout.contains("lat"),
        "{stdout}"
    );
    let listed = env.ok(&["list", "--q", "新站点"]);
    assert!(!listed.contains("new-a"), "nothing was written: {listed}");
    // Asked to skip invalid rows, the valid one goes in.
    let out = env.ok(&["import", file.to_str().unwrap(), "--skip-invalid"]);
    assert!(
        out.contains("1 新增 inserted") && out.contains("1 跳过 skipped"),
        "{out}"
    );
    assert!(env.ok(&["list", "--q", "新站点"]).contains("new-a"));
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let env = Env::new();
    env.init();
    let file = env.path("ok.csv");
    std::fs::write(
        &file,
        "id,name_zh,category,kind,source\nnew-c,试运行站点,key_enterprise,enterprise,test\n",
    )
    .unwrap();
    let out = env.ok(&["import", file.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("dry run"), "{out}");
    assert!(!env.ok(&["list", "--q", "试运行"]).contains("new-c"));
}

#[test]
fn gcj02_import_is_converted_and_keeps_the_original() {
    let env = Env::new();
    env.init();
    let file = env.path("gcj.csv");
    std::fs::write(&file, "id,name_zh,category,kind,source,lon,lat,location_precision\ngcj-site,高德坐标站点,carrier_platform,incubator,test,110.9253,21.6739,building\n").unwrap();
    env.ok(&["import", file.to_str().unwrap(), "--crs", "gcj02"]);
    let (headers, rows) = env.export_csv_en("gcj-out.csv", &["--q", "高德坐标"]);
    assert_eq!(rows.len(), 1);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let lon: f64 = rows[0][col("lon")].parse().unwrap();
    assert!(
        (lon - 110.9253).abs() > 0.003,
        "converted to WGS84 (moved by hundreds of metres): {lon}"
    );
    assert_eq!(&rows[0][col("original_crs")], "gcj02");
    assert_eq!(&rows[0][col("original_lon")], "110.9253");
}

#[test]
fn check_reports_precision_and_outside_sites() {
    let env = Env::new();
    env.init();
    let out = env.ok(&["check"]);
    assert!(out.contains("定位精度 location precision"), "{out}");
    assert!(out.contains("区外站点 outside the district"), "{out}");
    assert!(
        out.contains("maoming-polytechnic"),
        "the local college placed in 电白 is flagged: {out}"
    );
}

/// `atlas chain-report … --format csv -o FILE`: the summary rows (BOM checked).
fn chain_summary(env: &Env, chain: &str, extra: &[&str]) -> Vec<csv::StringRecord> {
    let file = env.path(&format!("{chain}-summary.csv"));
    let mut args = vec![
        "chain-report",
        chain,
        "--format",
        "csv",
        "-o",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    env.ok(&args);
    csv_rows(&file)
}

#[test]
fn chain_report_xlsx_has_a_summary_a_sheet_per_link_and_an_about_sheet() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let env = Env::new();
    env.init();
    let file = env.path("petro.xlsx");
    env.ok_line(
        "chain-report petrochemical --format xlsx -o {path} --weak-below 1",
        &file,
    );
    let mut wb: Xlsx<_> = open_workbook(&file).unwrap();
    let names = wb.sheet_names().to_vec();
    let summary = wb.worksheet_range("汇总 Summary").unwrap();
    let rows: Vec<&[Data]> = summary.rows().collect();
    let links = rows.len() - 2;
    assert_eq!(links, 6, "the petrochemical chain has six links");
    assert_eq!(names.len(), links + 3, "{names:?}");
    assert_eq!(names[1], "1 炼油");
    assert_eq!(rows[1][2].to_string(), "petrochemical.refining");
    assert_eq!(rows[rows.len() - 1][2].to_string(), "petrochemical");
    // Statuses with threshold 1: missing without an enterprise, present with one.
    for r in &rows[1..=links] {
        let enterprises = match r[5] {
            Data::Float(f) => f,
            ref other => panic!("{other:?}"),
        };
        let want = if enterprises == 0.0 {
            "missing"
        } else {
            "present"
        };
        assert_eq!(r[10].to_string(), want, "{}", r[2]);
    }
    // The fine-chemicals sheet lists its sites, which `atlas list --link` lists too.
    let fine = wb.worksheet_range("4 精细化工").unwrap();
    let listed = env.ok(&["list", "--link", "petrochemical.fine_chemicals"]);
    let ids: Vec<String> = fine.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert!(!ids.is_empty());
    for id in &ids {
        assert!(listed.contains(id.as_str()), "{id}");
    }
    let about = wb.worksheet_range("说明 About").unwrap();
    let text: Vec<String> = about.rows().map(|r| r[1].to_string()).collect();
    assert!(text.iter().any(|t| t.starts_with("1 — ")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("atlas.db")), "{text:?}");
}

#[test]
fn chain_report_refuses_unknown_chains_and_bad_thresholds() {
    let env = Env::new();
    env.init();
    let out = env.atlas(&["chain-report", "steel", "--format", "csv", "-o", "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("petrochemical"));
    let out = env.atlas(&["chain-report", "health", "--weak-below", "0", "-o", "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("weak_below"));
    let out = env.atlas(&["chain-report", "health", "--format", "kml"]);
    assert!(!out.status.success());
}

#[test]
fn chains_are_data_an_imported_link_shows_up_as_missing() {
    let env = Env::new();
    env.init();
    let before = chain_summary(&env, "petrochemical", &[]);
    // data/chains.csv with one more link at the end of the petrochemical chain.
    let mut text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/chains.csv"),
    )
    .unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(
        "petrochemical,1,石油化工,Petrochemicals,petrochemical.hydrogen_energy,7,氢能,\
         Hydrogen energy,氢能制取与储运（测试新增）,test\n",
    );
    let file = env.path("chains.csv");
    std::fs::write(&file, &text).unwrap();
    let out = env.ok(&["import-chains", file.to_str().unwrap()]);
    assert!(out.contains("petrochemical.hydrogen_energy"), "{out}");
    let after = chain_summary(&env, "petrochemical", &[]);
    assert_eq!(after.len(), before.len() + 1);
    let added = &after[after.len() - 2];
    assert_eq!(&added[2], "petrochemical.hydrogen_energy");
    assert_eq!(&added[3], "氢能");
    assert_eq!(&added[5], "0", "no key enterprise");
    assert_eq!(&added[10], "missing");
    assert_eq!(&added[9], "缺失");
    // Every other row is as it was.
    for (a, b) in before[..before.len() - 1].iter().zip(&after) {
        assert_eq!(a, b);
    }
    // The new link is a filter value too.
    env.ok(&["list", "--link", "petrochemical.hydrogen_energy"]);
}

#[test]
fn importing_chains_that_drop_used_links_is_refused_with_the_list_and_writes_nothing() {
    let env = Env::new();
    env.init();
    let before = chain_summary(&env, "petrochemical", &[]);
    let text: String = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/chains.csv"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.contains("petrochemical.fine_chemicals,") && !l.starts_with("health,"))
    .map(|l| format!("{l}\n"))
    .collect();
    let file = env.path("fewer.csv");
    std::fs::write(&file, text).unwrap();
    let out = env.atlas(&["import-chains", file.to_str().unwrap(), "--dry-run"]);
    assert!(!out.status.success());
    let out = env.atlas(&["import-chains", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("petrochemical.fine_chemicals"), "{err}");
    assert!(err.contains("chain 'health'"), "{err}");
    assert!(err.contains("health.hospitals_research"), "{err}");
    assert_eq!(
        chain_summary(&env, "petrochemical", &[]),
        before,
        "nothing written"
    );
    // A malformed file names its line.
    let bad = env.path("bad.csv");
    std::fs::write(
        &bad,
        "chain_id,chain_order,chain_name_zh,chain_name_en,link_id,link_order,link_name_zh,link_name_en,link_description_zh,source\n\
         petrochemical,1,石油化工,Petrochemicals,health.refining,1,炼油,Refining,,\n",
    )
    .unwrap();
    let out = env.atlas(&["import-chains", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn user_add_prints_a_token_once_list_shows_no_secrets_and_revoke_marks_it() {
    let env = Env::new();
    env.init();
    let out = env.atlas(&["user", "add", "zhang_san", "--role", "admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (name, secret) = token.split_once('.').unwrap();
    assert_eq!(name, "zhang_san");
    assert!(secret.len() >= 43, "32 random bytes: {secret}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("shown this once"));
    env.ok(&["user", "add", "li-si", "--role", "editor"]);

    let list = env.ok(&["user", "list"]);
    assert!(
        list.contains("zhang_san") && list.contains("admin"),
        "{list}"
    );
    assert!(list.contains("li-si") && list.contains("editor"), "{list}");
    assert!(!list.contains(secret) && !list.contains("argon2"), "{list}");
    // The database holds a hash, not the token.
    let bytes = std::fs::read(env.db()).unwrap();
    let db_text = String::from_utf8_lossy(&bytes);
    assert!(!db_text.contains(secret));

    for (args, says) in [
        (
            vec!["user", "add", "zhang_san", "--role", "editor"],
            "exists",
        ),
        (
            vec!["user", "add", "bad name", "--role", "editor"],
            "not allowed",
        ),
        (vec!["user", "revoke", "nobody"], "no user"),
    ] {
        let out = env.atlas(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = env.atlas(&["user", "add", "x", "--role", "root"]);
    assert!(!out.status.success());

    let revoked = env.ok(&["user", "revoke", "li-si"]);
    assert!(revoked.contains("li-si"), "{revoked}");
    let list = env.ok(&["user", "list"]);
    let li = list.lines().find(|l| l.contains("li-si")).unwrap();
    assert!(
        li.matches("20").count() >= 2,
        "created and revoked times: {li}"
    );
}

#[test]
fn history_lists_the_revisions_of_imports_with_who_and_what_changed() {
    let env = Env::new();
    env.init();
    let h = env.ok(&["history", "gdupt"]);
    assert!(h.contains("init") && h.contains("import"), "{h}");
    // Change one site by re-importing an edited export.
    let csv = env.path("sites.csv");
    env.ok_line("export --format csv --lang en -o {path}", &csv);
    let text = std::fs::read_to_string(&csv).unwrap();
    let edited = text.replacen(
        "广东石油化工学院,Guangdong University",
        "广东石油化工学院（改）,Guangdong University",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&csv, edited).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["import", csv.to_str().unwrap()])
        .env("ATLAS_DB", env.db())
        .env("USER", "wang_wu")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h = env.ok(&["history", "gdupt"]);
    let first = h
        .lines()
        .find(|l| l.contains("cli:wang_wu"))
        .unwrap_or_else(|| panic!("{h}"));
    assert!(
        first.contains("import") && first.contains("name_zh"),
        "{first}"
    );
    assert!(h.contains("version 2"), "{h}");
    let out = env.atlas(&["history", "no-such-site"]);
    assert!(!out.status.success());
}

#[test]
fn check_lists_the_records_not_verified_within_a_year() {
    let env = Env::new();
    env.init();
    let out = env.ok(&["check"]);
    let section = out
        .split("not verified within a year")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert!(section.contains("gdupt"), "{section}");
    assert!(section.contains("never verified"), "{section}");
}

#[test]
fn backup_refuses_to_overwrite_and_restore_brings_the_database_back() {
    let env = Env::new();
    env.init();
    let backup = env.path("backup.db");
    let out = env.ok(&["backup", backup.to_str().unwrap()]);
    assert!(out.contains("backed up"), "{out}");
    assert!(
        !env.path("backup.db-wal").exists(),
        "one self-contained file"
    );
    let again = env.atlas(&["backup", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    env.ok(&["backup", "--force", backup.to_str().unwrap()]);

    // Lose data: re-initialise with a user added, then restore.
    env.ok(&["user", "add", "temp", "--role", "editor"]);
    let small = env.path("one.csv");
    std::fs::write(
        &small,
        "id,name_zh,category,kind,source\nnew-one,新站点,innovation_resource,university,test\n",
    )
    .unwrap();
    env.ok(&["import", small.to_str().unwrap()]);
    assert!(env.ok(&["list", "--q", "新站点"]).contains("new-one"));
    let out = env.ok(&["restore", backup.to_str().unwrap()]);
    assert!(out.contains("restored"), "{out}");
    assert!(!env.ok(&["list", "--q", "新站点"]).contains("new-one"));
    assert!(!env.ok(&["user", "list"]).contains("temp"));
    // The database before the restore is kept beside it, and it has the lost data.
    let kept: Vec<PathBuf> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("atlas.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["list", "--q", "新站点"])
        .env("ATLAS_DB", &kept[0])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("new-one"));

    // Files that are not atlas databases are refused, and nothing changes.
    let junk = env.path("junk.db");
    std::fs::write(&junk, "id,name\n1,2\n").unwrap();
    for f in [junk, env.path("missing.db")] {
        let out = env.atlas(&["restore", f.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not a usable atlas database"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(env.ok(&["list", "--q", "石油化工学院"]).contains("gdupt"));
}

#[test]
fn import_indicators_replaces_the_plan_targets_atomically() {
    let env = Env::new();
    env.init();
    let csv = atlas_core::dataset::INDICATORS_CSV;
    let target = |env: &Env| {
        let store = atlas_store::Store::open_readonly(env.db()).unwrap();
        store
            .indicators()
            .unwrap()
            .into_iter()
            .find(|i| i.id == "incubation_platforms")
            .and_then(|i| i.target)
    };
    assert_eq!(target(&env), Some(8.0));
    let changed = csv.replacen(",5,2020,8,>=,2025,count,", ",5,2020,10,>=,2025,count,", 1);
    assert_ne!(changed, csv);
    let file = env.path("indicators.csv");
    std::fs::write(&file, &changed).unwrap();
    let out = env.ok(&["import-indicators", file.to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("nothing written"), "{out}");
    assert_eq!(target(&env), Some(8.0));
    let out = env.ok(&["import-indicators", file.to_str().unwrap()]);
    assert!(out.contains("incubation_platforms"), "{out}");
    assert_eq!(target(&env), Some(10.0));
    // An unknown township in a count filter: refused, named, nothing written.
    let bad = env.path("bad-indicators.csv");
    std::fs::write(&bad, changed.replacen("kind=tech_sme", "town=999999999", 1)).unwrap();
    let out = env.atlas(&["import-indicators", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("999999999"), "{err}");
    assert_eq!(target(&env), Some(10.0));
}

/// A GBK spreadsheet of sites with addresses and no coordinates, as staff keep them.
fn write_gbk_addresses(path: &Path) {
    let text = "编号,名称,类别,类型,来源,地址\n\
        jt-plant,金塘某厂,重点企业,企业,staff list 2026,茂名市茂南区金塘镇工业大道8号\n\
        tq-coop,塘桥合作社,重点企业,企业,staff list 2026,茂南区塘桥村委会旁\n\
        xc-farm,新城农场,重点企业,企业,staff list 2026,茂南区新城村\n\
        xq-lab,西城实验室,创新资源,实验室,staff list 2026,茂名市茂南区西城片区\n";
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_gbk_sheet_of_addresses_lands_on_townships_and_places_nothing_invented() {
    let env = Env::new();
    env.init();
    let file = env.path("addresses.csv");
    write_gbk_addresses(&file);
    let out = env.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("GBK") || out.contains("GB18030"), "{out}");
    assert!(out.contains("jt-plant") && out.contains("金塘镇"), "{out}");
    assert!(
        out.contains("tq-coop") && out.contains("塘桥村"),
        "placed by its village: {out}"
    );
    assert!(
        out.contains("xc-farm") && out.contains("several townships"),
        "{out}"
    );
    let (reader, rows) = env.export_csv_en("out.csv", &[]);
    let col = |name: &str| reader.iter().position(|h| h == name).unwrap();
    let (id, town, lon, lat, precision) = (
        col("id"),
        col("town_code"),
        col("lon"),
        col("lat"),
        col("location_precision"),
    );
    let row = |want: &str| rows.iter().find(|r| &r[id] == want).unwrap().clone();
    let seat = |r: &csv::StringRecord| (r[lon].to_string(), r[lat].to_string());
    let (jt, tq) = (row("jt-plant"), row("tq-coop"));
    assert_eq!(&jt[town], "440902100");
    assert_eq!(
        &tq[town], "440902100",
        "a village under exactly one township"
    );
    assert_eq!(&jt[precision], "town");
    assert_eq!(seat(&jt), seat(&tq), "both at the 金塘镇 seat");
    assert!(!jt[lon].is_empty());
    for unplaced in ["xc-farm", "xq-lab"] {
        let r = row(unplaced);
        assert_eq!(&r[precision], "unknown", "{unplaced}");
        assert!(
            r[lon].is_empty() && r[lat].is_empty(),
            "{unplaced} has no coordinate"
        );
        assert!(r[town].is_empty(), "{unplaced} has no township");
    }
}

#[test]
fn locate_from_address_places_stored_unknown_sites_and_check_counts_them() {
    let env = Env::new();
    env.init();
    let file = env.path("one.csv");
    std::fs::write(
        &file,
        "id,name_zh,category,kind,source,address,location_precision\n\
         tq-coop,塘桥合作社,key_enterprise,enterprise,staff list,茂南区塘桥村委会旁,unknown\n",
    )
    .unwrap();
    env.ok(&["import", file.to_str().unwrap()]);
    let check = env.ok(&["check"]);
    assert!(check.contains("位置待定 unknown"), "{check}");
    let dry = env.ok(&["locate", "--from-address", "--dry-run"]);
    assert!(
        dry.contains("tq-coop") && dry.contains("440902100"),
        "{dry}"
    );
    assert!(dry.contains("nothing written"), "{dry}");
    let listed = env.ok(&["history", "tq-coop"]);
    let revisions_before = listed.lines().count();
    let done = env.ok(&["locate", "--from-address"]);
    assert!(done.contains("tq-coop"), "{done}");
    let out = env.path("after.geojson");
    env.ok(&["export", "--format", "geojson", "-o", out.to_str().unwrap()]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "tq-coop")
        .unwrap();
    assert_eq!(f["properties"]["location_precision"], "town");
    assert_eq!(f["geometry"]["type"], "Point");
    let after = env.ok(&["history", "tq-coop"]);
    assert!(
        after.lines().count() > revisions_before,
        "one more revision:\n{after}"
    );
    // Sites without a location stay without one: nothing else was placed.
    assert!(
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["geometry"].is_null()),
        "the default dataset still has sites with no location"
    );
}

#[test]
fn list_unlocated_is_the_worklist_key_enterprises_and_platforms_first() {
    let env = Env::new();
    env.init();
    let out = env.ok(&["list", "--unlocated"]);
    let pos = |name: &str| out.find(name).unwrap_or_else(|| panic!("{name} in\n{out}"));
    // 中科云粤西产业园 (a carrier platform at its township seat) is on the worklist, before any
    // innovation resource without a location (中国石油大学).
    assert!(
        pos("天源石化") < pos("中科云粤西产业园"),
        "key enterprises first:\n{out}"
    );
    assert!(
        pos("中科云粤西产业园") < pos("中国石油大学"),
        "then platforms:\n{out}"
    );
    let listed_ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split(['│', '┆']).nth(1))
        .map(str::trim)
        .collect();
    assert!(listed_ids.contains(&"tianyuan-petrochemical"), "{out}");
    assert!(
        !listed_ids.contains(&"gdupt"),
        "a site with a building-level point is located:\n{out}"
    );
    let total: usize = 53;
    let listed = out
        .lines()
        .find_map(|l| l.strip_suffix(" 个站点 sites"))
        .and_then(|l| l.split(" / ").next())
        .unwrap()
        .parse::<usize>()
        .unwrap();
    assert!(
        out.contains(&format!("已定位 located {} / {total}", total - listed)),
        "{out}"
    );
    let unknown = env.ok(&["list", "--precision", "unknown"]);
    assert!(unknown.contains("中国石油大学") && !unknown.contains("中科云粤西产业园"));
}

/// `list`, `check` and `serve` on a damaged database: exit 1 with one message naming the file
/// and `atlas restore`, never a panic.
fn assert_damaged_is_reported(env: &Env) {
    let db = env.db().display().to_string();
    for args in [
        &["list"][..],
        &["check"][..],
        &["serve", "--addr", "127.0.0.1:0"][..],
    ] {
        let out = env.atlas(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "atlas {args:?}: {err}");
        assert!(err.contains("数据库文件已损坏"), "atlas {args:?}: {err}");
        assert!(err.contains(&db), "atlas {args:?}: {err}");
        assert!(err.contains("atlas restore"), "atlas {args:?}: {err}");
        assert_eq!(err.matches("damaged").count(), 1, "said once: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_reported_with_its_name_and_atlas_restore() {
    let env = Env::new();
    std::fs::write(env.db(), "这不是数据库 not a database\n".repeat(500)).unwrap();
    assert_damaged_is_reported(&env);
}

#[test]
fn a_database_with_damaged_pages_is_reported_with_its_name_and_atlas_restore() {
    let env = Env::new();
    env.ok(&["init"]);
    // Every page but the first (the header and the schema) overwritten.
    let mut bytes = std::fs::read(env.db()).unwrap();
    assert!(bytes.len() > 8192, "the database is in its main file");
    for b in &mut bytes[4096..] {
        *b = 0x5a;
    }
    std::fs::write(env.db(), bytes).unwrap();
    assert_damaged_is_reported(&env);
}

#[test]
fn gpkg_export_writes_a_geopackage_of_the_filter_and_refuses_standard_output() {
    let env = Env::new();
    env.init();
    let out = env.path("石化.gpkg");
    env.ok_line("export --format gpkg --chain petrochemical -o {path}", &out);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(&bytes[68..72], b"GPKG", "application_id");
    let (_, rows) = env.export_csv_en("石化.csv", &["--chain", "petrochemical"]);
    match Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&out)
        .output()
    {
        Ok(info) => {
            let text = String::from_utf8(info.stdout).unwrap();
            assert!(
                text.contains(&format!("Feature Count: {}", rows.len())),
                "{text}"
            );
            assert!(text.contains("产业链: String"), "{text}");
        }
        Err(_) => eprintln!("ogrinfo not installed: the layer's count is not checked"),
    }
    let refused = env.atlas(&["export", "--format", "gpkg", "-o", "-"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("-o FILE.gpkg"));
    // Nothing but the two exports and the database.
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("atlas.db"))
        .collect();
    names.sort();
    assert_eq!(names, ["石化.csv", "石化.gpkg"]);
}

#[test]
fn export_in_cgcs2000_with_a_cql2_filter_declares_epsg_4490_in_geojson_and_geopackage() {
    let env = Env::new();
    env.init();
    let cql = "chain = 'petrochemical' AND status = 'operating'";
    let (_, by_cql) = env.export_csv_en("cql.csv", &["--filter", cql]);
    let (_, by_flags) = env.export_csv_en(
        "flags.csv",
        &["--chain", "petrochemical", "--status", "operating"],
    );
    assert!(!by_cql.is_empty());
    assert_eq!(
        by_cql, by_flags,
        "the CQL2 filter selects what the flags do"
    );

    let geojson = env.path("c.geojson");
    let args = ["--crs", "cgcs2000", "--filter", cql, "-o"];
    let path = geojson.to_str().unwrap();
    env.ok(&[&["export", "--format", "geojson"], &args[..], &[path]].concat());
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
    assert_eq!(
        fc["crs"]["properties"]["name"],
        "urn:ogc:def:crs:EPSG::4490"
    );
    assert_eq!(fc["features"].as_array().unwrap().len(), by_cql.len());
    let located = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| !f["geometry"].is_null())
        .unwrap();
    assert_eq!(located["properties"]["crs"], "cgcs2000");
    // (lon, lat), as GeoJSON orders them whatever the CRS.
    assert_eq!(
        located["geometry"]["coordinates"][0],
        located["properties"]["lon"]
    );

    let gpkg = env.path("c.gpkg");
    let path = gpkg.to_str().unwrap();
    env.ok(&[&["export", "--format", "gpkg"], &args[..], &[path]].concat());
    match Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&gpkg)
        .output()
    {
        Ok(info) => {
            let text = String::from_utf8(info.stdout).unwrap();
            assert!(text.contains(r#"ID["EPSG",4490]"#), "{text}");
            assert!(
                text.contains(&format!("Feature Count: {}", by_cql.len())),
                "{text}"
            );
        }
        Err(_) => eprintln!("ogrinfo not installed: the layer's SRS is not checked"),
    }
    let kml = env.atlas(&["export", "--format", "kml", "--crs", "cgcs2000", "-o", "-"]);
    assert!(!kml.status.success(), "KML is WGS84 by definition");
}
