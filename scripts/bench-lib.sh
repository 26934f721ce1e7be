# What the benchmark scripts share (sourced, not run): tool checks, the work directory and its
# clean-up, starting `atlas serve` on a free loopback port, the server's memory, the district's
# box, and the bounded wait for a quiet machine. Uses BIN, KEEP and IDLE_WAIT_S; sets WORK,
# SERVER_PID, BASE, LOAD_BEFORE and W S E NN.

# require_tools TOOL...: fails with the Debian package to install when one is missing.
require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (Debian: apt-get install $tool)" >&2; exit 1; }
  done
}

# bench_workdir NAME: a fresh work directory, removed on exit (KEEP=1 keeps it) after the
# server (and an editor process in EDITOR_PID, if any) is stopped.
bench_workdir() {
  WORK="$(mktemp -d "/tmp/atlas-$1.XXXXXX")"
  SERVER_PID=""
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for pid in "${EDITOR_PID:-}" "$SERVER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

# start_server: starts `atlas serve` on $WORK/bench.db at a free port; sets SERVER_PID and BASE
# once /healthz answers (within 30 s).
start_server() {
  "$BIN" --db "$WORK/bench.db" serve --addr 127.0.0.1:0 >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  BASE=""
  for _ in $(seq 1 3000); do
    BASE="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.out" | head -1 || true)"
    [ -n "$BASE" ] && curl -sf "$BASE/healthz" >/dev/null && break
    BASE=""
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.01
  done
  [ -n "$BASE" ] || { echo "error: the server did not start" >&2; exit 1; }
  echo "   $BASE (pid $SERVER_PID)" >&2
}
stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

# status_kb FIELD: a field of the server's /proc status in kB (RssAnon, VmRSS, VmHWM).
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }

# district_box: sets W S E NN to the district's box, from the shipped boundary.
district_box() {
  read -r W S E NN < <(python3 - <<'PY'
import json
pts = []
def walk(x):
    if isinstance(x[0], (int, float)):
        pts.append(x)
    else:
        for y in x:
            walk(y)
for f in json.load(open("data/boundary.geojson"))["features"]:
    walk(f["geometry"]["coordinates"])
print(min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
PY
)
}

# wait_quiet DEFAULT_S: other work on the machine skews every figure, so wait (at most
# IDLE_WAIT_S, default DEFAULT_S seconds) for a load average under 0.5; sets LOAD_BEFORE.
wait_quiet() {
  for _ in $(seq 1 "${IDLE_WAIT_S:-$1}"); do
    awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
    sleep 1
  done
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
}
