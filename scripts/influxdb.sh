#!/usr/bin/env bash
# Start and stop a private InfluxDB 1.x server for development and tests (DEVELOPERS.md: real
# parts, no mocks). Each server lives in its own directory, listens on 127.0.0.1 only, on free
# ports, so several can run side by side and none depends on a system service on :8086.
set -euo pipefail

readonly PROG=${0##*/}
readonly MARKER='# community-hub private influxd'
READY_TIMEOUT=${INFLUX_READY_TIMEOUT:-30}   # seconds to wait for GET /ping
STOP_TIMEOUT=${INFLUX_STOP_TIMEOUT:-10}     # seconds between TERM and KILL
created_dir=''                              # a mktemp dir to remove if start fails

usage() {
  cat <<EOF
Usage:
  $PROG start [--dir DIR] [--port PORT] [--auth] [--max-row-limit N] [--owner-pid PID]
  $PROG stop --dir DIR [--clean]
  $PROG --help

start   Start a private influxd bound to 127.0.0.1 (HTTP and RPC on free ports), with its meta,
        data and wal directories, config, log and pid file in DIR (a new mktemp -d directory
        unless given). Starting again on an existing DIR reuses its data and, unless --port is
        given, its HTTP port. Waits for GET /ping to answer 204 (at most \$INFLUX_READY_TIMEOUT
        seconds, default 30). Prints, one per line on stdout:
          HUB_INFLUX_URL=http://127.0.0.1:PORT
          INFLUX_PID=PID
          INFLUX_DIR=DIR
        --auth          enable HTTP authentication ([http] auth-enabled = true)
        --max-row-limit N
                        answer at most N rows to a non-chunked query ([http] max-row-limit = N;
                        default 0, no limit): a server that truncates answers, for tests
        --owner-pid PID stop the server when process PID exits (tests pass their own pid)
        If HUB_INFLUX_URL is already set, nothing is started: it is reported and used as is.
        If influxd is missing it is installed with apt-get (Debian/Ubuntu, as root only).
stop    Stop the server of DIR by the PID in DIR/influxd.pid (TERM, then KILL after
        \$INFLUX_STOP_TIMEOUT seconds, default 10). Never signals a process that is not that
        server. --clean then removes DIR.
EOF
}

die() { echo "$PROG: $*" >&2; exit 1; }
info() { echo "$PROG: $*" >&2; }

# --- finding or installing influxd ----------------------------------------------------------

find_influxd() {
  command -v influxd 2>/dev/null || { [[ -x /usr/bin/influxd ]] && echo /usr/bin/influxd; } || true
}

cannot_install() {
  die "influxd was not found and $1.
Instead, either:
  - run InfluxDB in a container:  docker run -d -p 8086:8086 influxdb:1.8
    and then:                     export HUB_INFLUX_URL=http://localhost:8086
  - or install InfluxDB (1.x, 2.x or 3.x) yourself and set HUB_INFLUX_URL to its URL
    (plus HUB_INFLUX_TOKEN for 2.x/3.x, or HUB_INFLUX_USERNAME/HUB_INFLUX_PASSWORD for 1.x)."
}

system_influxd_pid() {
  local pid
  pid=$(cat /var/run/influxdb/influxd.pid 2>/dev/null) || return 0
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

install_influxd() {
  if [[ ! -r /etc/debian_version ]] || ! command -v apt-get >/dev/null; then
    cannot_install "this is not a Debian/Ubuntu machine (no apt-get)"
  fi
  [[ $(id -u) == 0 ]] || cannot_install "installing it needs root (sudo apt-get install influxdb)"
  info "influxd not found; installing the Debian package 'influxdb'"
  local before policy=/usr/sbin/policy-rc.d added_policy=
  before=$(system_influxd_pid)
  # The package's postinst runs invoke-rc.d to start a system service on :8086. There is no
  # init system here and we never use that service: a policy-rc.d that exits 101 ("action
  # forbidden", invoke-rc.d(8)) makes the postinst skip the start instead of failing.
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  local rc=0
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y influxdb; } >&2 || rc=$?
  if [[ -n $added_policy ]]; then rm -f "$policy"; fi
  ((rc == 0)) || cannot_install "'apt-get install influxdb' failed (exit $rc)"
  # If a system influxd came up anyway (it was not running before), stop it by its own script.
  local after
  after=$(system_influxd_pid)
  if [[ -n $after && $after != "$before" && -x /etc/init.d/influxdb ]]; then
    info "stopping the system influxd the package started (pid $after); we never use it"
    /etc/init.d/influxdb stop >&2 || true
  fi
  find_influxd
}

# --- helpers ----------------------------------------------------------------------------------

# Two distinct free loopback ports: listen(0) lets the kernel choose; both are held open
# together so they differ. A small window remains before influxd binds them.
free_ports() {
  node -e '
    const net = require("node:net");
    const a = net.createServer(), b = net.createServer();
    a.listen(0, "127.0.0.1", () => b.listen(0, "127.0.0.1", () => {
      console.log(a.address().port + " " + b.address().port); a.close(); b.close();
    }));'
}

# True when nothing listens on 127.0.0.1:PORT. Checked before start: otherwise another server
# already on that port would answer our /ping while ours fails to bind.
port_free() {
  node -e '
    const s = require("node:net").createServer();
    s.once("error", () => process.exit(1));
    s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close(() => process.exit(0)));' "$1"
}

# True while PID runs. A zombie counts as gone: where PID 1 does not reap orphans (some
# containers), an exited server stays a zombie and `kill -0` alone would still see it.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# True when PID is alive and is the influxd started with DIR's config (guards against a
# recycled PID: we never signal a process that is not ours).
is_our_server() {
  local pid=$1 dir=$2
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "-config $dir/influxdb.conf"
}

write_config() {
  local dir=$1 http=$2 rpc=$3 auth=$4 max_rows=$5
  cat >"$dir/influxdb.conf" <<EOF
$MARKER (scripts/influxdb.sh); regenerated on every start.
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"

[meta]
  dir = "$dir/meta"
  logging-enabled = false

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$http"
  auth-enabled = $auth
  max-row-limit = $max_rows
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
EOF
}

# Poll GET /ping until 204, the deadline, or the server's death (fail fast, no fixed sleep).
wait_ready() {
  node -e '
    const [url, pid, secs] = process.argv.slice(1);
    const deadline = Date.now() + Number(secs) * 1000;
    const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
    (async () => {
      for (;;) {
        try {
          const r = await fetch(url + "/ping", { signal: AbortSignal.timeout(1000) });
          if (r.status === 204) process.exit(0);
        } catch {}
        if (!alive()) { console.error("influxd exited during start-up"); process.exit(1); }
        if (Date.now() > deadline) { console.error("no 204 from " + url + "/ping in " + secs + " s"); process.exit(1); }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();' "$1" "$2" "$3"
}

# --- commands ---------------------------------------------------------------------------------

cmd_start() {
  local dir='' port='' auth=false owner='' max_rows=0
  while (($#)); do
    case $1 in
      --dir) dir=${2:?--dir needs a value}; shift 2 ;;
      --port) port=${2:?--port needs a value}; shift 2 ;;
      --auth) auth=true; shift ;;
      --max-row-limit) max_rows=${2:?--max-row-limit needs a value}; shift 2 ;;
      --owner-pid) owner=${2:?--owner-pid needs a value}; shift 2 ;;
      *) die "start: unknown argument '$1' (see --help)" ;;
    esac
  done
  if [[ -n ${HUB_INFLUX_URL:-} ]]; then
    info "HUB_INFLUX_URL is set; using $HUB_INFLUX_URL and starting nothing"
    echo "HUB_INFLUX_URL=$HUB_INFLUX_URL"
    return 0
  fi
  [[ -z $port || $port =~ ^[0-9]+$ ]] || die "--port must be a number"
  [[ -z $owner || $owner =~ ^[0-9]+$ ]] || die "--owner-pid must be a number"
  [[ $max_rows =~ ^[0-9]+$ ]] || die "--max-row-limit must be a number"

  local influxd
  influxd=$(find_influxd)
  [[ -n $influxd ]] || influxd=$(install_influxd)
  [[ -x $influxd ]] || die "influxd not found after installation"

  if [[ -z $dir ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/hub-influxdb.XXXXXX")
    # A directory we made and could not start a server in is removed again on failure.
    created_dir=$dir
    trap '[[ -z $created_dir ]] || rm -rf -- "$created_dir"' EXIT
  else
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
  fi

  if is_our_server "$(cat "$dir/influxd.pid" 2>/dev/null || true)" "$dir"; then
    info "already running in $dir"
    echo "HUB_INFLUX_URL=http://127.0.0.1:$(cat "$dir/http.port")"
    echo "INFLUX_PID=$(cat "$dir/influxd.pid")"
    echo "INFLUX_DIR=$dir"
    return 0
  fi

  local ports http rpc
  ports=$(free_ports)
  rpc=${ports#* }
  http=${port:-$(cat "$dir/http.port" 2>/dev/null || echo "${ports% *}")}
  port_free "$http" || die "port $http on 127.0.0.1 is in use; choose another --port"
  echo "$http" >"$dir/http.port"
  write_config "$dir" "$http" "$rpc" "$auth" "$max_rows"

  # INFLUXDB_* variables override the config file (influxd docs, "Environment variables"):
  # drop them so the private server is exactly what this file says.
  local -a clean_env=()
  local name
  for name in $(compgen -e); do
    if [[ $name == INFLUXDB_* ]]; then clean_env+=(-u "$name"); fi
  done

  # setsid: own session, so the server survives this shell and no terminal signal reaches it;
  # stdio to the log so whoever captures our stdout is not kept waiting on an inherited pipe.
  env "${clean_env[@]}" setsid "$influxd" run -config "$dir/influxdb.conf" \
    >>"$dir/influxd.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/influxd.pid"

  if [[ -n $owner ]]; then
    # Watchdog: if the owner (a test run) dies without calling stop, take the server down too.
    # shellcheck disable=SC2016 # $1 and $2 are the inner script's arguments
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
      kill -0 "$2" 2>/dev/null && kill -TERM "$2"' watchdog "$owner" "$pid" \
      >/dev/null 2>&1 </dev/null &
    echo $! >"$dir/watchdog.pid"
  fi

  local url="http://127.0.0.1:$http"
  if ! wait_ready "$url" "$pid" "$READY_TIMEOUT"; then
    info "influxd did not become ready; last lines of $dir/influxd.log:"
    tail -n 20 "$dir/influxd.log" >&2 || true
    cmd_stop --dir "$dir" >/dev/null 2>&1 || true
    exit 1
  fi
  created_dir=''
  echo "HUB_INFLUX_URL=$url"
  echo "INFLUX_PID=$pid"
  echo "INFLUX_DIR=$dir"
}

cmd_stop() {
  local dir='' clean=''
  while (($#)); do
    case $1 in
      --dir) dir=${2:?--dir needs a value}; shift 2 ;;
      --clean) clean=1; shift ;;
      *) die "stop: unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ -n $dir ]] || die "stop: --dir DIR is required"
  [[ -d $dir ]] || { info "no directory $dir; nothing to stop"; return 0; }
  dir=$(cd "$dir" && pwd -P)

  local pid wpid
  pid=$(cat "$dir/influxd.pid" 2>/dev/null || true)
  wpid=$(cat "$dir/watchdog.pid" 2>/dev/null || true)
  # The watchdog leads its own process group (setsid): signal the group, only if it is still
  # the watchdog of this server (its arguments end with "watchdog OWNER PID").
  if [[ -n $wpid && -n $pid ]] &&
    tr '\0' ' ' 2>/dev/null <"/proc/$wpid/cmdline" | grep -qE " watchdog [0-9]+ $pid \$"; then
    kill -TERM -- "-$wpid" 2>/dev/null || true
  fi
  rm -f "$dir/watchdog.pid"

  if is_our_server "$pid" "$dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if running "$pid"; then
      info "influxd $pid ignored TERM for ${STOP_TIMEOUT}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    info "stopped influxd $pid"
  else
    info "no running server of $dir"
  fi
  rm -f "$dir/influxd.pid"

  if [[ -n $clean ]]; then
    # Remove only a directory this script made a server in (its config carries our marker).
    if grep -qF "$MARKER" "$dir/influxdb.conf" 2>/dev/null; then
      rm -rf -- "$dir"
    else
      die "refusing to remove $dir: it holds no influxdb.conf written by $PROG"
    fi
  fi
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
