#!/usr/bin/env bash
# Side by side (issue 13): atlas against the tool a user would pick instead, Datasette, on the
# same database file and the same queries. Creates a database with the default dataset plus N
# synthetic sites (crates/store/examples/synth_db.rs), serves that one file with `atlas serve`
# and with `datasette serve -i` (immutable: the fastest way Datasette serves a file that does not
# change), both on 127.0.0.1 (free ports), and for each query below:
#   1. checks, before any timing, that both answer the same: the same total count and, for
#      pages, the same ids in the same order (40 random map views, 20 random ids, one missing
#      id, the CSV's row count) — any difference stops the script;
#   2. times it with wrk (the CSV export with a small Python client: one export can outlast a
#      run) at 1 and 8 connections, SECONDS_PER_RUN seconds each after a WARMUP_SECONDS warm-up.
# Prints a Markdown table on stdout (progress on stderr): requests/s, p50 and p99 of each tool
# and the ratio of their requests/s. Traffic stays on 127.0.0.1; every run is bounded in time.
#
# The queries (atlas request; Datasette: a canned query of the generated metadata.yml, written
# as the best SQL a Datasette user reading the schema would write, answered as `_shape=array`):
#   - map view + chain: a page of 100 with its total count, bbox = a random BOX_DEG° box in the
#     district, chain=CHAIN. SQL: the R*Tree `sites_rtree` (1e-7° integers, boxes rounded
#     outwards) narrows, the exact test on the stored bounds decides, the chain through
#     `chain_set_refs`; the page's keys sorted in list order (category_rank, name_zh, id), the
#     count over the same materialized CTE, the columns joined for the 100 rows only.
#   - category page: category=CATEGORY, limit=100, offset=OFFSET, with the total. SQL: on the
#     list index `sites_order` through `category_rank` (a plain `category =` scans the table:
#     ~20× slower), same shape.
#   - search q=Q (a 2-character Chinese word): atlas's `q` is a case-insensitive substring of
#     each site's search text (name, English name, address, notes, kind labels), stored
#     lowercased in `sites.search_text` (crates/store/src/index/search.rs); `sites_fts` holds
#     atlas's own bigram tokens, so for a 2-character Chinese word the FTS phrase `"石化"` finds
#     exactly the sites containing it. SQL: that MATCH narrows, `instr(search_text, lower(:q))`
#     decides. That phrase is right for a 2-character Chinese Q only (longer words are phrases
#     of bigrams, ASCII words of trigrams): another Q makes the counts differ, and the script
#     stops there.
#   - site by id: a random synthetic id. SQL: `WHERE s.id = :id` (unique index `sites_id`).
#   - CSV export of EXPORT_CATEGORY + EXPORT_CHAIN: atlas `/api/v1/export?format=csv&…`;
#     Datasette's way to export every matching row is its table view streamed
#     (`sites.csv?_stream=on`, pages of 1000 by rowid), `category=` plus `_where=` for the chain,
#     `_col=` for the export's columns and `_labels=on` for the township names (the chains column
#     is not in the `sites` table; a canned query's CSV stops at `max_returned_rows`).
# Datasette settings: sql_time_limit_ms 60000 (no query cut short), max_csv_mb 0 (no size cap);
# its SQL threads are its default (3). Datasette's JSON rows are the table's columns (the chains
# from `chain_sets`, the township name from `divisions`); atlas writes GeoJSON Features with
# labels — about the same bytes, not the same format.
#
# pygeoapi (for /ogc) is left out: its SQLite provider serves only a SpatiaLite or GeoPackage
# file (it loads mod_spatialite and reads the layer's geometry column from `geometry_columns`
# or `gpkg_geometry_columns`), and its OGR provider needs GDAL's Python bindings (no wheel on
# PyPI; Debian's are for the system Python) and would read lon/lat through a VRT with a scan
# per request. Either way it would not serve this database file as it is: it would need a
# geometry column written into (a copy of) it, which is no longer the same file.
#
# Datasette (with pysqlite3-binary: the database's FTS5 table uses `contentless_delete`, which
# needs SQLite ≥ 3.43, newer than this Python's) is installed with pip into a venv under
# VENV_DIR (default ~/.cache/atlas-bench-compare) when it is missing; the script says so.
#
#   scripts/bench-compare.sh                          # 100 000 sites, release build, 5 s runs
#   BIN=target/release/atlas SYNTH=target/release/examples/synth_db N=1000000 scripts/bench-compare.sh
#   BIN=target/release/atlas SYNTH=target/release/examples/synth_db N=20000 SECONDS_PER_RUN=2 \
#     WARMUP_SECONDS=1 scripts/bench-compare.sh      # a smoke test
#   KEEP=1 scripts/bench-compare.sh                   # keep the work directory (db, metadata, logs)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
SEED="${SEED:-42}"
RUN_S="${SECONDS_PER_RUN:-5}"
WARM_S="${WARMUP_SECONDS:-2}"
BOX_DEG="${BOX_DEG:-0.05}"
CHAIN="${CHAIN:-petrochemical}"
CATEGORY="${CATEGORY:-key_enterprise}"
OFFSET="${OFFSET:-2000}"
Q="${Q:-石化}"
EXPORT_CATEGORY="${EXPORT_CATEGORY:-carrier_platform}"
EXPORT_CHAIN="${EXPORT_CHAIN:-petrochemical}"
# One export may take longer than a run (Datasette at 1M sites): each is bounded by this.
EXPORT_TIMEOUT_S="${EXPORT_TIMEOUT_S:-300}"
VENV_DIR="${VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/atlas-bench-compare}"
DATASETTE_VERSION="${DATASETTE_VERSION:-0.65.5}"

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
require_tools wrk curl python3

bench_binaries release

# Datasette in its own venv, installed once.
DS_VENV="$VENV_DIR/datasette"
if ! "$DS_VENV/bin/python" -c 'import datasette, pysqlite3' 2>/dev/null; then
  echo "== installing datasette $DATASETTE_VERSION and pysqlite3-binary with pip into $DS_VENV" >&2
  mkdir -p "$VENV_DIR"
  python3 -m venv "$DS_VENV"
  timeout 600 "$DS_VENV/bin/pip" install -q "datasette==$DATASETTE_VERSION" pysqlite3-binary >&2
fi
DS_SQLITE="$("$DS_VENV/bin/python" -c 'import datasette.utils.sqlite as s; print(".".join(map(str, s.sqlite_version())))')"
DS_VERSION="$("$DS_VENV/bin/datasette" --version | awk '{ print $NF }')"

bench_workdir atlas-compare
DS_PID=""
compare_cleanup() {
  if [ -n "$DS_PID" ] && kill -0 "$DS_PID" 2>/dev/null; then
    kill -TERM "$DS_PID" 2>/dev/null || true
    wait "$DS_PID" 2>/dev/null || true
  fi
  bench_cleanup
}
trap compare_cleanup EXIT

echo "== database: default dataset + $N synthetic sites (seed $SEED)" >&2
timeout 1800 "$SYNTH" "$WORK/bench.db" "$N" "$SEED" >&2

echo "== starting atlas serve" >&2
start_server
ATLAS="$BASE"

# The canned queries. A page is its keys in list order, then the columns of those rows; its
# count is over the same CTE (a window `count(*) OVER ()` joins every match's columns: 1.3×
# slower for a map view at 100k sites, 100× for the category page).
COLS="s.id, s.name_zh, s.name_en, s.category, s.kind, s.level, s.status, s.scope,
            cs.refs AS chains, s.town_code, d.name_zh AS town_name, s.address, s.lon, s.lat,
            s.location_precision, s.location_source, s.area_m2, s.available_area_m2,
            s.established, s.website, s.phone, s.contact, s.source, s.source_quote, s.notes,
            s.original_crs, s.original_lon, s.original_lat, s.outside_district, s.updated_at,
            s.verified_at"
JOINS="LEFT JOIN chain_sets AS cs ON cs.id = s.chainset
          LEFT JOIN divisions AS d ON d.code = s.town_code"
# page_sql MATCHES OFFSET [MATERIALIZED]: a page of 100 of the sites MATCHES selects (pk and
# list key), each row with the total (a page past the end: one row of NULLs with the total). MATERIALIZED (map view, search: 1.5–2× faster at 100k) makes SQLite
# find the matches once for both the page and the count; the category page is faster without
# it (its count is a count of index entries).
page_sql() {
  cat <<SQL
          WITH m AS ${3:-}${3:+ }(
            $1
          )
          SELECT $COLS,
            c.total
          FROM (SELECT count(*) AS total FROM m) AS c
          LEFT JOIN (SELECT pk FROM m ORDER BY category_rank, name_zh, id LIMIT 100 OFFSET $2) AS p
          LEFT JOIN sites AS s ON s.pk = p.pk
          $JOINS
          ORDER BY s.category_rank, s.name_zh, s.id
SQL
}
KEYS="SELECT s.pk, s.category_rank, s.name_zh, s.id"
cat >"$WORK/metadata.yml" <<YAML
databases:
  bench:
    queries:
      map_view:
        sql: |-
$(page_sql "$KEYS
            FROM sites_rtree AS r JOIN sites AS s ON s.pk = r.id
            WHERE r.max_lon >= :min_lon * 1e7 AND r.min_lon <= :max_lon * 1e7
              AND r.max_lat >= :min_lat * 1e7 AND r.min_lat <= :max_lat * 1e7
              AND s.max_lon >= CAST(:min_lon AS REAL) AND s.min_lon <= CAST(:max_lon AS REAL)
              AND s.max_lat >= CAST(:min_lat AS REAL) AND s.min_lat <= CAST(:max_lat AS REAL)
              AND s.chainset IN (SELECT set_id FROM chain_set_refs WHERE chain_id = :chain)" 0 MATERIALIZED)
      category_page:
        sql: |-
$(page_sql "$KEYS
            FROM sites AS s
            WHERE s.category_rank = (SELECT category_rank FROM sites WHERE category = :category LIMIT 1)" "CAST(:offset AS INTEGER)")
      search:
        sql: |-
$(page_sql "$KEYS
            FROM sites AS s
            WHERE s.pk IN (SELECT rowid FROM sites_fts WHERE sites_fts MATCH '\"' || lower(:q) || '\"')
              AND instr(s.search_text, lower(:q)) > 0" 0 MATERIALIZED)
      site:
        sql: |-
          SELECT $COLS
          FROM sites AS s
          $JOINS
          WHERE s.id = :id
YAML

echo "== starting datasette serve -i (datasette $DS_VERSION, SQLite $DS_SQLITE)" >&2
"$DS_VENV/bin/datasette" serve -i "$WORK/bench.db" -h 127.0.0.1 -p 0 -m "$WORK/metadata.yml" \
  --setting sql_time_limit_ms 60000 --setting max_csv_mb 0 >"$WORK/datasette.out" 2>"$WORK/datasette.log" &
DS_PID=$!
DS="$(await_address "$DS_PID" /-/versions.json "$WORK/datasette.out" "$WORK/datasette.log")" \
  || { echo "error: datasette did not start" >&2; exit 1; }
echo "   $DS (pid $DS_PID)" >&2

# The requests, as printf formats (a map view takes min_lon min_lat max_lon max_lat, a site an
# id; the others nothing).
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
QE="$(urlq "$Q")"
EXPORT_WHERE="$(urlq "chainset IN (SELECT set_id FROM chain_set_refs WHERE chain_id = '$EXPORT_CHAIN')")"
EXPORT_COLS="id name_zh name_en category kind level status scope town_code address lon lat
  location_precision location_source polygon_wkt area_m2 available_area_m2 established website phone
  contact source source_quote notes original_crs original_lon original_lat outside_district
  updated_at verified_at"
DS_COLS="$(for c in $EXPORT_COLS; do printf '&_col=%s' "$c"; done)"
ATLAS_MAP="/api/v1/sites?chain=$CHAIN&limit=100&bbox=%.4f,%.4f,%.4f,%.4f"
DS_MAP="/bench/map_view.json?_shape=array&chain=$CHAIN&min_lon=%.4f&min_lat=%.4f&max_lon=%.4f&max_lat=%.4f"
ATLAS_CAT="/api/v1/sites?category=$CATEGORY&limit=100&offset=$OFFSET"
DS_CAT="/bench/category_page.json?_shape=array&category=$CATEGORY&offset=$OFFSET"
ATLAS_Q="/api/v1/sites?q=$QE&limit=100"
DS_Q="/bench/search.json?_shape=array&q=$QE"
ATLAS_ID="/api/v1/sites/%s"
DS_ID="/bench/site.json?_shape=array&id=%s"
ATLAS_CSV="/api/v1/export?format=csv&category=$EXPORT_CATEGORY&chain=$EXPORT_CHAIN"
DS_CSV="/bench/sites.csv?_stream=on&category=$EXPORT_CATEGORY&_where=$EXPORT_WHERE&_labels=on$DS_COLS"

district_box

# Same answers before any timing: totals and page ids of 40 random map views (Python's own
# sequence), the category page, the search; 20 random ids and a missing one; the CSV's rows.
echo "== checking that both answer the same" >&2
CHECKED="$(python3 - "$ATLAS" "$DS" "$W" "$S" "$E" "$NN" "$BOX_DEG" "$N" <<PY
import csv, io, json, random, sys, urllib.error, urllib.request
atlas, ds = sys.argv[1:3]
w, s, e, n, d = map(float, sys.argv[3:8])
count = int(sys.argv[8])
def get(url):
    try:
        with urllib.request.urlopen(url, timeout=$EXPORT_TIMEOUT_S) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
def fail(what, a, b):
    sys.exit(f"error: {what}: atlas {a!r}, datasette {b!r}")
def page(what, a_path, d_path):
    code, body = get(atlas + a_path)
    if code != 200:
        fail(what + " status", code, None)
    fc = json.loads(body)
    code, body = get(ds + d_path)
    if code != 200:
        sys.exit(f"error: {what}: datasette answered {code}: {body[:500]!r}")
    rows = json.loads(body)
    total = rows[0]["total"]
    if fc["numberMatched"] != total:
        fail(what + " total", fc["numberMatched"], total)
    a_ids = [f["id"] for f in fc["features"]]
    d_ids = [r["id"] for r in rows if r["id"] is not None]
    if a_ids != d_ids:
        fail(what + " page ids", a_ids[:5], d_ids[:5])
    return total
rng = random.Random(7)
boxes = []
for _ in range(40):
    x = w + rng.random() * (e - w - d)
    y = s + rng.random() * (n - s - d)
    box = (x, y, x + d, y + d)
    boxes.append(page(f"map view {box}", "$ATLAS_MAP" % box, "$DS_MAP" % box))
boxes.sort()
cat = page("category page", "$ATLAS_CAT", "$DS_CAT")
q = page("search", "$ATLAS_Q", "$DS_Q")
for i in [rng.randrange(count) for _ in range(20)] + [-1]:
    sid = f"synth-{i:07d}" if i >= 0 else "no-such-site"
    code, body = get(atlas + "$ATLAS_ID" % sid)
    a = json.loads(body)["id"] if code == 200 else None
    code, body = get(ds + "$DS_ID" % sid)
    rows = json.loads(body) if code == 200 else None
    b = rows[0]["id"] if rows else None
    if a != b or (i >= 0 and a != sid):
        fail(f"site {sid}", a, b)
def csv_rows(body):
    r = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    next(r)
    return sum(1 for _ in r)
code_a, body_a = get(atlas + "$ATLAS_CSV")
code_d, body_d = get(ds + "$DS_CSV")
if (code_a, code_d) != (200, 200):
    fail("CSV export status", code_a, code_d)
rows = csv_rows(body_a)
if rows != csv_rows(body_d):
    fail("CSV export rows", rows, csv_rows(body_d))
print(f"map views: median {boxes[len(boxes) // 2]} matches, max {boxes[-1]}; "
      f"category page: {cat} matches; search: {q} matches; CSV export: {rows} rows "
      f"({len(body_a) / 1e6:.1f} MB from atlas, {len(body_d) / 1e6:.1f} MB from datasette)")
PY
)"
echo "   same totals, pages, sites and rows: $CHECKED" >&2

# lua_random FILE FORMAT box|id: a wrk script asking for FORMAT filled with a random box of the
# district (as bench-server.sh) or a random synthetic id; the same sequence for both tools.
lua_random() {
  if [ "$3" = box ]; then
    cat >"$1" <<LUA
math.randomseed(7)
request = function()
  local x = $W + math.random() * ($E - $W - $BOX_DEG)
  local y = $S + math.random() * ($NN - $S - $BOX_DEG)
  return wrk.format("GET", string.format("$2", x, y, x + $BOX_DEG, y + $BOX_DEG))
end
LUA
  else
    cat >"$1" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("$2", string.format("synth-%07d", math.random(0, $N - 1))))
end
LUA
  fi
}
lua_random "$WORK/atlas-map.lua" "$ATLAS_MAP" box
lua_random "$WORK/ds-map.lua" "$DS_MAP" box
lua_random "$WORK/atlas-id.lua" "$ATLAS_ID" id
lua_random "$WORK/ds-id.lua" "$DS_ID" id

# run_wrk NAME TOOL CONNECTIONS URL [wrk args…]: a warm-up, then one bounded run; appends
# "NAME<TAB>CONNECTIONS<TAB>TOOL<TAB>requests/s<TAB>p50<TAB>p99" to rows.tsv.
run_wrk() {
  local name="$1" tool="$2" conns="$3" url="$4"
  shift 4
  local threads=1
  [ "$conns" -gt 1 ] && threads=2
  wrk -t"$threads" -c"$conns" -d"${WARM_S}s" --timeout 30s "$@" "$url" >/dev/null
  local out="$WORK/wrk-$tool-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_')-c$conns.txt"
  # (a later --timeout overrides wrk_checked's 10 s)
  wrk_checked "$tool, $name, c=$conns" "$out" -t"$threads" -c"$conns" -d"${RUN_S}s" --timeout 30s "$@" "$url"
  local rps p50 p99
  read -r rps p50 p99 _ < <(wrk_figures "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$tool" "$rps" "$p50" "$p99" >>"$WORK/rows.tsv"
}

# run_client NAME TOOL CONNECTIONS URL: as run_wrk, for large downloads: CONNECTIONS threads
# each fetching URL (read to the end) until RUN_S has passed; a request started in time may
# finish later, bounded by EXPORT_TIMEOUT_S. One request per thread first, untimed.
run_client() {
  python3 - "$@" "$RUN_S" "$EXPORT_TIMEOUT_S" <<'PY' >>"$WORK/rows.tsv"
import sys, threading, time, urllib.request
name, tool, conns, url, run_s, timeout = sys.argv[1:]
conns, run_s, timeout = int(conns), float(run_s), float(timeout)
def fetch():
    with urllib.request.urlopen(url, timeout=timeout) as r:
        if r.status != 200:
            raise RuntimeError(f"status {r.status}")
        while r.read(1 << 16):
            pass
times, lock = [], threading.Lock()
# Every thread fetches once (warm-up), then all start the clock together.
t0 = []
barrier = threading.Barrier(conns, action=lambda: t0.append(time.monotonic()))
errors = []
def timed():
    try:
        fetch()
        barrier.wait()
        while time.monotonic() < t0[0] + run_s:
            t = time.monotonic()
            fetch()
            with lock:
                times.append(time.monotonic() - t)
    except Exception as e:  # a failed request fails the run
        errors.append(e)
        barrier.abort()
threads = [threading.Thread(target=timed) for _ in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    raise SystemExit(f"error: {tool}, {name}, c={conns}: {errors[0]!r}")
elapsed = time.monotonic() - t0[0]
if not times:
    raise SystemExit(f"error: {tool}, {name}: no request finished")
times.sort()
pct = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
print("\t".join([name, str(conns), tool, f"{len(times) / elapsed:.2f}", f"{pct(0.5):.2f}", f"{pct(0.99):.2f}"]))
PY
}

wait_quiet 300
echo "== load runs (${RUN_S} s each after ${WARM_S} s warm-up; load average $LOAD_BEFORE)" >&2
: >"$WORK/rows.tsv"
for c in 1 8; do
  run_wrk "map view + chain, page of 100 + count" atlas "$c" "$ATLAS/" -s "$WORK/atlas-map.lua"
  run_wrk "map view + chain, page of 100 + count" datasette "$c" "$DS/" -s "$WORK/ds-map.lua"
  run_wrk "category page, offset $OFFSET, 100 + count" atlas "$c" "$ATLAS$ATLAS_CAT"
  run_wrk "category page, offset $OFFSET, 100 + count" datasette "$c" "$DS$DS_CAT"
  run_wrk "search $Q, page of 100 + count" atlas "$c" "$ATLAS$ATLAS_Q"
  run_wrk "search $Q, page of 100 + count" datasette "$c" "$DS$DS_Q"
  run_wrk "site by id (random)" atlas "$c" "$ATLAS/" -s "$WORK/atlas-id.lua"
  run_wrk "site by id (random)" datasette "$c" "$DS/" -s "$WORK/ds-id.lua"
  run_client "CSV export, $EXPORT_CATEGORY + $EXPORT_CHAIN" atlas "$c" "$ATLAS$ATLAS_CSV"
  run_client "CSV export, $EXPORT_CATEGORY + $EXPORT_CHAIN" datasette "$c" "$DS$DS_CSV"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
cat <<EOF
Side by side, $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git rev-parse --short HEAD), $(nproc) cores ($cpu).
Database: default dataset + $N synthetic sites (seed $SEED), one file served by both: atlas and datasette $DS_VERSION (-i, SQLite $DS_SQLITE).
Map views: random ${BOX_DEG}° boxes in the district with chain=$CHAIN. Checked equal before timing: $CHECKED.
${RUN_S} s per row after ${WARM_S} s warm-up, the client on the same cores (wrk; the CSV export: a Python client). Load average before: $LOAD_BEFORE; after: $LOAD_AFTER.

| query | connections | atlas requests/s | atlas p50 ms | atlas p99 ms | Datasette requests/s | Datasette p50 ms | Datasette p99 ms | atlas ÷ Datasette (requests/s) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$(python3 - "$WORK/rows.tsv" <<'PY'
import sys
rows = {}
order = []
for line in open(sys.argv[1]):
    name, conns, tool, rps, p50, p99 = line.rstrip("\n").split("\t")
    key = (name, conns)
    if key not in rows:
        order.append(key)
    rows.setdefault(key, {})[tool] = (float(rps), float(p50), float(p99))
for key in order:
    a, d = rows[key]["atlas"], rows[key]["datasette"]
    print(f"| {key[0]} | {key[1]} | {a[0]:,.1f} | {a[1]:.2f} | {a[2]:.2f} | {d[0]:,.1f} | {d[1]:.2f} | {d[2]:.2f} | {a[0] / d[0]:.1f}× |")
PY
)
EOF
