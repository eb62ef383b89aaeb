#!/usr/bin/env bash
# The demo (README quick start): a private InfluxDB, then the hub with the demo community of
# config/. Ctrl-C stops the hub gracefully, then InfluxDB. Set HUB_INFLUX_URL to use your own.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'TXT'
Usage: npm run demo            (or: bash scripts/demo.sh)
Starts a private InfluxDB (unless HUB_INFLUX_URL is set) and the hub with config/hub.yaml and
config/inventory.yaml. MQTT on HUB_MQTT_PORT (default 1883). Ctrl-C stops everything.
TXT
  exit 0
fi

bash scripts/system-deps.sh
influx_dir=""
if [[ -z "${HUB_INFLUX_URL:-}" ]]; then
  influx_dir=$(mktemp -d -t community-hub-demo-influx.XXXXXX)
  eval "$(bash scripts/influxdb.sh start --dir "$influx_dir" --owner-pid $$ | grep -E '^(HUB_INFLUX_URL|INFLUX_PID)=')"
  export HUB_INFLUX_URL
  trap 'bash scripts/influxdb.sh stop --dir "$influx_dir" --clean >/dev/null' EXIT
fi
export HUB_DATA_DIR="${HUB_DATA_DIR:-$PWD/data/demo}"

cat <<TXT
community-hub demo
  InfluxDB  $HUB_INFLUX_URL (database community)
  MQTT      mqtt://localhost:${HUB_MQTT_PORT:-1883}  (gateway gw-east, password demo-gw-east-secret)
  data      $HUB_DATA_DIR (dead letters)
Try:
  mosquitto_pub -h localhost -p ${HUB_MQTT_PORT:-1883} -u gw-east -P demo-gw-east-secret -q 1 \\
    -t community/v1/maple-court/gw-east/bin-01/telemetry \\
    -m '{"battery":87,"compartments":[{"category":"kitchen","fill":62,"weight":12.3}]}'
  curl -sG "$HUB_INFLUX_URL/query" --data-urlencode db=community \\
    --data-urlencode 'q=SELECT * FROM bin_level ORDER BY time DESC LIMIT 5'
Ctrl-C stops the hub and InfluxDB.
TXT
# Not exec: the EXIT trap must run after the hub stops, to stop InfluxDB.
node bin/community-hub.js start --config config/hub.yaml &
hub=$!
trap 'kill -TERM $hub 2>/dev/null || true' INT TERM
wait $hub || wait $hub || true
