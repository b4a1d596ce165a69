#!/usr/bin/env bash
# bench-api: throughput and latency of the HTTP API with wrk (Debian package
# wrk). Starts `signalforge serve` on a free port with a throwaway embedded
# database, logs in as a bootstrap admin (rate limits raised out of the way),
# seeds 200 signals, then runs wrk with 64 connections against
# GET /api/v1/signals?limit=50 (a full page of 50) and, for ratios in the same
# run, against GET /healthz (the listener without the API) and against the
# same route with the signal-list cache off (serve restarted on the same data).
# Usage: bench_api.sh SIGNALFORGE_BINARY SOURCE_DIR [DURATION_S]
set -euo pipefail
bin=$1
src=$2
duration=${3:-10}
command -v wrk >/dev/null || { echo "bench-api: wrk is missing (apt-get install wrk)"; exit 1; }
work=$(mktemp -d /tmp/sf-bench-api.XXXXXX)
chmod 755 "$work"  # the embedded cluster runs as postgres when we are root
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# serve with the signal-list cache at $1 ms (0 = off), from the source folder
# as the README runs it (config/calendars, scripts/). The listener keeps its
# shipped thread count (http.threads, default 8): on 2 cores, 96 threads for
# 64 connections raised p99 from ~2.5 ms to 60-290 ms through scheduling alone.
start_serve() {
  cat > "$work/config.json" <<JSON
{
  "http": {"host": "127.0.0.1", "port": 0},
  "log": {"level": "warn"},
  "plugins": {"directories": []},
  "database": {"data_dir": "$work/pg", "migrations_dir": "$src/schemas/migrations"},
  "api": {
    "enabled": true,
    "signal_cache_ms": $1,
    "admin": {"email": "bench@signalforge.test"},
    "password": {"ops_limit": 1, "mem_limit_kib": 8},
    "rate_limits": {"admin": {"per_second": 1000000, "burst": 1000000}}
  }
}
JSON
  : > "$work/out.log"
  (cd "$src" && exec "$bin" serve --config "$work/config.json") > "$work/out.log" 2> "$work/err.log" &
  server_pid=$!
  for _ in $(seq 1 240); do
    grep -q "listening on" "$work/out.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/err.log"; exit 1; }
    sleep 0.5
  done
  url=$(grep -o 'http://[0-9.:]*' "$work/out.log" | head -1)
  [ -n "$url" ] || { echo "bench-api: serve did not start"; cat "$work/err.log"; exit 1; }
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"email":"bench@signalforge.test","password":"bench-password-123"}' \
    "$url/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}
stop_serve() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
export SIGNALFORGE_JWT_SECRET=bench-secret-0123456789abcdef0123456789
export SIGNALFORGE_ADMIN_PASSWORD=bench-password-123
target="/api/v1/signals?limit=50"
run_wrk() {
  code=$(curl -s -o "$work/page.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$url$target")
  [ "$code" = "200" ] || { echo "bench-api: $target answered $code"; exit 1; }
  items=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/page.json")
  echo "== wrk: GET $target ($items signals, $(wc -c < "$work/page.json") bytes), 64 connections, ${duration}s, valid token, $1 =="
  wrk -t2 -c64 -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url$target"
}

start_serve 1000
# 200 signals so the page really holds 50 (the embedded cluster listens on
# a socket in its data folder; the migrations ran at start).
socket_port=$(sed -n "s/^port = \([0-9]*\).*/\1/p" "$work/pg/signalforge.conf" | head -1)
psql "host=$work/pg port=${socket_port:-5432} user=postgres dbname=signalforge" -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO instruments (symbol) VALUES ('BENCH') ON CONFLICT DO NOTHING;
INSERT INTO strategies (name) VALUES ('bench') ON CONFLICT DO NOTHING;
INSERT INTO strategy_versions (strategy_id, content_hash, source)
  SELECT id, 'bench-hash-0001', 'return {}' FROM strategies WHERE name = 'bench';
INSERT INTO signals (strategy_id, strategy_version_id, instrument_id, side, timeframe, bar_ts,
                     entry_price, current_price, target_price, stop_price, confidence, summary)
  SELECT s.id, v.id, i.id, 'buy', '1d', timestamptz '2024-01-01' + g * interval '1 day',
         100 + g, 101 + g, 110 + g, 95 + g, 0.8, 'BENCH oversold (benchmark row ' || g || ')'
  FROM strategies s JOIN strategy_versions v ON v.strategy_id = s.id, instruments i,
       generate_series(1, 200) g
  WHERE s.name = 'bench' AND i.symbol = 'BENCH';
SQL
run_wrk "signal cache on (api.signal_cache_ms 1000)"
echo "== wrk: GET /healthz (listener only), 64 connections, ${duration}s =="
wrk -t2 -c64 -d"${duration}s" --latency "$url/healthz"
stop_serve
start_serve 0
run_wrk "signal cache off (api.signal_cache_ms 0: one query per request, as before)"
stop_serve
uptime
