#![allow(clippy::unwrap_used)]
//! Never losing data, with the real `atlas` binary: a process killed with SIGKILL in the middle
//! of a large import (the command line's and the server's) leaves a database that opens, passes
//! `PRAGMA integrity_check` and holds all of the import or none of it; tokens never reach the
//! server's log.

use atlas_core::dataset::Reference;
use atlas_core::export::{export_sites, ExportMeta};
use atlas_core::{ExportFormat, HeaderLang, SiteFilter};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn atlas(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atlas"));
    c.env("ATLAS_DB", db).env_remove("RUST_LOG");
    c
}

/// Runs an `atlas` command that must succeed (its stderr otherwise) and returns its stdout.
fn succeeds(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// `n` synthetic sites with ids `{prefix}{i}` as a CSV file (the export writer: what staff
/// would import).
fn synthetic_csv(path: &Path, n: usize, seed: u64, prefix: &str) {
    let r = Reference::embedded().unwrap();
    let mut sites = atlas_store::synth::sites_with(&r, n, seed);
    for (i, s) in sites.iter_mut().enumerate() {
        s.id = atlas_core::SiteId::new(format!("{prefix}{i}")).unwrap();
    }
    let meta = ExportMeta::new(
        "synthetic",
        &SiteFilter::default(),
        chrono::Utc::now().fixed_offset(),
        "test",
    );
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    export_sites(
        ExportFormat::Csv,
        file,
        sites.iter().map(Ok::<_, std::io::Error>),
        &r.context(today()),
        HeaderLang::En,
        &meta,
    )
    .unwrap();
}

fn wal_of(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(wal_of(db)).map(|m| m.len()).unwrap_or(0)
}

/// Waits until the WAL holds more than `bytes` beyond `base` (the import's transaction is
/// spilling pages, or committing) or `limit` passes; then kills `child` with SIGKILL. Returns
/// whether the child was still running when killed.
fn kill_mid_write(child: &mut Child, db: &Path, base: u64, bytes: u64, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if wal_len(db) > base + bytes {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let running = child.try_wait().unwrap().is_none();
    // `Child::kill` is SIGKILL on Unix: no destructor, no rollback, no checkpoint runs.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if running {
            assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
        }
    }
    running
}

/// Opens the database after the kill: it must pass the integrity check; returns the number of
/// sites and revisions.
fn survivors(db: &Path) -> (u64, u64) {
    // The check runs before anything opens the file read-write (which would recover the WAL
    // itself); a read-only connection replays it in memory.
    atlas_store::check_database(db).unwrap();
    let store = atlas_store::Store::open(db).unwrap();
    let sites = store.count(&SiteFilter::default()).unwrap();
    let revisions = store.revision_count().unwrap();
    drop(store);
    atlas_store::check_database(db).unwrap();
    (sites, revisions)
}

#[test]
fn a_cli_import_killed_with_sigkill_leaves_all_of_it_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let (before, before_revisions) = survivors(&db);
    // Large enough for the bulk path (indexes dropped and rebuilt inside the transaction) and
    // for the writing to take a while; the debug binary spends most of the time parsing.
    let n = 100_000;
    let csv = dir.path().join("big.csv");
    synthetic_csv(&csv, n, 17, "big-");

    let mut child = atlas(&db)
        .args(["import", csv.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = kill_mid_write(
        &mut child,
        &db,
        wal_len(&db),
        1 << 20,
        Duration::from_secs(600),
    );
    assert!(running, "the import was killed while it ran");
    assert!(
        wal_len(&db) > 0,
        "the import had written to the WAL when it was killed"
    );
    let (sites, revisions) = survivors(&db);
    assert!(
        (sites, revisions) == (before, before_revisions)
            || (sites, revisions) == (before + n as u64, before_revisions + n as u64),
        "{sites} sites and {revisions} revisions: neither all ({} / {}) nor none ({before} / \
         {before_revisions})",
        before + n as u64,
        before_revisions + n as u64
    );
    // The database works on: another import completes.
    let small = dir.path().join("small.csv");
    synthetic_csv(&small, 500, 99, "small-");
    succeeds(atlas(&db).args(["import", small.to_str().unwrap()]));
    assert_eq!(survivors(&db).0, sites + 500);
}

/// Starts `atlas serve` on a free port; returns the child and its base URL (read from the
/// line it prints) and a thread collecting its standard error (the request log).
fn serve(db: &Path) -> (Child, String, std::thread::JoinHandle<String>) {
    serve_with(atlas(db))
}

/// [`serve`] with the command `cmd` (an `atlas` command with its environment).
fn serve_with(mut cmd: Command) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = cmd
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints later (a closed pipe would be an error for the server).
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = out.read_to_string(&mut rest);
    });
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (child, url, log)
}

fn add_user(db: &Path, name: &str, role: &str) -> String {
    succeeds(atlas(db).args(["user", "add", name, "--role", role]))
        .trim()
        .to_string()
}

fn multipart(file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "durability-boundary-1f2e";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn a_server_killed_with_sigkill_during_an_import_leaves_all_of_it_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let token = add_user(&db, "importer", "editor");
    let (before, before_revisions) = survivors(&db);
    // As large as an upload may be (20 MiB).
    let n = 15_000;
    let csv = dir.path().join("upload.csv");
    synthetic_csv(&csv, n, 23, "upload-");
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.len() < 20 << 20, "{} bytes", bytes.len());
    let (mut server, url, _log) = serve(&db);
    let (ct, body) = multipart("upload.csv", &bytes);
    let base = wal_len(&db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = std::thread::spawn(move || {
        rt.block_on(async move {
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(format!("{url}/api/v1/import"))
                .bearer_auth(token)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .map(|r| r.status())
        })
    });
    let running = kill_mid_write(&mut server, &db, base, 256 << 10, Duration::from_secs(300));
    assert!(running, "the server was killed while it ran");
    // The client sees the connection drop (or, if the import had finished, its answer).
    let _ = request.join().unwrap();
    let (sites, revisions) = survivors(&db);
    assert!(
        (sites, revisions) == (before, before_revisions)
            || (sites, revisions) == (before + n as u64, before_revisions + n as u64),
        "{sites} sites, {revisions} revisions after the kill (before: {before}, \
         {before_revisions}; import of {n})"
    );
}

#[test]
fn tokens_never_reach_the_server_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let token = add_user(&db, "logcheck", "editor");
    let secret = token.split_once('.').unwrap().1.to_string();
    let (mut server, url, log) = serve(&db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::builder().no_proxy().build().unwrap();
        // A good token, a wrong one, and tokens put where they do not belong (query string).
        for (path, t) in [
            ("/api/v1/auth/me", token.clone()),
            ("/api/v1/sites/gdupt/verify", token.clone()),
            ("/api/v1/auth/me", format!("logcheck.{secret}x")),
        ] {
            let _ = c
                .request(
                    if path.ends_with("verify") {
                        reqwest::Method::POST
                    } else {
                        reqwest::Method::GET
                    },
                    format!("{url}{path}"),
                )
                .bearer_auth(&t)
                .send()
                .await
                .unwrap();
        }
        for q in [
            format!("/api/v1/auth/me?access_token={token}"),
            format!("/api/v1/sites?token={token}"),
        ] {
            let r = c.get(format!("{url}{q}")).send().await.unwrap();
            assert!(r.status().is_client_error(), "{q}: {}", r.status());
        }
    });
    // SIGTERM would be gentler, but the log is complete either way: it is written per line.
    std::thread::sleep(Duration::from_millis(200));
    server.kill().unwrap();
    server.wait().unwrap();
    let log = log.join().unwrap();
    assert!(
        log.contains("/api/v1/auth/me"),
        "the log has the paths:\n{log}"
    );
    assert!(log.contains("authentication failed"), "{log}");
    assert!(
        !log.contains(&secret),
        "a token's secret is in the log:\n{log}"
    );
    assert!(
        !log.contains("access_token="),
        "a query string is in the log:\n{log}"
    );
    assert!(
        !log.to_ascii_lowercase().contains("authorization:"),
        "{log}"
    );
}

/// A database at `path` holding the default dataset and `n` synthetic sites (written in this
/// process, through the store).
fn database_with(path: &Path, n: usize, seed: u64) -> u64 {
    let mut store = atlas_store::Store::open(path).unwrap();
    store.load_default(today()).unwrap();
    store
        .import_sites(&atlas_store::synth::sites(n, seed))
        .unwrap();
    let count = store.count(&SiteFilter::default()).unwrap();
    drop(store);
    count
}

/// The size of the first file in `dir` whose name starts with `prefix`.
fn partial_len(dir: &Path, prefix: &str) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_backup_killed_with_sigkill_leaves_no_backup_or_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    let sites = database_with(&db, 60_000, 5);
    let dest = dir.path().join("backup.db");
    let mut child = atlas(&db)
        .args(["backup", dest.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while partial_len(dir.path(), "backup.db.partial") < 1 << 20
        && start.elapsed() < Duration::from_secs(600)
        && child.try_wait().unwrap().is_none()
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(running, "the backup was killed while it ran");
    // No backup, or a whole one: never half a file under the backup's name.
    if dest.exists() {
        atlas_store::check_database(&dest).unwrap();
        let copy = atlas_store::Store::open_readonly(&dest).unwrap();
        assert_eq!(copy.count(&SiteFilter::default()).unwrap(), sites);
    }
    // The database is untouched, and the next backup is whole.
    assert_eq!(survivors(&db).0, sites);
    succeeds(atlas(&db).args(["backup", dest.to_str().unwrap(), "--force"]));
    atlas_store::check_database(&dest).unwrap();
}

/// Runs `script` with `sh` in a user and mount namespace of its own (`unshare -rm`), where it
/// may mount a small tmpfs as a full disk; `None` where the system allows no such namespace
/// (the script exits 99 where it may not mount).
fn in_own_mounts(script: &str, db: &Path) -> Option<std::process::Output> {
    let allowed = Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !allowed {
        return None;
    }
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .env("ATLAS", env!("CARGO_BIN_EXE_atlas"))
        .env("ATLAS_DB", db)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    Some(out)
}

/// GET `url`: status and body.
fn get(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// The database file's bytes once the server's work after its start (a checkpoint of the
/// write-ahead log, merges of the full-text index, on a thread of their own) has settled: the
/// same in two reads half a second apart.
fn settled_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut last = std::fs::read(db).unwrap();
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = std::fs::read(db).unwrap();
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the database file never stopped changing");
}

#[test]
fn a_full_disk_during_a_backup_leaves_no_partial_file_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let full = dir.path().join("small");
    std::fs::create_dir(&full).unwrap();
    let (mut server, url, _log) = serve(&db);
    let sites = format!("{url}/api/v1/sites?limit=1000");
    let before = get(&sites);
    assert_eq!(before.0, 200);
    let (survived, bytes) = (survivors(&db), settled_bytes(&db));
    assert!(
        bytes.len() > 512 << 10,
        "larger than the disk: {}",
        bytes.len()
    );

    // A disk of 256 KiB: the copy fills it half-way.
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs '{}' || exit 99; \
         \"$ATLAS\" backup '{}/backup.db'; echo \"exit=$?\"; ls -A '{}'",
        full.display(),
        full.display(),
        full.display()
    );
    let out = in_own_mounts(&script, &db).filter(|o| o.status.code() != Some(99));
    let Some(out) = out else {
        eprintln!("skipped: no mount namespace (unshare -rm) with a tmpfs on this system");
        server.kill().unwrap();
        return;
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // Exit 1, and nothing at all left on the full disk (no backup, no partial file).
    assert_eq!(stdout.trim(), "exit=1", "{stderr}");
    assert!(stderr.contains("备份未完成"), "{stderr}");
    assert!(stderr.contains("磁盘已满"), "{stderr}");
    assert_eq!(stderr.matches("full").count(), 1, "said once: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // The database is untouched and the server goes on serving it.
    assert_eq!(get(&sites), before);
    assert_eq!(survivors(&db), survived);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_restore_killed_with_sigkill_leaves_the_old_database_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let (old, _) = survivors(&db);
    let backup = dir.path().join("big.db");
    let new = database_with(&backup, 60_000, 6);
    let mut child = atlas(&db)
        .args(["restore", backup.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = kill_mid_write(
        &mut child,
        &db,
        wal_len(&db),
        1 << 20,
        Duration::from_secs(600),
    );
    assert!(running, "the restore was killed while it ran");
    let (sites, _) = survivors(&db);
    assert!(
        sites == old || sites == new,
        "{sites} sites: neither the old database ({old}) nor the new one ({new})"
    );
    // A restore run again completes.
    succeeds(atlas(&db).args(["restore", backup.to_str().unwrap()]));
    assert_eq!(survivors(&db).0, new);
}

/// The environment of process `pid` (Linux), as `NAME=value` strings.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn environ_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    raw.split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_server_runs_with_two_malloc_arenas_unless_the_environment_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    // Started plainly: the same process (same pid) serves, with the settings set.
    let (mut server, url, _log) = serve(&db);
    let env = environ_of(server.id());
    // glibc cuts the variable at its `:` in place when it reads it.
    let tunables = env
        .iter()
        .position(|v| v == "GLIBC_TUNABLES=glibc.malloc.arena_max=2");
    assert!(
        tunables
            .is_some_and(|i| env.get(i + 1).map(String::as_str)
                == Some("glibc.malloc.mmap_threshold=1048576")),
        "{env:?}"
    );
    assert!(
        env.iter().any(|v| v.starts_with("ATLAS_DB=")),
        "the rest of the environment is kept"
    );
    assert_eq!(get(&format!("{url}/healthz")).0, 200);
    server.kill().unwrap();
    server.wait().unwrap();
    // The operator's own choice is left alone.
    for (var, value) in [
        ("GLIBC_TUNABLES", "glibc.malloc.arena_max=4"),
        ("MALLOC_ARENA_MAX", "3"),
    ] {
        let mut cmd = atlas(&db);
        cmd.env(var, value);
        let (mut server, url, _log) = serve_with(cmd);
        let env = environ_of(server.id());
        assert!(env.contains(&format!("{var}={value}")), "{env:?}");
        if var == "MALLOC_ARENA_MAX" {
            assert!(
                !env.iter().any(|v| v.starts_with("GLIBC_TUNABLES=")),
                "{env:?}"
            );
        }
        assert_eq!(get(&format!("{url}/healthz")).0, 200);
        server.kill().unwrap();
        server.wait().unwrap();
    }
}

/// The `nice` value of each thread of process `pid`, by thread name.
#[cfg(target_os = "linux")]
fn thread_nice_of(pid: u32) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = task.unwrap().path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        // Fields after the command's closing parenthesis start at field 3 (state); nice is 19.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        if let Some(nice) = rest.split_whitespace().nth(16).and_then(|v| v.parse().ok()) {
            out.push((name.trim().to_string(), nice));
        }
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn a_server_saves_at_a_higher_cpu_priority_than_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    succeeds(atlas(&db).arg("init"));
    let (mut server, url, _log) = serve(&db);
    assert_eq!(get(&format!("{url}/api/v1/sites?limit=1")).0, 200);
    let threads = thread_nice_of(server.id());
    let writer: Vec<i64> = threads
        .iter()
        .filter(|(n, _)| n == "atlas-writer")
        .map(|(_, v)| *v)
        .collect();
    let runtime: Vec<i64> = threads
        .iter()
        .filter(|(n, _)| n.starts_with("tokio-"))
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(writer.len(), 1, "one writer thread: {threads:?}");
    assert!(!runtime.is_empty(), "{threads:?}");
    // The runtime's threads (requests and reads) run ten steps below the writer.
    assert!(runtime.iter().all(|v| *v == writer[0] + 10), "{threads:?}");
    server.kill().unwrap();
    server.wait().unwrap();
}
