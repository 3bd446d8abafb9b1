#!/usr/bin/env bash
# A private Redis for tests and benchmarks: 127.0.0.1:16379, no persistence,
# pidfile and log under .work/redis/ in the repository root.
#   scripts/services/redis.sh start   install redis-server if missing, start, wait for PING, print the URL
#   scripts/services/redis.sh stop    stop the instance started here (by its pidfile)
#   scripts/services/redis.sh url     print the URL
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/.work/redis"
PORT="${ZHAOSHANG_REDIS_PORT:-16379}"
URL="redis://127.0.0.1:$PORT/"
PIDFILE="$DIR/redis.pid"
# shellcheck source=scripts/services/lib.sh
. "$ROOT/scripts/services/lib.sh"

ensure_installed() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  echo "redis-server not found; installing it with apt-get" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >&2
}

ping() {
  redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG
}

start() {
  ensure_installed
  mkdir -p "$DIR"
  if running "$PIDFILE" && ping; then
    echo "$URL"
    return
  fi
  redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$DIR/redis.log" --dir "$DIR"
  for _ in $(seq 1 100); do
    if ping; then echo "$URL"; return; fi
    sleep 0.1
  done
  echo "redis did not answer PING on 127.0.0.1:$PORT; see $DIR/redis.log" >&2
  exit 1
}

stop() { stop_pid "$PIDFILE" TERM redis >&2; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 {start|stop|url}" >&2; exit 2 ;;
esac
