#!/bin/bash
# Container health check: GET /healthz on the metrics port, healthy on 200.
# Uses bash's /dev/tcp so that the runtime image needs no curl (which would
# bring libcurl and a dozen libraries for one request). The port follows
# ZHAOSHANG__METRICS__ADDRESS (host:port), default 9464.
set -u
address="${ZHAOSHANG__METRICS__ADDRESS:-0.0.0.0:9464}"
port="${address##*:}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
status_line=""
IFS= read -r -t 4 status_line <&3 || true
exec 3>&-
case "$status_line" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "unhealthy: ${status_line:-no answer} from 127.0.0.1:${port}/healthz" >&2; exit 1 ;;
esac
