#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/<target>/ from the real formats, at run time:
#   * the committed hand-written seeds of fuzz/seeds/<target>/;
#   * slices of the shared CSV files (first and last rows, newest-first, CRLF);
#   * Yahoo chart JSON built from CSV rows (daily and 5-minute, NIFTY 50 and India VIX);
#   * the saved NSE chains cut to a few rows, and a v3-shaped chain derived from one
#     (as crates/sources/tests/nse_http.rs derives it);
#   * the configuration block of README.md, with and without environment overrides;
#   * the dashboard's fixture payload and model file;
#   * with --models: tiny trained model files (crates/ml/examples/fuzz_seed_models.rs; the first
#     build of that example takes minutes, so CI leaves it out).
# Nothing of the shared data is copied into the repository: fuzz/corpus/*/ is git-ignored.
#
# Usage: fuzz/seed.sh [--models]   (AEGIS_SHARED_DATA overrides ../shared/data)
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(cd .. && pwd)
DATA=${AEGIS_SHARED_DATA:-$REPO/../shared/data}
MODELS=0
[ "${1:-}" = "--models" ] && MODELS=1
if [ ! -f "$DATA/nifty50_daily_yahoo.csv" ]; then
  echo "seed.sh: no shared data in $DATA: set AEGIS_SHARED_DATA to the shared/data directory" >&2
  exit 1
fi
TARGETS="csv_import yahoo_chart nse_chain config_toml model_file payload_read"
for t in $TARGETS; do
  mkdir -p "corpus/$t"
  if [ -d "seeds/$t" ]; then cp seeds/"$t"/* "corpus/$t/"; fi
done

python3 - "$DATA" "$REPO" <<'PY'
import json, os, sys, datetime as dt

data, repo = sys.argv[1], sys.argv[2]
out = lambda target, name: os.path.join("corpus", target, name)

def write(target, name, prefix, body):
    with open(out(target, name), "wb") as f:
        f.write(prefix + body)

def lines(name):
    with open(os.path.join(data, name), "rb") as f:
        return f.read().splitlines()

# csv_import: option byte (bits 0-1 file name: 0 nifty50_daily_yahoo.csv, 1 indiavix_5m_yahoo.csv,
# 2 "NIFTY 50_Historical_PR.csv"; bit 2 symbol given; bits 3-4 interval; bit 5 skip null rows).
csvs = {
    "nifty50_daily_yahoo.csv": 0, "indiavix_daily_yahoo.csv": 1, "nifty50_5m_yahoo.csv": 0,
    "indiavix_5m_yahoo.csv": 1, "nifty50_daily_nse_2000_2022.csv": 2,
    "indiavix_daily_yahoo_2008_2022.csv": 1,
}
for name, opt in csvs.items():
    rows = lines(name)
    head, body = rows[0], rows[1:]
    stem = name[:-4]
    join = lambda rs, eol=b"\n": eol.join([head] + rs) + eol
    write("csv_import", f"{stem}_first", bytes([opt]), join(body[:30]))
    write("csv_import", f"{stem}_last", bytes([opt]), join(body[-30:]))
    write("csv_import", f"{stem}_newest_first", bytes([opt]), join(list(reversed(body[-20:]))))
    write("csv_import", f"{stem}_crlf", bytes([opt]), join(body[-10:], b"\r\n"))

# yahoo_chart: option byte (bit 0 intraday, bit 1 India VIX, bit 2 `now` anywhere), 8 bytes of
# `now` offset (0 = the shared files' pull time), then the chart JSON built from CSV rows.
def chart(name, ticker, granularity, n):
    rows = [r.decode().split(",") for r in lines(name)[1:]][-n:]
    stamps = [int(dt.datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S")
                  .replace(tzinfo=dt.timezone.utc).timestamp()) for r in rows]
    col = lambda i: [float(r[i]) for r in rows]
    last_day = dt.datetime.fromtimestamp(stamps[-1], dt.timezone.utc).date()
    open_ = int(dt.datetime.combine(last_day, dt.time(3, 45), dt.timezone.utc).timestamp())
    return json.dumps({"chart": {"result": [{
        "meta": {"symbol": ticker, "exchangeTimezoneName": "Asia/Kolkata", "gmtoffset": 19800,
                 "dataGranularity": granularity, "regularMarketTime": stamps[-1],
                 "currentTradingPeriod": {"regular": {"timezone": "IST", "start": open_,
                                                      "end": open_ + 22500, "gmtoffset": 19800}}},
        "timestamp": stamps,
        "indicators": {"quote": [{"open": col(1), "high": col(2), "low": col(3),
                                  "close": col(4), "volume": col(5)}]}}],
        "error": None}}).encode()

zero = bytes(8)
write("yahoo_chart", "nifty_daily", b"\x00" + zero, chart("nifty50_daily_yahoo.csv", "^NSEI", "1d", 25))
write("yahoo_chart", "vix_daily", b"\x02" + zero, chart("indiavix_daily_yahoo.csv", "^INDIAVIX", "1d", 25))
write("yahoo_chart", "nifty_5m", b"\x01" + zero, chart("nifty50_5m_yahoo.csv", "^NSEI", "5m", 60))
write("yahoo_chart", "vix_5m", b"\x03" + zero, chart("indiavix_5m_yahoo.csv", "^INDIAVIX", "5m", 60))

# nse_chain: the saved chains cut to a few rows (rows lacking a leg kept), and a v3 chain.
def cut(chain, rows):
    rec = chain["records"]
    small = {k: v for k, v in rec.items() if k not in ("data", "strikePrices")}
    small["data"] = rows
    small["strikePrices"] = sorted({r["strikePrice"] for r in rows})
    return {"records": small, "filtered": {"data": rows[:2], "CE": {"totOI": 1, "totVol": 1},
                                             "PE": {"totOI": 1, "totVol": 1}}}

for name in sorted(os.listdir(os.path.join(data, "option_chain"))):
    with open(os.path.join(data, "option_chain", name)) as f:
        chain = json.load(f)
    rows = chain["records"]["data"]
    both = [r for r in rows if "CE" in r and "PE" in r][:6]
    one_leg = [r for r in rows if ("CE" in r) != ("PE" in r)][:2]
    write("nse_chain", name[:-5] + "_cut", b"", json.dumps(cut(chain, both + one_leg)).encode())
    if "2025" in name:
        rename = {"bidprice": "buyPrice1", "askPrice": "sellPrice1", "bidQty": "buyQuantity1",
                  "askQty": "sellQuantity1", "pChange": "pchange"}
        first = chain["records"]["expiryDates"][0]
        v3rows = []
        for r in [r for r in rows if r["expiryDate"] == first][:8]:
            row = {"strikePrice": r["strikePrice"], "expiryDates": first}
            for side in ("CE", "PE"):
                if side in r:
                    leg = {rename.get(k, k): v for k, v in r[side].items()}
                    leg["optionType"] = None
                    row[side] = leg
            v3rows.append(row)
        v3 = cut(chain, v3rows)
        v3["records"].pop("index", None)
        write("nse_chain", "v3_" + name[:-5], b"", json.dumps(v3).encode())

# config_toml: the README's configuration block; TOML, then NUL and KEY=VALUE lines.
with open(os.path.join(repo, "README.md")) as f:
    readme = f.read()
start = readme.index("```toml\n[paths]") + len("```toml\n")
toml_text = readme[start:readme.index("```", start)].encode()
write("config_toml", "readme", b"", toml_text)
write("config_toml", "readme_env", b"", toml_text +
      b"\x00AEGIS_ENGINE__CONFIDENCE=0.95\nAEGIS_SERVE__BIND=0.0.0.0:8080\nAEGIS_LOG=debug\n")

# payload_read and model_file: the dashboard's fixtures.
fixtures = os.path.join(repo, "crates", "dashboard", "tests", "fixtures")
with open(os.path.join(fixtures, "payload.json"), "rb") as f:
    write("payload_read", "dashboard_fixture", b"", f.read())
models = os.path.join(fixtures, "models")
for name in sorted(os.listdir(models)):
    with open(os.path.join(models, name), "rb") as f:
        body = f.read()
    write("model_file", "fixture_" + name, b"\x00", body)
    write("model_file", "fixture_fixed_" + name, b"\x01", body)
PY

if [ "$MODELS" = 1 ]; then
  tmp=$(mktemp -d)
  (cd "$REPO" && cargo run -q -p aegis-ml --example fuzz_seed_models -- "$tmp" "$DATA") >/dev/null
  for f in "$tmp"/*.json; do
    n=$(basename "$f")
    { printf '\000'; cat "$f"; } > "corpus/model_file/trained_$n"
    { printf '\001'; cat "$f"; } > "corpus/model_file/trained_fixed_$n"
  done
  rm -rf "$tmp"
fi

for t in $TARGETS; do
  echo "seed.sh: corpus/$t: $(ls "corpus/$t" | wc -l) seeds"
done
