#!/usr/bin/env bash
# Bounded load run of the dashboard on loopback while the scheduler runs.
#
#   scripts/load.sh [DURATION] [THREADS] [CONNECTIONS]     (defaults: 30s 2 50)
#
# Builds the release binary, prepares a store (the shared real data imported, every model
# trained) in a temporary directory, writes one payload, starts `aegis serve` WITH the
# scheduler on 127.0.0.1, and runs wrk (`apt-get install -y wrk`) against /api/payload and /
# — loopback only. Prints throughput, p50/p99 latency, errors, and the server's RSS before and
# after. Nothing outside the temporary directory is touched.
set -euo pipefail

DURATION=${1:-30s}
THREADS=${2:-2}
CONNECTIONS=${3:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${AEGIS_SHARED_DATA:-$ROOT/../shared/data}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release/aegis

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
[ -f "$DATA/nifty50_daily_yahoo.csv" ] || { echo "no shared data at $DATA (set AEGIS_SHARED_DATA)" >&2; exit 1; }

cargo build --release -p aegis >&2

WORK=$(mktemp -d /tmp/aegis-load.XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/aegis.toml" <<TOML
[paths]
store = "$WORK/aegis.db"
models = "$WORK/models"
out = "$WORK/out"
[schedule]
# The scheduler runs, but never reaches the network: the sources point at a closed loopback port.
run_every_minutes = 1
tick_secs = 1
retrain = "never"
[yahoo]
base_url = "http://127.0.0.1:9"
timeout_secs = 1
attempts = 1
[nse]
base_url = "http://127.0.0.1:9"
timeout_secs = 1
attempts = 1
TOML
A() { "$BIN" --config "$WORK/aegis.toml" "$@"; }

A import "$DATA/nifty50_daily_yahoo.csv" "$DATA/indiavix_daily_yahoo.csv" \
  "$DATA/nifty50_5m_yahoo.csv" "$DATA/indiavix_5m_yahoo.csv" \
  "$DATA/option_chain/nifty_2025-07-16_eod.json" >/dev/null
A train >/dev/null
set +e
A run --as-of 2025-11-28T13:55:00+05:30 >/dev/null
code=$?
set -e
[ "$code" -eq 0 ] || [ "$code" -eq 3 ] || { echo "aegis run failed ($code)" >&2; exit 1; }

PORT=${AEGIS_LOAD_PORT:-18080}
# Started directly (not through the A function) so that $! is the server's own PID.
"$BIN" --config "$WORK/aegis.toml" -v serve --bind "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" -o /dev/null 2>/dev/null && break
  # /healthz answers 503 when failing; any HTTP answer means the server is up.
  curl -sS "http://127.0.0.1:$PORT/healthz" -o /dev/null 2>/dev/null && break
  sleep 0.2
done
rss() { awk '/^VmRSS/ {print $2 " " $3}' "/proc/$SERVER_PID/status"; }

# Warm up (loads and caches the payload), then measure.
curl -fsS "http://127.0.0.1:$PORT/api/payload" -o /dev/null
curl -fsS "http://127.0.0.1:$PORT/" -o /dev/null
RSS_BEFORE=$(rss)
echo "server pid $SERVER_PID, payload $(stat -c %s "$WORK/out/aegismatrix.json") bytes, RSS before: $RSS_BEFORE"
# /api/payload as browsers ask for it (gzip, precompressed once per payload version) and as
# plain bytes; then the dashboard page.
for run in "/api/payload gzip" "/api/payload identity" "/ gzip"; do
  set -- $run
  path=$1 enc=$2
  echo "=== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -H 'Accept-Encoding: $enc' http://127.0.0.1:$PORT$path"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Accept-Encoding: $enc" "http://127.0.0.1:$PORT$path"
  echo "RSS after $path ($enc): $(rss)"
done
echo "=== scheduler during the run"
curl -sS "http://127.0.0.1:$PORT/metrics" | grep -E '^aegis_(jobs_total|scheduler_(skipped|job_running|consecutive)|http_requests_total)' || true
echo "RSS before: $RSS_BEFORE, after: $(rss)"
