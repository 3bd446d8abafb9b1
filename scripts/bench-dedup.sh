#!/usr/bin/env bash
# Dedup store scale benchmark: N fingerprints into the embedded (fjall LSM)
# store and into Redis, each in its own process so peak RSS is the store's own.
#   scripts/bench-dedup.sh [EMBEDDED_N] [REDIS_N] [REDIS_THREADS]   defaults: 1000000 1000000 8
# Prints, per backend: insert throughput and p50/p99 (with CPU seconds: the
# machine may be shared), lookup throughput and p50/p99 for exact copies,
# near copies and misses, RSS, and size on disk (embedded) or Redis
# used_memory. Redis: a private instance on ZHAOSHANG_REDIS_PORT (default
# 16379) started by scripts/services/redis.sh; its keys are removed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMBEDDED_N="${1:-1000000}"
REDIS_N="${2:-1000000}"
REDIS_THREADS="${3:-8}"
STATE="$ROOT/.work/bench-dedup"

cargo bench --bench dedup_store --no-run
rm -rf "$STATE"
mkdir -p "$STATE"
if [ "$EMBEDDED_N" != 0 ]; then
  echo "== embedded (fjall), $EMBEDDED_N fingerprints"
  cargo bench --bench dedup_store -- embedded "$EMBEDDED_N" "$STATE/embedded" 1
  rm -rf "$STATE/embedded"
fi

if [ "$REDIS_N" != 0 ]; then
  URL="$(scripts/services/redis.sh start)"
  # Record hashes (64 records of ~575 B) stay listpacks, as README advises.
  redis-cli -u "$URL" config set hash-max-listpack-value 1024 >/dev/null
  echo "== redis ($URL), $REDIS_N fingerprints, $REDIS_THREADS client threads"
  echo "redis used_memory before: $(redis-cli -u "$URL" info memory | grep -E '^used_memory_human' | cut -d: -f2 | tr -d '\r')"
  cargo bench --bench dedup_store -- redis "$REDIS_N" "$URL" "$REDIS_THREADS"
  # The bench keys carry the window as TTL; drop them now rather than in 30 days.
  redis-cli -u "$URL" --scan --pattern 'zhaoshang-bench:*' | xargs -r -n 1000 redis-cli -u "$URL" unlink >/dev/null
fi
