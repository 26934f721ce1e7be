#!/usr/bin/env bash
# Reads during writes, and the first seconds after a start (issue 13; figures go to
# BENCHMARKS.md with the command and the commit). Creates a database with the default dataset
# plus N synthetic sites (crates/store/examples/synth_db.rs), starts `atlas serve` on
# 127.0.0.1 (a free port) and measures, with wrk (Debian package `wrk`), curl and python3:
#   1. the first FIRST_S seconds after a start: a mixed read load at C connections started as
#      soon as the server answers /healthz (p50/p99, requests/s);
#   2. the same load warm, without writes (READ_S seconds);
#   3. the same load while one editor PATCHes a random site every EDIT_EVERY_S seconds (a new
#      Chinese name, so the site moves in the list, or a new position), with a token made by
#      `atlas user add`: read requests/s (and their share of the warm figure) and each save's
#      latency, p50/p99, as the editor measured it;
#   4. the server's own memory at the end: RssAnon of /proc/PID/status (VmRSS also counts the
#      memory-mapped database file).
# The mixed read load: random map views (bbox + chain, limit=100), list pages of a category at
# random offsets, random sites by id, OGC item pages in a random box, and counts of a larger box
# (limit=1). Prints a Markdown table on stdout (progress on stderr). All traffic goes to
# 127.0.0.1; every run is bounded in time.
#
#   scripts/bench-rw.sh                          # release build, 100 000 sites, c=64, 60 s runs
#   N=1000000 scripts/bench-rw.sh
#   PROFILE=debug N=20000 READ_S=5 FIRST_S=3 scripts/bench-rw.sh   # a smoke test
#   BIN=path/to/atlas SYNTH=path/to/synth_db scripts/bench-rw.sh   # given binaries, no build
#   KEEP=1 scripts/bench-rw.sh                   # keep the work directory (database, outputs, log)
#   IDLE_WAIT_S=0 …                              # do not wait for a quiet machine (default: up to 300 s)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
SEED="${SEED:-42}"
C="${CONNECTIONS:-64}"
FIRST_S="${FIRST_S:-10}"
READ_S="${READ_S:-60}"
EDIT_EVERY_S="${EDIT_EVERY_S:-0.3}"
BOX_DEG="${BOX_DEG:-0.05}"
CHAIN="${CHAIN:-petrochemical}"
PROFILE="${PROFILE:-release}"

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
require_tools wrk curl python3

bench_binaries "$PROFILE"

bench_workdir atlas-bench-rw

echo "== database: default dataset + $N synthetic sites (seed $SEED)" >&2
"$SYNTH" "$WORK/bench.db" "$N" "$SEED" >&2
TOKEN="$("$BIN" --db "$WORK/bench.db" user add bench-editor --role editor 2>/dev/null)"
[ -n "$TOKEN" ] || { echo "error: no editor token" >&2; exit 1; }



district_box

cat >"$WORK/mixed.lua" <<LUA
-- Each wrk thread draws its own sequence, the same every run.
local threads = 0
setup = function(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end
local categories = {"carrier_platform", "key_enterprise", "innovation_resource"}
local function box(d)
  local x = $W + math.random() * ($E - $W - d)
  local y = $S + math.random() * ($NN - $S - d)
  return string.format("%.4f,%.4f,%.4f,%.4f", x, y, x + d, y + d)
end
init = function(args)
  math.randomseed(7 + (thread_no or 0))
end
request = function()
  local k = math.random(1, 5)
  local path
  if k == 1 then
    path = "/api/v1/sites?chain=$CHAIN&limit=100&bbox=" .. box($BOX_DEG)
  elseif k == 2 then
    path = string.format("/api/v1/sites?category=%s&limit=50&offset=%d",
      categories[math.random(1, #categories)], math.random(0, 2000))
  elseif k == 3 then
    path = string.format("/api/v1/sites/synth-%07d", math.random(0, $N - 1))
  elseif k == 4 then
    path = "/ogc/collections/sites/items?limit=100&bbox=" .. box($BOX_DEG)
  else
    path = "/api/v1/sites?limit=1&bbox=" .. box($BOX_DEG * 4)
  end
  return wrk.format("GET", path)
end
LUA

# wrk_mixed NAME SECONDS: one bounded run of the mixed load; appends a row, prints req/s.
wrk_mixed() {
  local name="$1" secs="$2" out
  out="$WORK/wrk-$(echo "$name" | tr -c 'a-zA-Z0-9\n-' '_').txt"
  wrk_checked "$name" "$out" -t2 -c"$C" -d"${secs}s" -s "$WORK/mixed.lua" "$BASE"
  wrk_row "$out" "$name" "$C" "$secs" >>"$WORK/rows.md"
  awk '/Requests\/sec:/ { print $2 }' "$out"
}

# Wait (bounded) for a quiet machine.
wait_quiet 300

: >"$WORK/rows.md"
echo "== start, then ${FIRST_S} s of mixed reads at c=$C at once" >&2
start_server
wrk_mixed "first ${FIRST_S} s after a start" "$FIRST_S" >/dev/null
echo "== warm: ${READ_S} s of mixed reads, no writes" >&2
RPS_READ="$(wrk_mixed "warm, reads only" "$READ_S")"

echo "== warm: ${READ_S} s of mixed reads, one editor saving every ${EDIT_EVERY_S} s" >&2
python3 - "$BASE" "$TOKEN" "$N" "$EDIT_EVERY_S" "$W" "$S" "$E" "$NN" "$WORK/stop-editor" \
  >"$WORK/saves.txt" 2>"$WORK/editor.log" <<'PY' &
import http.client, json, os, random, sys, time, urllib.parse
base, token, n, every = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
w, s, e, nn = map(float, sys.argv[5:9])
stop = sys.argv[9]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
rng = random.Random(11)
names = "东南西北中山水石田林"
saves, failed, start = [], 0, time.monotonic()
while not os.path.exists(stop):
    i = rng.randrange(n)
    if rng.random() < 0.5:
        # A new name: the site moves in the list.
        body = {"properties": {"name_zh": "".join(rng.choice(names) for _ in range(4)) + "基地"}}
    else:
        body = {"geometry": {"type": "Point", "coordinates": [
            round(w + rng.random() * (e - w), 6), round(s + rng.random() * (nn - s), 6)]}}
    t0 = time.monotonic()
    conn.request("PATCH", f"/api/v1/sites/synth-{i:07d}", body=json.dumps(body),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    text = r.read()
    dt = (time.monotonic() - t0) * 1000
    if r.status == 200:
        saves.append(dt)
    else:
        failed += 1
        print(r.status, text[:300], file=sys.stderr)
    time.sleep(max(0.0, every - dt / 1000))
saves.sort()
pct = lambda p: saves[min(len(saves) - 1, int(p * len(saves)))] if saves else float("nan")
print(len(saves), failed, f"{pct(0.5):.1f}", f"{pct(0.99):.1f}", f"{saves[-1] if saves else float('nan'):.1f}")
PY
BG_PIDS=$!
RPS_RW="$(wrk_mixed "warm, with one editor" "$READ_S")"
touch "$WORK/stop-editor"
wait "$BG_PIDS" || true
BG_PIDS=""
read -r SAVES FAILED SAVE_P50 SAVE_P99 SAVE_MAX <"$WORK/saves.txt"
if [ "${FAILED:-1}" != 0 ]; then
  echo "error: $FAILED saves failed:" >&2
  cat "$WORK/editor.log" >&2
  exit 1
fi

ANON_KB="$(status_kb RssAnon)"
RSS_KB="$(status_kb VmRSS)"
TOTAL="$(curl -s "$BASE/ogc/collections/sites/items?limit=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['numberMatched'])")"
SHARE="$(python3 -c "print(f'{100 * $RPS_RW / $RPS_READ:.0f}')")"

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
cat <<EOF
Reads during writes, $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), $(uname -sr), binary $BIN.
Database: default dataset + $N synthetic sites = $TOTAL sites. Load average before: $LOAD_BEFORE; at the end: $(cut -d' ' -f1-3 /proc/loadavg).
Mixed reads (map views ${BOX_DEG}° + chain=$CHAIN, category pages, sites by id, OGC pages, box counts) with wrk -t2 -c$C.

| run | connections | seconds | requests/s | p50 ms | p99 ms | requests |
|---|---:|---:|---:|---:|---:|---:|
$(cat "$WORK/rows.md")

Reads with the editor: ${SHARE} % of the reads-only throughput.
Saves (PATCH, every ${EDIT_EVERY_S} s, new name or new position): $SAVES saved; p50 $SAVE_P50 ms, p99 $SAVE_P99 ms, max $SAVE_MAX ms.
Server memory at the end: RssAnon $((ANON_KB / 1024)) MB (VmRSS $((RSS_KB / 1024)) MB, which adds the memory-mapped database file).
EOF
