#!/usr/bin/env bash
# Score extraction on the dev corpus: build, run the offline pipeline over
# ../shared/corpus/dev, print score.py's report (and the first N errors).
# Usage: scripts/score-dev.sh [N_ERRORS]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${ZHAOSHANG_SHARED:-../shared}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo build -q
./target/debug/zhaoshang process "$shared/corpus/dev" --no-state --events "$out/events.jsonl" --outcomes "$out/outcomes.jsonl" >/dev/null
if [[ -n "${KEEP_EVENTS:-}" ]]; then cp "$out/events.jsonl" "$KEEP_EVENTS"; fi
python3 "$shared/tools/score.py" --gold "$shared/corpus/dev/gold.jsonl" \
  --events "$out/events.jsonl" --outcomes "$out/outcomes.jsonl" --show-errors "${1:-30}"
