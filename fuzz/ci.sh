#!/usr/bin/env bash
# The short fuzz run of CI (.ci/run): seeds, builds every target, runs each for FUZZ_SECONDS
# (default 20), two at a time; exits non-zero when a target crashes (the input is left in
# fuzz/artifacts/<target>/ and printed in the log). See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
# A short smoke run needs coverage, not speed: optimise less so that the cold build (every
# dependency instrumented) stays short in CI. Long runs: FUZZ_OPT_LEVEL=3.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=${FUZZ_OPT_LEVEL:-1}
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
TARGETS=(csv_import yahoo_chart nse_chain config_toml model_file payload_read)
started=$(date +%s)

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --version '^0.13' --locked
fi
./seed.sh
# -s none: no sanitizer, so the stable toolchain builds it (Rust code is memory-safe here:
# unsafe is forbidden workspace-wide); -a: debug assertions and overflow checks on.
cargo fuzz build -s none -a
built=$(date +%s)

mkdir -p logs
run() {
  local t=$1
  cargo fuzz run -s none -a "$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"logs/$t.log" 2>&1
}
failed=()
for ((i = 0; i < ${#TARGETS[@]}; i += 2)); do
  pids=()
  for t in "${TARGETS[@]:i:2}"; do
    run "$t" &
    pids+=("$!:$t")
  done
  for p in "${pids[@]}"; do
    if ! wait "${p%%:*}"; then failed+=("${p#*:}"); fi
  done
done

for t in "${TARGETS[@]}"; do
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log")
  cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1)
  echo "fuzz $t: ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}"
done
echo "fuzz: build $((built - started)) s, total $(($(date +%s) - started)) s"
if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "fuzz $t FAILED; end of its log:" >&2
    tail -n 60 "logs/$t.log" >&2
  done
  echo "fuzz: reproduce with 'cargo fuzz run -s none -a TARGET fuzz/artifacts/TARGET/<file>'" >&2
  exit 1
fi
