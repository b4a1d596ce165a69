#!/usr/bin/env bash
# bench-api: throughput and latency of the HTTP API with wrk (Debian package
# wrk). Starts `signalforge serve` on a free port with a throwaway embedded
# database, logs in as a bootstrap admin (rate limits raised out of the way),
# then runs wrk with 64 connections against GET /api/v1/signals?limit=50 (or
# GET /api/v1/me when the signals route is not registered) and, for a ratio
# in the same run, against GET /healthz (the listener without the API).
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
cat > "$work/config.json" <<JSON
{
  "http": {"host": "127.0.0.1", "port": 0, "threads": 96},
  "log": {"level": "warn"},
  "plugins": {"directories": []},
  "database": {"data_dir": "$work/pg", "migrations_dir": "$src/schemas/migrations"},
  "api": {
    "enabled": true,
    "admin": {"email": "bench@signalforge.test"},
    "password": {"ops_limit": 1, "mem_limit_kib": 8},
    "rate_limits": {"admin": {"per_second": 1000000, "burst": 1000000}}
  }
}
JSON
export SIGNALFORGE_JWT_SECRET=bench-secret-0123456789abcdef0123456789
export SIGNALFORGE_ADMIN_PASSWORD=bench-password-123
# From the source folder, as the README runs it (config/calendars, scripts/).
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
target="/api/v1/signals?limit=50"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$target")
if [ "$code" = "404" ]; then
  echo "bench-api: $target is not registered; benchmarking GET /api/v1/me instead"
  target="/api/v1/me"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$target")
fi
[ "$code" = "200" ] || { echo "bench-api: $target answered $code"; exit 1; }
echo "== wrk: GET $target, 64 connections, ${duration}s, valid token =="
wrk -t2 -c64 -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url$target"
echo "== wrk: GET /healthz (listener only), 64 connections, ${duration}s =="
wrk -t2 -c64 -d"${duration}s" --latency "$url/healthz"
