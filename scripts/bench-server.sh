#!/usr/bin/env bash
# Server load benchmark (BENCHMARKS.md, "Server"): builds the release binary, creates a database
# with the default dataset plus N synthetic sites (crates/store/examples/synth_db.rs), starts
# `atlas serve` on 127.0.0.1 (a free port), and measures with wrk (Debian package `wrk`):
#   - throughput and p50/p99 latency of bbox+chain pages of /api/v1/sites (random map views),
#     of /api/v1/sites/{id} (random ids) and of the OGC items page, at concurrency 1 and 8;
#   - time, size and server memory (VmRSS before, VmHWM during, the peak reset through
#     /proc/PID/clear_refs) of a full export in each format.
# Prints a Markdown table on stdout (progress on stderr). All traffic goes to 127.0.0.1 and
# every run is bounded in time.
#
#   scripts/bench-server.sh                 # 100 000 sites, 10 s per load run
#   N=20000 SECONDS_PER_RUN=5 scripts/bench-server.sh
#   KEEP=1 scripts/bench-server.sh          # keep the work directory (database, wrk output, log)
#   BIN=path/to/atlas SYNTH=path/to/synth_db scripts/bench-server.sh   # given binaries, no build
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
SEED="${SEED:-42}"
RUN_S="${SECONDS_PER_RUN:-10}"
WARM_S="${WARMUP_SECONDS:-2}"
# Map views: random boxes of BOX_DEG x BOX_DEG degrees (0.05° is about 5 km, a zoomed-in map)
# inside the district, on one chain; a page of 100 and the API's default page of 1000. Every
# request asks for another box, as a panning map does. DENSE_BBOX is a fixed worst case: a box
# holding a quarter of all sites (the district's fallback point and several township seats,
# where approximate sites pile up), which the store answers with a scan.
BOX_DEG="${BOX_DEG:-0.05}"
CHAIN="${CHAIN:-petrochemical}"
DENSE_BBOX="${DENSE_BBOX:-110.85,21.60,110.95,21.70}"

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
require_tools wrk curl python3

bench_binaries release

bench_workdir atlas-bench

echo "== database: default dataset + $N synthetic sites (seed $SEED)" >&2
"$SYNTH" "$WORK/bench.db" "$N" "$SEED" >&2


echo "== starting atlas serve" >&2
start_server

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

district_box

# lua_boxes FILE PATH: a wrk script requesting PATH&bbox=<a random box>, the same sequence
# every run.
lua_boxes() {
  cat >"$1" <<LUA
math.randomseed(7)
request = function()
  local x = $W + math.random() * ($E - $W - $BOX_DEG)
  local y = $S + math.random() * ($NN - $S - $BOX_DEG)
  return wrk.format("GET", string.format("$2&bbox=%.4f,%.4f,%.4f,%.4f", x, y, x + $BOX_DEG, y + $BOX_DEG))
end
LUA
}
API100="/api/v1/sites?chain=$CHAIN&limit=100"
API1000="/api/v1/sites?chain=$CHAIN&limit=1000"
OGC100="/ogc/collections/sites/items?chain=$CHAIN&limit=100"
DENSE="$API100&bbox=$DENSE_BBOX"
lua_boxes "$WORK/api100.lua" "$API100"
lua_boxes "$WORK/api1000.lua" "$API1000"
lua_boxes "$WORK/ogc100.lua" "$OGC100"
cat >"$WORK/ids.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/api/v1/sites/synth-%07d", math.random(0, $N - 1)))
end
LUA

# Every route once before any load (a 4xx would make the numbers meaningless), and what the
# boxes hold: numberMatched of 40 random boxes of the same size (Python's own sequence).
for p in "$DENSE" "$API1000&bbox=$DENSE_BBOX" "$OGC100&bbox=$DENSE_BBOX" "/api/v1/sites/synth-0000000"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")"
  [ "$code" = 200 ] || { echo "error: GET $p answered $code" >&2; curl -s "$BASE$p" >&2; exit 1; }
done
TOTAL="$(curl -s "$BASE/ogc/collections/sites/items?limit=1" | json_field numberMatched)"
DENSE_MATCHED="$(curl -s "$BASE$DENSE" | json_field numberMatched)"
BOX_MATCHED="$(python3 - "$BASE$API100" "$W" "$S" "$E" "$NN" "$BOX_DEG" <<'PY'
import json, random, sys, urllib.request
url = sys.argv[1]
w, s, e, n, d = map(float, sys.argv[2:])
rng = random.Random(7)
counts = []
for _ in range(40):
    x = w + rng.random() * (e - w - d)
    y = s + rng.random() * (n - s - d)
    with urllib.request.urlopen(f"{url}&bbox={x:.4f},{y:.4f},{x + d:.4f},{y + d:.4f}") as r:
        counts.append(json.load(r)["numberMatched"])
counts.sort()
print(f"median {counts[len(counts) // 2]}, max {counts[-1]}")
PY
)"

# Wait (bounded) for a quiet machine and record
# the load average around the runs.
wait_quiet 300
echo "== load runs (${RUN_S} s each after ${WARM_S} s warm-up; load average $LOAD_BEFORE)" >&2
: >"$WORK/rows.md"
for c in 1 8; do
  wrk_run "/api/v1/sites map view + chain, limit=100" "$c" "$API100" -s "$WORK/api100.lua"
  wrk_run "/api/v1/sites map view + chain, limit=1000" "$c" "$API1000" -s "$WORK/api1000.lua"
  wrk_run "/api/v1/sites/{id} (random id)" "$c" "/api/v1/sites/synth-0000000" -s "$WORK/ids.lua"
  wrk_run "/ogc/collections/sites/items map view + chain, limit=100" "$c" "$OGC100" -s "$WORK/ogc100.lua"
done
wrk_run "/api/v1/sites map view + chain, limit=100, gzip" 8 "$API100" -s "$WORK/api100.lua" -H "Accept-Encoding: gzip"
wrk_run "/api/v1/sites dense box + chain, limit=100" 8 "$DENSE"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

RSS_LOADED="$(status_kb VmRSS)"
ANON_LOADED="$(status_kb RssAnon)"

# Exports on a fresh server process, so that memory the load runs left in the allocator cannot
# hide an export's growth. The database file stays in the OS page cache.
echo "== exports (all $TOTAL sites), on a restarted server" >&2
stop_server
start_server
RSS_FRESH="$(status_kb VmRSS)"
: >"$WORK/exports.md"
for fmt in csv geojson kml xlsx; do
  echo 5 >"/proc/$SERVER_PID/clear_refs" # VmHWM := VmRSS
  rss_before="$(status_kb VmRSS)"
  anon_before="$(status_kb RssAnon)"
  # VmHWM counts the memory-mapped database pages an export touches (file cache, shared with
  # the OS); the server's own memory is RssAnon, whose peak a sampler records every 5 ms.
  rm -f "$WORK/stop" "$WORK/ready"
  python3 - "$SERVER_PID" "$WORK/stop" "$WORK/ready" >"$WORK/anon" <<'PY' &
import os, sys, time
pid, stop, ready = sys.argv[1:]
peak = 0
while True:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            peak = max(peak, int(line.split()[1]))
    if not os.path.exists(ready):
        open(ready, "w").close()
    if os.path.exists(stop):
        break
    time.sleep(0.005)
print(peak)
PY
  sampler=$!
  while [ ! -e "$WORK/ready" ]; do sleep 0.01; done
  read -r code secs bytes < <(curl -s -o "$WORK/export.$fmt" -w '%{http_code} %{time_total} %{size_download}\n' "$BASE/api/v1/export?format=$fmt")
  touch "$WORK/stop"
  wait "$sampler"
  anon_peak="$(cat "$WORK/anon")"
  hwm="$(status_kb VmHWM)"
  rss_after="$(status_kb VmRSS)"
  [ "$code" = 200 ] || { echo "error: export $fmt answered $code" >&2; exit 1; }
  case "$fmt" in
    csv) rows="$(python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1],encoding="utf-8-sig",newline="")); next(r); print(sum(1 for _ in r))' "$WORK/export.csv")" ;;
    geojson) rows="$(grep -c '"type":"Feature"' "$WORK/export.geojson" || true)" ;;
    kml) rows="$(grep -o '<Placemark' "$WORK/export.kml" | wc -l)" ;;
    xlsx) rows="$(python3 -c 'import zipfile,re,sys; z=zipfile.ZipFile(sys.argv[1]); print(len(re.findall(rb"<row ", z.read("xl/worksheets/sheet1.xml")))-1)' "$WORK/export.xlsx" 2>/dev/null || echo '?')" ;;
  esac
  rm -f "$WORK/export.$fmt"
  python3 - "$fmt" "$secs" "$bytes" "$rows" "$rss_before" "$hwm" "$rss_after" "$anon_before" "$anon_peak" <<'PY' >>"$WORK/exports.md"
import sys
fmt, secs, size, rows, before, hwm, after, anon0, anon = sys.argv[1:]
mb = lambda kb: int(kb) / 1024
print(f"| {fmt} | {rows} | {float(secs):.2f} | {int(size) / 1e6:.1f} | {mb(anon0):.0f} → {mb(anon):.0f} ({mb(anon) - mb(anon0):+.0f}) | {mb(before):.0f} → {mb(hwm):.0f} ({mb(hwm) - mb(before):+.0f}) | {mb(after):.0f} |")
PY
done

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
mem_gb="$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
cat <<EOF
Server benchmark, $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), ${mem_gb} GB RAM, $(uname -sr).
Database: default dataset + $N synthetic sites = $TOTAL sites.
Map views: random ${BOX_DEG}° boxes inside the district ($W,$S,$E,$NN) with chain=$CHAIN; numberMatched of 40 such boxes: $BOX_MATCHED.
Dense box: bbox=$DENSE_BBOX&chain=$CHAIN, $DENSE_MATCHED matches.
wrk ${RUN_S} s per row after ${WARM_S} s warm-up, on the same 2 cores as the server (-t1 for 1 connection, -t2 for 8).
Load average before the runs: $LOAD_BEFORE; after: $LOAD_AFTER (the runs themselves load both cores).
Server RSS after the load runs: $((RSS_LOADED / 1024)) MB, of which heap (RssAnon) $((ANON_LOADED / 1024)) MB (the rest is the memory-mapped database file); a fresh server: $((RSS_FRESH / 1024)) MB.

| route | connections | requests/s | p50 ms | p99 ms | requests |
|---|---:|---:|---:|---:|---:|
$(cat "$WORK/rows.md")

Exports: one after the other on the restarted server; memory in MB as before → peak (growth). "Heap" is RssAnon (the server's own memory), "RSS" adds the memory-mapped database pages the export reads (VmRSS → VmHWM).

| export | rows | seconds | MB | heap before → peak | RSS before → peak | RSS after |
|---|---:|---:|---:|---:|---:|---:|
$(cat "$WORK/exports.md")
EOF
