#!/usr/bin/env bash
# Real Prometheus for zhaoshang's ops tests: Debian's `prometheus` package
# (prometheus + promtool), and a private server on 127.0.0.1 that scrapes a
# zhaoshang daemon on loopback. Everything it writes lives under
# .work/prometheus/ in the repository.
#
#   prometheus.sh install             apt-get install prometheus if missing
#   prometheus.sh start [TARGET]      start on 127.0.0.1:19090 scraping TARGET
#                                     (default 127.0.0.1:9464), 1 s interval,
#                                     with deploy/prometheus/alerts.yml loaded
#   prometheus.sh stop                stop the server started by `start`
#   prometheus.sh status              exit 0 if it runs and answers /-/ready
#   prometheus.sh env                 print ZHAOSHANG_TEST_PROMTOOL=... and
#                                     ZHAOSHANG_TEST_PROMETHEUS=... lines
#
# Environment: PROMETHEUS_PORT (default 19090).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.work/prometheus"
PORT="${PROMETHEUS_PORT:-19090}"
PIDFILE="$WORK/prometheus.pid"
LOG="$WORK/prometheus.log"
PROMETHEUS_BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
PROMTOOL_BIN="${PROMTOOL_BIN:-/usr/bin/promtool}"

# shellcheck source=scripts/services/lib.sh
. "$ROOT/scripts/services/lib.sh"

log() { echo "prometheus.sh: $*" >&2; }

install() {
  if [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]]; then
    return 0
  fi
  log "installing Debian package prometheus"
  if [[ "$(id -u)" != 0 ]]; then
    log "need root for apt-get (or install the prometheus package yourself)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package's maintainer scripts would start a system-wide server on
  # :9090; RUNLEVEL=1 makes invoke-rc.d skip that, we only want the binaries.
  RUNLEVEL=1 apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { apt-get update -qq && RUNLEVEL=1 apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
  [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]] || { log "prometheus package installed no $PROMETHEUS_BIN"; exit 1; }
}

ready() {
  curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1
}

start() {
  local target="${1:-127.0.0.1:9464}"
  install
  if running "$PIDFILE"; then
    log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  port_free "$PORT" || { log "port $PORT is taken by another process"; exit 1; }
  mkdir -p "$WORK/data"
  # The alert rules are copied beside the config so the server never reads
  # the work tree while someone edits it.
  cp "$ROOT/deploy/prometheus/alerts.yml" "$WORK/alerts.yml"
  cat >"$WORK/prometheus.yml" <<EOF
# Written by scripts/services/prometheus.sh: a private server for tests.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $WORK/alerts.yml
scrape_configs:
  - job_name: zhaoshang
    static_configs:
      - targets: ["$target"]
EOF
  "$PROMTOOL_BIN" check config "$WORK/prometheus.yml" >/dev/null
  nohup "$PROMETHEUS_BIN" \
    --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/data" \
    --storage.tsdb.retention.time=2h \
    --web.listen-address="127.0.0.1:$PORT" \
    --web.enable-lifecycle \
    >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if ready; then
      log "ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE")), scraping $target"
      return 0
    fi
    running "$PIDFILE" || break
    sleep 0.2
  done
  log "did not become ready; last log lines:"
  tail -n 20 "$LOG" >&2 || true
  stop
  exit 1
}

stop() { stop_pid "$PIDFILE" TERM prometheus; }

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) running "$PIDFILE" && ready ;;
  env)
    install
    echo "ZHAOSHANG_TEST_PROMTOOL=$PROMTOOL_BIN"
    echo "ZHAOSHANG_TEST_PROMETHEUS=$PROMETHEUS_BIN"
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
