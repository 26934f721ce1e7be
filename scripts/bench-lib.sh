# What the benchmark scripts share (sourced, not run): tool checks, the binaries, the work
# directory and its clean-up, starting `atlas serve` on a free loopback port, the server's
# memory, the district's box, the bounded wait for a quiet machine, and wrk runs with their
# Markdown rows. Uses BIN, SYNTH, KEEP, IDLE_WAIT_S, WARM_S and RUN_S; sets BIN, SYNTH, WORK,
# SERVER_PID, BASE, LOAD_BEFORE and W S E NN.

# require_tools TOOL...: fails with the Debian package to install when one is missing.
require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (Debian: apt-get install $tool)" >&2; exit 1; }
  done
}

# bench_binaries PROFILE: BIN (atlas) and SYNTH (the synth_db example), each built with cargo
# in PROFILE (release or debug) unless given.
bench_binaries() {
  local target="${CARGO_TARGET_DIR:-target}" flag=()
  [ "$1" = release ] && flag=(--release)
  if [ -z "${BIN:-}" ]; then
    echo "== building atlas ($1)" >&2
    cargo build "${flag[@]}" --locked -q -p atlas --bin atlas
    BIN="$target/$1/atlas"
  fi
  if [ -z "${SYNTH:-}" ]; then
    echo "== building synth_db ($1)" >&2
    cargo build "${flag[@]}" --locked -q -p atlas-store --example synth_db
    SYNTH="$target/$1/examples/synth_db"
  fi
  [ -x "$BIN" ] || { echo "error: no binary at $BIN" >&2; exit 1; }
  [ -x "$SYNTH" ] || { echo "error: no synth_db at $SYNTH" >&2; exit 1; }
}

# bench_workdir NAME: a fresh work directory, removed on exit (KEEP=1 keeps it) after the
# server (and the helper processes in BG_PIDS, space-separated: editors, samplers) is stopped.
bench_workdir() {
  WORK="$(mktemp -d "/tmp/atlas-$1.XXXXXX")"
  SERVER_PID=""
  BG_PIDS=""
  trap bench_cleanup EXIT
}
bench_cleanup() {
  # shellcheck disable=SC2086  # BG_PIDS: a list, split on purpose
  for pid in ${BG_PIDS:-} "$SERVER_PID"; do
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
  BASE="$(await_address "$SERVER_PID" /healthz "$WORK/server.out" "$WORK/server.log")" \
    || { echo "error: the server did not start" >&2; exit 1; }
  echo "   $BASE (pid $SERVER_PID)" >&2
}

# await_address PID PATH FILE...: prints the first http://127.0.0.1:PORT that process PID wrote
# to the FILEs, once a GET of PATH there answers; fails (printing the last FILE, its log) when
# the process ends or 60 s pass.
await_address() {
  local pid="$1" path="$2" base
  shift 2
  for _ in $(seq 1 6000); do
    base="$(grep -ho 'http://127\.0\.0\.1:[0-9]*' "$@" 2>/dev/null | head -1 || true)"
    [ -n "$base" ] && curl -sf "$base$path" >/dev/null && { echo "$base"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "${@: -1}" >&2; return 1; }
    sleep 0.01
  done
  return 1
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

# wrk_failed OUT: prints the lines of the wrk output OUT that report failed requests (non-2xx
# statuses, socket errors: connect, read, write, timeout); true when there are any.
wrk_failed() { grep -E "Non-2xx|Socket errors" "$1"; }

# wrk_checked NAME OUT WRK_ARG…: one wrk run (10 s timeout, latencies) written to OUT; exits
# when any request failed (a 4xx or 5xx would make the figures meaningless).
wrk_checked() {
  local name="$1" out="$2"
  shift 2
  wrk --timeout 10s --latency "$@" >"$out"
  if wrk_failed "$out" >/dev/null; then
    echo "error: $name had failed requests:" >&2
    cat "$out" >&2
    exit 1
  fi
}

# wrk_figures OUT: requests/s, p50 ms, p99 ms and the number of requests of the wrk output OUT
# (run with --latency), space-separated.
wrk_figures() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s|m)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
p = {m.group(1): ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+(\S+)", text, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
reqs = int(re.search(r"(\d+) requests in", text).group(1))
print(f"{rps:.2f} {p['50']:.2f} {p['99']:.2f} {reqs}")
PY
}

# wrk_row OUT CELL…: a Markdown row of the CELLs, then requests/s, p50 ms, p99 ms and the
# number of requests of the wrk output OUT.
wrk_row() {
  local out="$1"
  shift
  # shellcheck disable=SC2046  # the four figures, word-split on purpose
  python3 - "$@" $(wrk_figures "$out") <<'PY'
import sys
*cells, rps, p50, p99, reqs = sys.argv[1:]
row = " | ".join(cells)
print(f"| {row} | {float(rps):,.0f} | {p50} | {p99} | {int(reqs):,} |")
PY
}

# wrk_run NAME CONNECTIONS PATH [WRK_ARG…]: a WARM_S warm-up, then one bounded run of RUN_S
# against $BASE$PATH (one wrk thread for one connection, two for more); appends a row to
# $WORK/rows.md.
wrk_run() {
  local name="$1" conns="$2" path="$3" threads=1 out
  shift 3
  [ "$conns" -gt 1 ] && threads=2
  wrk -t"$threads" -c"$conns" -d"${WARM_S}s" "$@" "$BASE$path" >/dev/null
  out="$WORK/wrk-$(echo "$name-c$conns" | tr -c 'a-zA-Z0-9\n-' '_').txt"
  wrk_checked "$name" "$out" -t"$threads" -c"$conns" -d"${RUN_S}s" "$@" "$BASE$path"
  wrk_row "$out" "$name" "$conns" >>"$WORK/rows.md"
}
