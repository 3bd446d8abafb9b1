#!/usr/bin/env bash
# Kafka throughput benchmark (prints figures; asserts nothing).
#   scripts/bench-kafka.sh [COUNT]      default COUNT=100000
# Needs a broker: tansu from scripts/services/tansu.sh (or ZHAOSHANG_BENCH_KAFKA=host:port).
# ZHAOSHANG_BENCH_DEDUP=embedded|memory|redis picks the dedup store (default embedded, the product default).
# Fills one topic with COUNT generated articles (reposts and poison included), then on that topic:
#   raw   — a plain consumer that reads and discards (examples/kafka_bench.rs): the ceiling;
#   passthrough, passthrough-eos — consume and produce, per input, exactly the records the daemon
#           writes for it (its events, outcome and DLQ records: payloads, keys, headers, found by
#           running the daemon's own code over the topic first, untimed), with the daemon's client
#           settings and commit discipline but no pipeline: the ceiling for any daemon that must
#           write those outputs (at-least-once, and exactly-once with transactions); also prints
#           records and bytes per article. ZHAOSHANG_BENCH_PASSTHROUGH=0 skips them;
#   alo   — `zhaoshang run`, delivery=at_least_once;
#   eos   — `zhaoshang run`, delivery=exactly_once (transactions).
# Rates are articles/s from the first consumed message to the last outcome, read off /metrics;
# peak RSS is VmHWM of the daemon process. Because the machine is shared, wall rates move with the
# load; the CPU figures do not: ms of CPU (utime+stime from /proc/PID/stat) per article, for the
# daemon over the same interval and for the raw consumer and the passthroughs. Compare them with the pipeline's own CPU
# per article (scripts/bench-pipeline.sh --one-pass: 1000 / its articles/s).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"
BROKERS="${ZHAOSHANG_BENCH_KAFKA:-$(scripts/services/tansu.sh url)}"
WORK="$PWD/.work/bench-kafka"
DEDUP="${ZHAOSHANG_BENCH_DEDUP:-embedded}"
# The broker runs on the same cores: its CPU over each run is printed too (tansu's pid file, or
# ZHAOSHANG_BENCH_BROKER_PID for another broker).
BROKER_PID="${ZHAOSHANG_BENCH_BROKER_PID:-$(cat .work/tansu/tansu.pid 2>/dev/null || echo 0)}"
mkdir -p "$WORK"

cargo build --quiet --release --bin zhaoshang --example kafka_bench
# Wherever cargo builds (CARGO_TARGET_DIR or ./target); ZHAOSHANG_BENCH_BIN runs another build of the daemon.
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="${ZHAOSHANG_BENCH_BIN:-$TARGET_DIR/release/zhaoshang}"
TOOL="$TARGET_DIR/release/examples/kafka_bench"
RUN="bench-$(date +%s)"
TOPIC="$RUN-in"

echo "== fill: $COUNT articles into $TOPIC on $BROKERS"
"$TOOL" fill "$BROKERS" "$TOPIC" "$COUNT" 4
echo "== raw consume"
RAW_LINE=$("$TOOL" raw "$BROKERS" "$TOPIC" "$COUNT" "$BROKER_PID")
echo "$RAW_LINE"
RAW_RATE=$(sed -n 's/.*raw_msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$RAW_LINE")
RAW_CPU=$(sed -n 's/.*raw_cpu_ms_per_msg=\([0-9.]*\).*/\1/p' <<<"$RAW_LINE")

# passthrough MODE: the tool's output, then its rate as a share of raw.
passthrough() {
  local out name rate
  out=$("$TOOL" "$1" "$BROKERS" "$TOPIC" "$COUNT" "$BROKER_PID") || { echo "$1 failed"; return; }
  # The records-per-article lines once (both modes print them).
  if [ "$1" = passthrough ]; then grep '^measure' <<<"$out" || true; fi
  grep -v '^measure' <<<"$out" || true
  name=${1//-/_}
  rate=$(sed -n "s/.*${name}_msgs_per_s=\([0-9.]*\).*/\1/p" <<<"$out")
  [ -n "$rate" ] || return 0
  python3 -c 'import sys; r, raw = float(sys.argv[2]), float(sys.argv[3]); print(f"{sys.argv[1]}: {r:.0f} articles/s, {100 * r / raw:.1f}% of raw ({raw:.0f}/s)")' "$1" "$rate" "$RAW_RATE"
}
if [ "${ZHAOSHANG_BENCH_PASSTHROUGH:-1}" != 0 ]; then
  echo "== passthrough, at-least-once (the daemon's outputs, no pipeline)"
  passthrough passthrough
  echo "== passthrough, exactly-once"
  passthrough passthrough-eos
fi

now() { date +%s.%N; }
# CPU seconds (user + system) the process has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
scrape() { curl -fsS "http://$1/metrics" 2>/dev/null || true; }
sum_metric() { awk -v n="$1" 'index($0, n) == 1 { s += $NF } END { printf "%d", s }'; }

run_daemon() {
  local mode=$1 port addr pid t0="" t1="" c0=0 c1=0 b0=0 b1=0 consumed=0 done=0 body rss deadline
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  addr="127.0.0.1:$port"
  rm -rf "$WORK/state-$mode"
  env ZHAOSHANG__KAFKA__BROKERS="$BROKERS" ZHAOSHANG__KAFKA__GROUP_ID="$RUN-$mode" \
    ZHAOSHANG__KAFKA__INPUT_TOPICS="$TOPIC" ZHAOSHANG__KAFKA__OUTPUT_TOPIC="$RUN-$mode-events" \
    ZHAOSHANG__KAFKA__OUTCOMES_TOPIC="$RUN-$mode-outcomes" ZHAOSHANG__KAFKA__DLQ_TOPIC="$RUN-$mode-dlq" \
    ZHAOSHANG__KAFKA__TRANSACTIONAL_ID="$RUN-$mode" ZHAOSHANG__DELIVERY="$mode" \
    ZHAOSHANG__KAFKA__PROPERTIES__SESSION_TIMEOUT_MS=6000 ZHAOSHANG__KAFKA__PROPERTIES__HEARTBEAT_INTERVAL_MS=1000 \
    ZHAOSHANG__DEDUP__BACKEND="$DEDUP" ZHAOSHANG__DEDUP__PATH="$WORK/state-$mode" ZHAOSHANG__METRICS__ADDRESS="$addr" ZHAOSHANG__LOG__LEVEL=warn \
    "$BIN" run >"$WORK/$mode.log" 2>&1 &
  pid=$!
  deadline=$(( $(date +%s) + 1800 ))
  while [ "$done" -lt "$COUNT" ] && [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
    body=$(scrape "$addr")
    consumed=$(sum_metric zhaoshang_messages_consumed_total <<<"$body")
    done=$(sum_metric 'zhaoshang_outcomes_total{' <<<"$body")
    if [ -z "$t0" ] && [ "$consumed" -gt 0 ]; then t0=$(now); c0=$(cpu_s "$pid"); b0=$(cpu_s "$BROKER_PID"); fi
    sleep 0.2
  done
  t1=$(now)
  c1=$(cpu_s "$pid")
  b1=$(cpu_s "$BROKER_PID")
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  if [ "$done" -lt "$COUNT" ]; then echo "$mode: only $done of $COUNT outcomes (see $WORK/$mode.log)"; return; fi
  python3 - "$mode" "$COUNT" "$t0" "$t1" "$RAW_RATE" "$rss" "$DEDUP" "$c0" "$c1" "$RAW_CPU" "$b0" "$b1" <<'PY'
import sys
mode, n, t0, t1, raw, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
c0, c1, raw_cpu = float(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10])
broker_ms = 1000 * (float(sys.argv[12]) - float(sys.argv[11])) / n
rate = n / (t1 - t0)
cpu_ms = 1000 * (c1 - c0) / n
print(f"{mode} (dedup {sys.argv[7]}): {n} articles in {t1 - t0:.1f} s = {rate:.0f} articles/s, {100 * rate / raw:.1f}% of raw ({raw:.0f}/s), peak RSS {rss / 1024:.0f} MiB")
print(f"{mode} cpu: {c1 - c0:.1f} s = {cpu_ms:.3f} ms CPU per article (raw consumer {raw_cpu:.3f} ms); {1000 / cpu_ms:.0f} articles per CPU-second; broker {broker_ms:.3f} ms CPU per article")
PY
}

echo "== zhaoshang run, at-least-once"
run_daemon at_least_once
echo "== zhaoshang run, exactly-once"
run_daemon exactly_once
echo "cpu: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
