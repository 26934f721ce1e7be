#!/usr/bin/env bash
# Publishing benchmark (issue 15: publishing 100k sites takes ≤ 30 s and the PMTiles archive
# stays ≤ 50 MB). Creates a database with the default dataset plus N synthetic sites
# (crates/store/examples/synth_db.rs), runs `atlas publish` into a fresh folder, and prints a
# Markdown row: sites, wall time, peak memory, tiles archive size, the whole folder's size and
# its file count (progress on stderr). Nothing listens: publishing needs no server.
#
#   scripts/bench-publish.sh                         # 100 000 sites, release build
#   N=20000 BIN=target/debug/atlas SYNTH=target/debug/examples/synth_db \
#     scripts/bench-publish.sh                       # a smoke test of the script (debug build)
#   KEEP=1 scripts/bench-publish.sh                  # keep the work directory (and the folder)
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
SEED="${SEED:-42}"

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
require_tools python3

bench_binaries release
bench_workdir atlas-bench-publish

echo "== database: default dataset + $N synthetic sites (seed $SEED)" >&2
timeout 1800 "$SYNTH" "$WORK/bench.db" "$N" "$SEED" >&2

wait_quiet 60
echo "== atlas publish (load before: $LOAD_BEFORE)" >&2
start="$(date +%s.%N)"
ATLAS_NOW="2026-12-02T08:00:00+08:00" timeout 1800 /usr/bin/time -v -o "$WORK/time.txt" \
  "$BIN" --db "$WORK/bench.db" publish "$WORK/site" >&2
end="$(date +%s.%N)"

seconds="$(python3 -c "print(f'{$end - $start:.1f}')")"
peak_mb="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt")"
archive_mb="$(python3 -c "import os; print(f'{os.path.getsize(\"$WORK/site/data/sites.pmtiles\") / 1e6:.1f}')")"
folder_mb="$(du -sb "$WORK/site" | awk '{ printf "%.1f", $1 / 1e6 }')"
files="$(find "$WORK/site" -type f | wc -l)"
sites="$(python3 -c "import json; print(json.load(open('$WORK/site/config.json'))['total'])")"

echo "| sites | publish (s) | peak RSS (MB) | sites.pmtiles (MB) | folder (MB) | files | load before |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"
echo "| $sites | $seconds | $peak_mb | $archive_mb | $folder_mb | $files | $LOAD_BEFORE |"
