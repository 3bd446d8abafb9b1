#!/usr/bin/env bash
# noida-db (MIT) emulating a Kafka broker on 127.0.0.1:19093 for the
# exactly-once tests: unlike tansu, its transactions are right (aborted
# records hidden from read_committed readers). Installed from PyPI pinned by
# hash. It stops on SIGINT and ignores SIGTERM. State under .work/noida/.
#   scripts/services/noida.sh start|stop|status|url
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="$PWD/.work/noida"
PORT="${NOIDA_PORT:-19093}"
URL="127.0.0.1:$PORT"
PIDFILE="$DIR/noida.pid"
LOG="$DIR/noida.log"
BIN="$DIR/pkg/noida_db/noida-db"
WHEEL_REQ='noida-db==0.2.3 --hash=sha256:40a2fb15567e3d344e7483df62bb439e7d64ac6fb232f4f223554aed58204f82'
# shellcheck source=scripts/services/lib.sh
. scripts/services/lib.sh


case "${1:-}" in
  start)
    install_wheel "$DIR" "$WHEEL_REQ" "$BIN"
    # A fresh data dir each start: tests never depend on an earlier session's topics.
    running "$PIDFILE" || { rm -rf "$DIR/data"; mkdir -p "$DIR/data"; }
    start_service noida-db "$PIDFILE" "$LOG" "$PORT" 30 \
      "$BIN" start --only kafka --host 127.0.0.1 --kafka-port "$PORT" --data-dir "$DIR/data"
    ;;
  stop) stop_pid "$PIDFILE" INT noida-db ;;
  status) running "$PIDFILE" && echo "running (pid $(cat "$PIDFILE"))" || { echo stopped; exit 1; } ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 64 ;;
esac
