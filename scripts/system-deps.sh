#!/usr/bin/env bash
# Installs the system packages the tests use when they are missing: InfluxDB (the real database,
# Debian's 1.6), mosquitto-clients (third-party MQTT clients for interop tests), chromium (the
# headless browser that checks the HTML reports, driven by playwright-core, and prints the PDF
# reports), poppler-utils (pdftoppm renders those PDFs for the tests to look at), a Chinese font
# (fonts-wqy-microhei: the zh-CN report's screenshots show characters, not empty boxes), openssl
# (the CLI that makes the TLS tests' CA and certificates) and mosquitto (the broker of the peer in
# `npm run bench -- throughput`, docs/benchmarks.md, and the one that enforces the ACL
# `community-hub broker mosquitto` writes, in its test) and redis-server (the Redis several hubs
# share, cluster.redisUrl: the KPI lease's and the embedded cluster mode's tests).
# Runs before `npm test` (the `pretest` script); does nothing when all are present.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  cat <<'TXT'
Usage: scripts/system-deps.sh
Installs Debian packages the test suite and benchmarks need when missing: influxdb, mosquitto-clients,
chromium, poppler-utils, fonts-wqy-microhei, openssl, mosquitto, redis-server.
Needs root on Debian/Ubuntu; elsewhere it prints what to install by hand.
TXT
  exit 0
fi

declare -A want=([influxd]=influxdb [mosquitto_pub]=mosquitto-clients [chromium]=chromium [pdftoppm]=poppler-utils [openssl]=openssl [mosquitto]=mosquitto [redis-server]=redis-server)
missing=()
for cmd in "${!want[@]}"; do
  # The broker lives in /usr/sbin, which a user's PATH may not hold.
  command -v "$cmd" >/dev/null 2>&1 || [[ -x "/usr/sbin/$cmd" ]] || missing+=("${want[$cmd]}")
done
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  # No services are started here: there is no init system, and the tests start their own InfluxDB
  # and Redis.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "system-deps: missing ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})," >&2
  echo "or point the tests at a running InfluxDB with HUB_INFLUX_URL=http://localhost:8086 (docker run -d -p 8086:8086 influxdb:1.8)." >&2
  exit 1
fi
