#!/usr/bin/env bash
# Dedup store scale benchmark: N fingerprints into the embedded (redb) store
# and into Redis, each in its own process so peak RSS is the store's own.
#   scripts/bench-dedup.sh [EMBEDDED_N] [REDIS_N]     defaults: 10000000 1000000
# Prints insert and lookup throughput, p50/p99 latency, peak RSS, size on disk.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EMBEDDED_N="${1:-10000000}"
REDIS_N="${2:-1000000}"
STATE="$ROOT/.work/bench-dedup"

cargo bench --bench dedup_store --no-run
rm -rf "$STATE"
mkdir -p "$STATE"
echo "== embedded (redb), $EMBEDDED_N fingerprints"
cargo bench --bench dedup_store -- embedded "$EMBEDDED_N" "$STATE/embedded"
rm -rf "$STATE/embedded"

if [ "$REDIS_N" != 0 ]; then
  URL="$(scripts/services/redis.sh start)"
  echo "== redis ($URL), $REDIS_N fingerprints"
  cargo bench --bench dedup_store -- redis "$REDIS_N" "$URL"
  echo "redis used_memory_peak: $(redis-cli -u "$URL" info memory | grep -E '^used_memory_peak_human' | cut -d: -f2 | tr -d '\r')"
  # The bench keys carry the window as TTL; drop them now rather than in 30 days.
  redis-cli -u "$URL" --scan --pattern 'zhaoshang-bench:*' | xargs -r -n 1000 redis-cli -u "$URL" del >/dev/null
fi
