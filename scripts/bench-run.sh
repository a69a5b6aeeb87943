#!/usr/bin/env bash
# Whole-command timings: on the shared real data import, train and `aegis run`; on the simulator
# the four indices (simulate, train, run per index and all together) (median of RUNS
# runs, with peak memory), using the release build. Usage: scripts/bench-run.sh [RUNS]
# Prints one line per command: median wall seconds, min–max, peak RSS (MB).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-9}
DATA=${AEGIS_DATA:-../shared/data}
cargo build --release -q -p aegis
BIN=${CARGO_TARGET_DIR:-target}/release/aegis
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Runs "$@" RUNS times; prints the median and range of wall time and the largest peak RSS.
measure() {
  local name=$1 n=$2
  shift 2
  local times=() rss=0
  for ((i = 0; i < n; i++)); do
    # Exit 3 is `aegis run`'s "published, some metric unavailable"; anything else but 0 is a
    # failure, and a failed command's time would mean nothing.
    local rc=0
    /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/log" 2>&1 || rc=$?
    if ((rc != 0 && rc != 3)); then
      echo "$name: exit $rc" >&2
      tail -5 "$WORK/log" >&2
      exit 1
    fi
    tail -1 "$WORK/t" >"$WORK/t1" && mv "$WORK/t1" "$WORK/t"
    read -r t m <"$WORK/t"
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v rss="$rss" '
    { v[NR] = $1 } END {
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%-28s median %.3f s (min %.3f, max %.3f, n=%d), peak RSS %.1f MB\n", name, med, v[1], v[NR], NR, rss / 1024
    }'
}

S="$WORK/s.db"
import() {
  rm -f "$S" "$S"-wal "$S"-shm
  "$BIN" --store "$S" import "$DATA"/nifty50_daily_yahoo.csv "$DATA"/indiavix_daily_yahoo.csv \
    "$DATA"/nifty50_5m_yahoo.csv "$DATA"/indiavix_5m_yahoo.csv "$DATA"/option_chain/nifty_2025-07-16_eod.json
}
export -f import
export BIN S DATA
measure "import (5 files)" 3 bash -c import
measure "train (19 models)" 1 "$BIN" --store "$S" train --models "$WORK/models"
measure "run --as-of last session" "$RUNS" "$BIN" --store "$S" run --models "$WORK/models" \
  --out "$WORK/out" --as-of 2025-11-28T13:55:00+05:30

# The four indices on the simulator (the real data has NIFTY 50 only): simulate, train and run
# each index, and one `aegis run` over all four.
Q="$WORK/sim.db"
END=2026-11-25T14:00:00+05:30
rm -f "$Q"
measure "simulate (4 indices, 10 y)" 1 "$BIN" --store "$Q" simulate --end "$END"
measure "train (4 indices)" 1 "$BIN" --store "$Q" train --models "$WORK/sim-models"
for INDEX in NIFTY50 NIFTYBANK FINNIFTY MIDCPNIFTY; do
  measure "run --index $INDEX" "$RUNS" "$BIN" --store "$Q" run --models "$WORK/sim-models" \
    --out "$WORK/sim-out" --as-of "$END" --index "$INDEX"
done
measure "run (all 4 indices)" "$RUNS" "$BIN" --store "$Q" run --models "$WORK/sim-models" \
  --out "$WORK/sim-out" --as-of "$END"
