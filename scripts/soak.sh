#!/usr/bin/env bash
# The soak test (issue 14): does the server hold under mixed reads while staff edit and import?
# Creates a database with the default dataset plus N synthetic sites (crates/store/examples/
# synth_db.rs), starts `atlas serve` on 127.0.0.1 (a free port), warms it with WARM_S seconds of
# the mixed reads below (so that the memory check sees the load, not the start) and, for SOAK_S
# seconds, runs
#   - mixed reads with wrk at C connections: map views (bbox + chain), bbox pages, chain pages,
#     2-character Chinese searches (石化, 高岭, …), single sites, facets, /ogc pages in a box and
#     at offsets, and CSV and XLSX exports of a small filter;
#   - two editors (scripts/soak-writers.py edit, each on its own half of the sites synth-0 …
#     synth-<EDIT_SITES-1>, which the single-site reads leave alone) that save (PATCH with
#     If-Match), revert, delete and restore, a write every EDIT_PAUSE_S seconds or so;
#   - one import (POST /api/v1/import of a CSV of IMPORT_ROWS new sites made from an export)
#     a third of the way in;
#   - RssAnon of the server (its own memory; VmRSS adds the memory-mapped database) every second.
# Then it checks, and exits 1 with the reason when any check fails:
#   1. wrk: no connection error or timeout, no status other than 2xx (so no 5xx);
#   2. the editors: no failed request; the import: 200 with IMPORT_ROWS inserted;
#   3. exactly one revision per successful write: the revisions of the editors' users are
#      exactly the writes they logged (site, action, version), and the importer's user has one
#      `import` revision per inserted site;
#   4. counts agree: numberMatched of a few filters on the soaked server equals a fresh server's
#      on the same database, and the total equals the start's plus the imported sites and a
#      direct SQLite count;
#   5. PRAGMA integrity_check says ok;
#   6. memory flat: max RssAnon over the last half ≤ max over the first half × 1.10 + 8 MiB
#      (RSS_SLACK_PCT, RSS_SLACK_MB), judged on runs of 20 samples (SOAK_S=20) or more;
#   7. no panic in the server's log.
# Prints a Markdown summary on stdout (progress on stderr). Loopback only; every step bounded.
#
#   scripts/soak.sh                              # release build, 100 000 sites, c=64, 60 s
#   N=2000 WARM_S=3 SOAK_S=10 IMPORT_ROWS=200 scripts/soak.sh   # short: a smoke run of ~30 s
#   BIN=path/to/atlas SYNTH=path/to/synth_db scripts/soak.sh   # given binaries, no build
#   SOAK_S=240 scripts/soak.sh                   # longer (memory growth shows; see BENCHMARKS.md)
#   KEEP=1 scripts/soak.sh                       # keep the work directory (database, logs)
#   IDLE_WAIT_S=0 …                              # do not wait for a quiet machine (default: up to 60 s)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
SEED="${SEED:-42}"
C="${CONNECTIONS:-64}"
SOAK_S="${SOAK_S:-60}"
WARM_S="${WARM_S:-10}"
EDIT_SITES="${EDIT_SITES:-1000}"
EDIT_PAUSE_S="${EDIT_PAUSE_S:-0.05}"
IMPORT_ROWS="${IMPORT_ROWS:-2000}"
BOX_DEG="${BOX_DEG:-0.05}"
CHAIN="${CHAIN:-petrochemical}"
RSS_SLACK_PCT="${RSS_SLACK_PCT:-10}"
RSS_SLACK_MB="${RSS_SLACK_MB:-8}"
PROFILE="${PROFILE:-release}"
[ "$EDIT_SITES" -lt "$N" ] || { echo "error: EDIT_SITES ($EDIT_SITES) must be below N ($N)" >&2; exit 1; }

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
require_tools wrk curl python3 timeout
WRITERS=scripts/soak-writers.py

bench_binaries "$PROFILE"
bench_workdir soak

echo "== database: default dataset + $N synthetic sites (seed $SEED)" >&2
timeout 900 "$SYNTH" "$WORK/bench.db" "$N" "$SEED" >&2
for user in soak-editor-1 soak-editor-2 soak-importer; do
  token="$(timeout 60 "$BIN" --db "$WORK/bench.db" user add "$user" --role editor 2>/dev/null)"
  [ -n "$token" ] || { echo "error: no token for $user" >&2; exit 1; }
  printf '%s\n' "$token" >"$WORK/token.$user"
done
district_box

cat >"$WORK/mixed.lua" <<LUA
-- Each wrk thread draws its own sequence, the same every run (the seed: wrk's argument after
-- "--", 7 without); statuses are counted per class.
local threads = {}
setup = function(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end
local chains = {"petrochemical", "kaolin_minerals", "agrifood_processing", "auto_molds_parts",
  "digital_economy", "health", "modern_agriculture"}
local words = {"石化", "高岭", "茂名", "金塘", "模具", "冷链", "氢能", "芯片", "孵化", "园区"}
local function box(d)
  local x = $W + math.random() * ($E - $W - d)
  local y = $S + math.random() * ($NN - $S - d)
  return string.format("%.4f,%.4f,%.4f,%.4f", x, y, x + d, y + d)
end
local function pick(t) return t[math.random(1, #t)] end
init = function(args)
  math.randomseed((tonumber(args[1]) or 7) + (thread_no or 0))
  s1, s2, s3, s4, s5 = 0, 0, 0, 0, 0
end
request = function()
  -- Shares in percent: map views 20, bbox pages 8, chain pages 10, searches 15, single sites 15,
  -- facets 10, /ogc boxes 10, /ogc offsets 11, exports 1 (CSV or XLSX: they queue for their
  -- two slots, so more would measure that queue rather than the server).
  local k = math.random(1, 100)
  local path
  if k <= 20 then
    path = "/api/v1/sites?chain=$CHAIN&limit=100&bbox=" .. box($BOX_DEG)
  elseif k <= 28 then
    path = "/api/v1/sites?limit=100&bbox=" .. box($BOX_DEG * 2)
  elseif k <= 38 then
    path = string.format("/api/v1/sites?chain=%s&limit=50&offset=%d", pick(chains), math.random(0, 2000))
  elseif k <= 53 then
    path = "/api/v1/sites?limit=20&q=" .. pick(words)
  elseif k <= 68 then
    path = string.format("/api/v1/sites/synth-%07d", math.random($EDIT_SITES, $N - 1))
  elseif k <= 78 then
    path = "/api/v1/facets?chain=" .. pick(chains)
  elseif k <= 88 then
    path = "/ogc/collections/sites/items?limit=100&bbox=" .. box($BOX_DEG)
  elseif k <= 99 then
    path = string.format("/ogc/collections/sites/items?limit=50&offset=%d", math.random(0, $N - 50))
  else
    path = string.format("/api/v1/export?format=%s&limit=200&chain=$CHAIN&bbox=%s",
      pick({"csv", "xlsx"}), box($BOX_DEG))
  end
  return wrk.format("GET", path)
end
response = function(status, headers, body)
  if status < 200 then s1 = s1 + 1
  elseif status < 300 then s2 = s2 + 1
  elseif status < 400 then s3 = s3 + 1
  elseif status < 500 then s4 = s4 + 1
  else s5 = s5 + 1 end
end
done = function(summary, latency, requests)
  local t = {0, 0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    for i = 1, 5 do t[i] = t[i] + (thread:get("s" .. i) or 0) end
  end
  io.write(string.format("statuses: 1xx=%d 2xx=%d 3xx=%d 4xx=%d 5xx=%d\n", t[1], t[2], t[3], t[4], t[5]))
end
LUA

# matched BASE QUERY: numberMatched of /api/v1/sites?limit=1&QUERY at BASE.
matched() {
  curl -sf --max-time 30 "$1/api/v1/sites?limit=1&$2" \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['numberMatched'])"
}
# The filters whose counts must agree after the soak (a bbox holding half the district).
FILTERS=("" "chain=$CHAIN" "q=石化" "q=高岭" "category=carrier_platform"
  "bbox=$W,$S,$(python3 -c "print(($W + $E) / 2)"),$NN" "chain=$CHAIN&q=园区")
# counts BASE: the numberMatched of every filter, one per line.
counts() {
  for f in "${FILTERS[@]}"; do matched "$1" "$f"; done
}

wait_quiet 60
start_server
TOTAL_BEFORE="$(matched "$BASE" "")"
timeout 120 python3 "$WRITERS" prepare "$BASE" "$IMPORT_ROWS" 0 "$W,$S,$E,$NN" "$WORK/import.csv"

echo "== warm-up: ${WARM_S} s of the mixed reads" >&2
timeout $((WARM_S + 60)) wrk --timeout 10s -t2 -c"$C" -d"${WARM_S}s" -s "$WORK/mixed.lua" "$BASE" -- 1000 >"$WORK/wrk-warm.txt" \
  || { echo "error: wrk failed" >&2; cat "$WORK/wrk-warm.txt" >&2; exit 1; }
echo "== soak: ${SOAK_S} s of mixed reads at c=$C, two editors, one import of $IMPORT_ROWS rows" >&2
# sample_server SECONDS: the server's RssAnon (kB) and thread count about every second, SECONDS
# times: "I KB THREADS" lines (bounded by the count; ends early when the server does).
sample_server() {
  local i
  for i in $(seq 0 $(($1 - 1))); do
    awk -v i="$i" '$1 == "RssAnon:" { kb = $2 } $1 == "Threads:" { t = $2 }
      END { print i, kb, t }' "/proc/$SERVER_PID/status" 2>/dev/null || return 0
    sleep 1
  done
}
sample_server "$SOAK_S" >"$WORK/rss.txt" &
BG_PIDS="$!"
for e in 1 2; do
  timeout $((SOAK_S + 120)) python3 "$WRITERS" edit "$BASE" "$(cat "$WORK/token.soak-editor-$e")" \
    "soak-editor-$e" "$e" "$((e - 1))" "$EDIT_SITES" 2 "$EDIT_PAUSE_S" "$WORK/stop" \
    "$WORK/writes.log" >"$WORK/editor-$e.json" 2>"$WORK/editor-$e.err" &
  BG_PIDS="$BG_PIDS $!"
done
timeout $((SOAK_S + 300)) python3 "$WRITERS" import "$BASE" "$(cat "$WORK/token.soak-importer")" \
  "$WORK/import.csv" "$((SOAK_S / 3))" "$WORK/stop" >"$WORK/import.json" 2>"$WORK/import.err" &
BG_PIDS="$BG_PIDS $!"
( sleep $((SOAK_S / 2)); cut -d' ' -f1-3 /proc/loadavg >"$WORK/load-mid" ) &
BG_PIDS="$BG_PIDS $!"
timeout $((SOAK_S + 60)) wrk --timeout 10s --latency -t2 -c"$C" -d"${SOAK_S}s" \
  -s "$WORK/mixed.lua" "$BASE" >"$WORK/wrk.txt" || { echo "error: wrk failed" >&2; cat "$WORK/wrk.txt" >&2; exit 1; }
touch "$WORK/stop"
# shellcheck disable=SC2086  # a list of pids
wait $BG_PIDS || true
BG_PIDS=""
LOAD_MID="$(cat "$WORK/load-mid" 2>/dev/null || echo '?')"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

FAILED=()
fail() { FAILED+=("$*"); echo "CHECK FAILED: $*" >&2; }

echo "== checks" >&2
# 1. wrk: no socket error, only 2xx (the warm-up's statuses too).
for run in wrk-warm wrk; do
  if failed="$(wrk_failed "$WORK/$run.txt")"; then fail "$run: $failed"; fi
  grep -q "statuses: 1xx=0 2xx=[0-9]* 3xx=0 4xx=0 5xx=0" "$WORK/$run.txt" \
    || fail "$run: $(grep statuses: "$WORK/$run.txt" || echo 'no status counts')"
done

# 2. The writers.
for e in 1 2; do
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["failures"] != 0 or d["writes"] == 0)' \
    "$WORK/editor-$e.json" 2>/dev/null \
    || fail "editor $e: $(cat "$WORK/editor-$e.json" 2>/dev/null) $(head -c 2000 "$WORK/editor-$e.err")"
done
INSERTED="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["inserted"] if d["status"] == 200 else -1)' \
  "$WORK/import.json" 2>/dev/null || echo -1)"
[ "$INSERTED" = "$IMPORT_ROWS" ] \
  || fail "import: expected $IMPORT_ROWS inserted: $(cat "$WORK/import.json" 2>/dev/null) $(head -c 2000 "$WORK/import.err")"

# 4a. Counts on the soaked server, then on a fresh one.
counts "$BASE" >"$WORK/counts-soaked.txt" || fail "counts: a read after the soak failed"
stop_server
echo "== the database after the server stopped" >&2
# 3, 5. Revisions and integrity, read directly (the server is stopped; its WAL is checkpointed
# or read through).
DB_OK=1
timeout 300 python3 - "$WORK/bench.db" "$WORK/writes.log" "$IMPORT_ROWS" >"$WORK/db-checks.txt" <<'PY' || DB_OK=0
import collections, sqlite3, sys
db, log, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
ok = True
def say(*a):
    print(*a)
integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
say(f"integrity_check: {' '.join(integrity)}")
ok &= integrity == ["ok"]
logged = collections.Counter(tuple(l.split()[:4]) for l in open(log, encoding="utf-8"))
stored = collections.Counter(
    (who, site, action, str(version)) for who, site, action, version in con.execute(
        "SELECT who, site_id, action, CASE action WHEN 'delete' THEN json_extract(before, '$.version') "
        "ELSE json_extract(after, '$.version') END FROM revisions WHERE who LIKE 'soak-editor-%'"))
missing, extra = logged - stored, stored - logged
say(f"editor writes logged: {sum(logged.values())}; their revisions: {sum(stored.values())}; "
    f"writes without a revision: {sum(missing.values())}; revisions without a logged write "
    f"or more than one per write: {sum(extra.values())}")
for k in list(missing)[:5]:
    say("  without a revision:", *k)
for k in list(extra)[:5]:
    say("  extra revision:", *k, "×", extra[k])
ok &= not missing and not extra and bool(logged)
imported = dict(con.execute(
    "SELECT action, count(*) FROM revisions WHERE who = 'soak-importer' GROUP BY action").fetchall())
say(f"importer's revisions: {imported} (expected {{'import': {rows}}})")
ok &= imported == {"import": rows}
total = con.execute("SELECT count(*) FROM sites").fetchone()[0]
say(f"sites (SQLite count): {total}")
sys.exit(0 if ok else 1)
PY
cat "$WORK/db-checks.txt" >&2
[ "$DB_OK" = 1 ] || fail "database: $(tr '\n' ' ' <"$WORK/db-checks.txt")"
SQL_TOTAL="$(awk '/^sites \(SQLite count\)/ { print $4 }' "$WORK/db-checks.txt")"

echo "== a fresh server on the soaked database" >&2
start_server
counts "$BASE" >"$WORK/counts-fresh.txt" || fail "counts: a read on the fresh server failed"
stop_server
# 4b. Counts agree.
if ! cmp -s "$WORK/counts-soaked.txt" "$WORK/counts-fresh.txt"; then
  fail "counts differ, soaked vs fresh: $(paste -d/ "$WORK/counts-soaked.txt" "$WORK/counts-fresh.txt" | tr '\n' ' ')"
fi
TOTAL_AFTER="$(head -1 "$WORK/counts-fresh.txt")"
[ "$TOTAL_AFTER" = "$((TOTAL_BEFORE + IMPORT_ROWS))" ] && [ "$TOTAL_AFTER" = "$SQL_TOTAL" ] \
  || fail "total: $TOTAL_BEFORE before + $IMPORT_ROWS imported, but $TOTAL_AFTER after (SQLite: $SQL_TOTAL)"

# 6. Memory flat over the last half.
read -r RSS_VERDICT RSS_FIRST_MIN RSS_FIRST_MAX RSS_LAST_MIN RSS_LAST_MAX RSS_LIMIT RSS_N \
  THREADS_MIN THREADS_MAX < <(
  python3 - "$WORK/rss.txt" "$RSS_SLACK_PCT" "$RSS_SLACK_MB" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
kb = [int(r[1]) for r in rows if len(r) == 3]
threads = [int(r[2]) for r in rows if len(r) == 3]
pct, slack = float(sys.argv[2]), float(sys.argv[3])
if len(kb) < 2:
    print("none", 0, 0, 0, 0, 0, len(kb), 0, 0)
    sys.exit()
first, last = kb[: len(kb) // 2], kb[len(kb) // 2 :]
limit = max(first) * (1 + pct / 100) + slack * 1024
mb = lambda v: f"{v / 1024:.0f}"
# Fewer than 20 samples cannot tell growth from warming up: reported, not judged.
verdict = "short" if len(kb) < 20 else "ok" if max(last) <= limit else "grew"
print(verdict, mb(min(first)), mb(max(first)), mb(min(last)), mb(max(last)), mb(limit), len(kb),
      min(threads), max(threads))
PY
)
[ "$RSS_VERDICT" = ok ] || [ "$RSS_VERDICT" = short ] || fail "memory: RssAnon $RSS_VERDICT: last half max $RSS_LAST_MAX MB > $RSS_LIMIT MB (first half max $RSS_FIRST_MAX MB + $RSS_SLACK_PCT % + $RSS_SLACK_MB MB; $RSS_N samples in $WORK/rss.txt)"

# 7. No panic in the server's log (stderr) of either server.
PANICS="$(grep -c "panicked" "$WORK/server.log" || true)"
WARNS="$(grep -cE " (WARN|ERROR)" "$WORK/server.log" || true)"
[ "$PANICS" = 0 ] || fail "server: $PANICS panics in its log: $(grep -m3 "panicked" "$WORK/server.log")"

# The summary.
read -r RPS P50 P99 REQS < <(wrk_figures "$WORK/wrk.txt")
editor_row() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["by_action"]
print(f"| {d['who']} | {d['writes']} | {a.get('update', 0)} | {a.get('revert', 0)} | "
      f"{a.get('delete', 0)} | {a.get('restore', 0)} | {d['noops']} | {d['failures']} | "
      f"{d['p50_ms']} | {d['p99_ms']} | {d['max_ms']} |")
PY
}
IMPORT_MS="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ms"])' "$WORK/import.json" 2>/dev/null || echo '?')"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
cat <<EOF
Soak, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($cpu), $(uname -sr), binary $BIN.
Database: default dataset + $N synthetic sites = $TOTAL_BEFORE sites before, $TOTAL_AFTER after.
Load average before: $LOAD_BEFORE; half-way: $LOAD_MID; at the end: $LOAD_END.

Reads: wrk -t2 -c$C -d${SOAK_S}s after a ${WARM_S} s warm-up, mixed (map views ${BOX_DEG}° + chain=$CHAIN, bbox pages, chain pages, 2-character searches, single sites, facets, /ogc pages, CSV/XLSX exports of ≤ 200 rows).

| requests | requests/s | p50 ms | p99 ms | statuses |
|---:|---:|---:|---:|---|
| $REQS | $RPS | $P50 | $P99 | $(sed -n 's/^statuses: //p' "$WORK/wrk.txt") |

Writers (write = a request that changed a site; latency of those requests):

| editor | writes | saves | reverts | deletes | restores | no-ops | failures | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(editor_row "$WORK/editor-1.json" 2>/dev/null || echo "| soak-editor-1 | ? |")
$(editor_row "$WORK/editor-2.json" 2>/dev/null || echo "| soak-editor-2 | ? |")

Import (at $((SOAK_S / 3)) s): $(cat "$WORK/import.json" 2>/dev/null || echo '?'), $IMPORT_MS ms.

Database afterwards:
$(sed 's/^/- /' "$WORK/db-checks.txt")

Server log: $PANICS panics, $WARNS warnings and errors (e.g. exports whose client closed the download as wrk stopped).
Counts after the soak = on a fresh server (all, chain=$CHAIN, q=石化, q=高岭, category=carrier_platform, west half, chain+q=园区): $(paste -d/ "$WORK/counts-soaked.txt" "$WORK/counts-fresh.txt" | tr '\n' ' ')
RssAnon (MB), $RSS_N samples about 1 s apart$([ "$RSS_VERDICT" = short ] && echo " (too few to judge)"): first half $RSS_FIRST_MIN–$RSS_FIRST_MAX, last half $RSS_LAST_MIN–$RSS_LAST_MAX (limit $RSS_LIMIT); server threads $THREADS_MIN–$THREADS_MAX.

EOF
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "**FAILED** (${#FAILED[@]} checks):"
  for f in "${FAILED[@]}"; do echo "- $f"; done
  exit 1
fi
MEMORY="memory flat"
[ "$RSS_VERDICT" = short ] && MEMORY="memory not judged (a short run)"
echo "All checks passed: no connection error, only 2xx; every write one revision; counts agree; integrity ok; $MEMORY; no panic."
