#!/usr/bin/env bash
# Runs every test of Innovation Atlas on a fresh machine: installs what the tests need when it is
# missing, then format check, clippy (warnings are errors) and the whole workspace's tests.
# README.md names this script as "the test command"; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ogrinfo >/dev/null 2>&1 || need_apt+=(gdal-bin)
# End-to-end tests of the map page: Debian's Chromium, CJK fonts for the Chinese labels.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
# Print tests: workbooks converted to PDF by LibreOffice, pages counted and rendered by poppler.
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc-nogui)
command -v pdfinfo >/dev/null 2>&1 || need_apt+=(poppler-utils)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null || echo "warning: could not install ${need_apt[*]}; the tests that need them will fail"
fi

if ! python3 -c 'import openpyxl' >/dev/null 2>&1; then
  echo "== installing openpyxl (pip), the independent XLSX reader the tests use"
  python3 -m pip install --quiet openpyxl
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked

echo "== a short coverage-guided fuzz run of each reader (FUZZING.md)"
# Only where cargo-fuzz is installed: installing it builds ~100 crates (minutes), and the long
# runs are made on purpose (FUZZING.md), not here. About 7 s per target, 8 targets; a crash
# fails the script and leaves its input in fuzz/artifacts/TARGET/.
if command -v cargo-fuzz >/dev/null 2>&1; then
  # New inputs go to a scratch directory (the first one given), not the committed corpus.
  scratch="$(mktemp -d)"
  (cd fuzz && for t in $(cargo fuzz list); do
    mkdir -p "$scratch/$t"
    cargo fuzz run "$t" --sanitizer none "$scratch/$t" "corpus/$t" -- -max_total_time=7 \
      2>&1 | tail -n 1
  done)
  rm -rf "$scratch"
else
  echo "cargo-fuzz is not installed: skipped (cargo install cargo-fuzz --locked)"
fi

echo "== end-to-end tests of the map page (headless Chromium against a real atlas serve)"
# The debug binary `cargo test` just built (the web page is embedded in it).
target_dir="$(cargo metadata --format-version 1 --no-deps --locked | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
# `cargo test` built it for the integration tests (with the test build's features: a separate
# `cargo build` would resolve other features and rebuild every dependency); build it only if absent.
[ -x "$target_dir/debug/atlas" ] || cargo build --locked -p atlas --bin atlas
# large.test.mjs makes its 50,000-site database with the synth_db example.
[ -x "$target_dir/debug/examples/synth_db" ] || cargo build --locked -p atlas-store --example synth_db
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  echo "== installing the end-to-end test packages (npm ci)"
  (cd tests/e2e && npm ci --no-audit --no-fund)
fi
(cd tests/e2e && ATLAS_BIN="$target_dir/debug/atlas" npm test)
