#!/usr/bin/env bash
# The demo (README quick start): a private InfluxDB, the hub with the demo community of config/,
# and that community simulated (simulators/scenarios/demo.yaml, the same sites, gateways, devices
# and secrets as config/inventory.yaml): the last two days are sent at once, then it lives on in
# real time. Ctrl-C stops the simulator (it writes its ledger), then the hub, then InfluxDB.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'TXT'
Usage: npm run demo            (or: bash scripts/demo.sh)
Starts a private InfluxDB (unless HUB_INFLUX_URL is set), the hub with config/hub.yaml and
config/inventory.yaml, and the simulated demo community (simulators/scenarios/demo.yaml): two
days of history at once, then live. Prints where to look. Ctrl-C stops everything.

Environment:
  HUB_MQTT_PORT   MQTT port of the hub (default 1883)
  HUB_HTTP_PORT   HTTP API port of the hub (default 8080)
  HUB_ADMIN_KEY   the API key printed for curl (default: a demo key; set your own for anything real)
  HUB_DATA_DIR    dead letters, spool, hub log, simulator ledger (default data/demo)
  DEMO_SCENARIO   another scenario (its inventory is then generated into HUB_DATA_DIR)
  DEMO_SIM=0      run the hub alone, without the simulated community
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
mkdir -p "$HUB_DATA_DIR"
port="${HUB_MQTT_PORT:-1883}"
http_port="${HUB_HTTP_PORT:-8080}"
# The API needs a key (docs/contract.md §6); the demo makes an admin key unless one is given.
export HUB_ADMIN_KEY="${HUB_ADMIN_KEY:-demo-admin-key-change-me}"
scenario="${DEMO_SCENARIO:-simulators/scenarios/demo.yaml}"
if [[ -n "${DEMO_SCENARIO:-}" ]]; then
  # Another community: the hub gets the inventory that matches it (secrets hashed).
  node bin/community-sim.js inventory --scenario "$scenario" --out "$HUB_DATA_DIR/inventory.yaml"
  export HUB_INVENTORY="$HUB_DATA_DIR/inventory.yaml"
fi

# Background jobs in their own session: a Ctrl-C reaches them once, from the trap, in order.
# Only for `detach … &`: exec makes the job's subshell the program itself, so $! is its pid.
detach() { if command -v setsid >/dev/null; then exec setsid "$@"; else exec "$@"; fi; }
hub_log="$HUB_DATA_DIR/hub.log"
detach ./bin/community-hub.js start --config config/hub.yaml >"$hub_log" 2>&1 &
hub=$!
sim=""
stop_all() {
  trap '' INT TERM
  if [[ -n $sim ]]; then kill -INT "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; fi
  kill -TERM "$hub" 2>/dev/null || true
  wait "$hub" 2>/dev/null || true
}
trap 'stop_all' INT TERM

# The hub listens once InfluxDB is ready and the inventory checked (or it exits with the reason).
for _ in $(seq 1 120); do
  if ! kill -0 "$hub" 2>/dev/null; then echo "demo: the hub stopped; its log ($hub_log):" >&2; tail -n 20 "$hub_log" >&2; exit 1; fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.5
done

q() { printf "  curl -sG %s/query --data-urlencode db=community \\\\\n    --data-urlencode 'q=%s'\n" "$HUB_INFLUX_URL" "$1"; }
cat <<TXT
community-hub demo
  InfluxDB  $HUB_INFLUX_URL (database community)
  MQTT      mqtt://localhost:$port  (gateway gw-east, password demo-gw-east-secret;
            read-only observer grafana-observer, password demo-observer-secret)
  hub log   $hub_log
  data      $HUB_DATA_DIR (dead letters, spool; the simulator's ledger when it stops)
  community $scenario: the last two days at once, then live (one status line below)

Watch the traffic:
  mosquitto_sub -h localhost -p $port -u grafana-observer -P demo-observer-secret -v -t 'community/v1/#'
Query InfluxDB (InfluxQL):
$(q 'SELECT count("event_id") FROM deposit WHERE time > now() - 1d GROUP BY sorting')
$(q 'SELECT count(distinct("household")) FROM deposit WHERE time > now() - 1d')
$(q 'SELECT last("fill_pct") FROM bin_level GROUP BY device, category')
$(q 'SELECT count("heartbeat") FROM device_health WHERE time > now() - 6h GROUP BY time(1h), device')
Dead letters (refused messages, verbatim, with the reason):
  tail -n 3 $HUB_DATA_DIR/dead-letters/*.jsonl
TXT
api="curl -s -H 'Authorization: Bearer $HUB_ADMIN_KEY' http://localhost:$http_port"
cat <<TXT
HTTP API (OpenAPI at http://localhost:$http_port/docs):
  $api/ready
  $api/api/v1/sites/maple-court/devices
  $api/api/v1/sites/maple-court/kpis?period=day
  $api/metrics
KPIs and the monitoring report (docs/contract.md §5):
  HUB_INFLUX_URL=$HUB_INFLUX_URL node bin/community-hub.js kpi compute --config config/hub.yaml --site maple-court --period day
  HUB_INFLUX_URL=$HUB_INFLUX_URL node bin/community-hub.js report --config config/hub.yaml --site maple-court --period day
  (compare with the simulator's own: kpis in $HUB_DATA_DIR/sim-ledger.json, written when the demo stops)
Ctrl-C stops everything.
TXT
echo

if [[ "${DEMO_SIM:-1}" != "0" ]]; then
  detach node bin/community-sim.js run --scenario "$scenario" --hub "mqtt://127.0.0.1:$port" --follow \
    --ledger "$HUB_DATA_DIR/sim-ledger.json" --detail invalid &
  sim=$!
fi
# Not exec: the EXIT trap must run after the hub stops, to stop InfluxDB.
wait "$hub" || true
stop_all
