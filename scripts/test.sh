#!/usr/bin/env bash
# The project's test command. Installs (when missing) and starts the real
# services the tests talk to on 127.0.0.1 — tansu (Kafka protocol, end-to-end
# tests), noida-db (Kafka protocol with faithful transactions, exactly-once
# tests), a private Redis (shared dedup store), Prometheus + promtool — then
# runs the whole suite with those services required, and stops them.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test kafka_pipeline`).
set -euo pipefail
cd "$(dirname "$0")/.."

stop_all() {
  for s in tansu noida redis prometheus; do
    "scripts/services/$s.sh" stop >/dev/null 2>&1 || true
  done
}
trap stop_all EXIT

for s in redis tansu noida; do
  "scripts/services/$s.sh" start >&2
done
ZHAOSHANG_TEST_REDIS="$(scripts/services/redis.sh url)"
ZHAOSHANG_TEST_KAFKA="$(scripts/services/tansu.sh url)"
ZHAOSHANG_TEST_KAFKA_EOS="$(scripts/services/noida.sh url)"
export ZHAOSHANG_TEST_REDIS ZHAOSHANG_TEST_KAFKA ZHAOSHANG_TEST_KAFKA_EOS
# Sets ZHAOSHANG_TEST_PROMTOOL and ZHAOSHANG_TEST_PROMETHEUS (installs Debian's prometheus).
eval "export $(scripts/services/prometheus.sh env | tr '\n' ' ')"
# Offline validators for deploy/ (kubernetes-validate, check-jsonschema).
eval "export $(deploy/tools.sh env | tr '\n' ' ')"
# A Debian minbase root with only the Dockerfile's runtime packages, where the
# release binary is run as the image would run it (no Docker engine here).
deploy/docker/runtime-rootfs.sh build >&2
eval "export $(deploy/docker/runtime-rootfs.sh env)"
# A test that needs one of these services fails instead of skipping.
export ZHAOSHANG_REQUIRE_SERVICES=1

# Every package of Cargo.lock, for every platform: ops_dockerfile checks the
# Docker build context with `cargo fetch --offline --locked`, which needs all
# of them in the local registry, not only those this host compiles.
cargo fetch --locked >&2

echo "services: kafka=$ZHAOSHANG_TEST_KAFKA kafka-eos=$ZHAOSHANG_TEST_KAFKA_EOS redis=$ZHAOSHANG_TEST_REDIS" >&2
cargo test --locked "$@"
