#!/usr/bin/env bash
# Score extraction on one shared corpus (../shared/corpus/CORPUS): build, feed
# the corpus as envelopes the way tests/corpus_quality.rs does, run the offline
# pipeline, print score.py's report and the first N errors.
# Usage: scripts/score-dev.sh [CORPUS] [N_ERRORS]   (defaults: dev, 30)
#        scripts/score-dev.sh dev2 40
# A lone number is N_ERRORS for dev, as before. KEEP_EVENTS=path keeps the events.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then set -- dev "$1"; fi
corpus_name="${1:-dev}"
shared="${ZHAOSHANG_SHARED:-../shared}"
corpus="$shared/corpus/$corpus_name"
[[ -f "$corpus/gold.jsonl" ]] || { echo "no corpus at $corpus (want dev, dev2, dev3 or dev4)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# One envelope per gold article, in gold order (duplicates are judged in that
# order): url and the publication day from SOURCES.jsonl (a full date becomes
# 08:00 China time; ids without a row get just id and content), the text read
# in place from <id>.txt.
python3 - "$corpus" >"$out/envelopes.jsonl" <<'PY'
import json, os, sys
d = sys.argv[1]
rows = lambda p: [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]
src_path = os.path.join(d, "SOURCES.jsonl")
sources = {str(s["id"]): s for s in rows(src_path)} if os.path.exists(src_path) else {}
for g in rows(os.path.join(d, "gold.jsonl")):
    i = str(g["id"])
    s = sources.get(i, {})
    env = {"id": i}
    if s.get("url"):
        env["url"] = s["url"]
    day = s.get("published")
    if day:
        env["published_at"] = day + "T08:00:00+08:00" if len(day) == 10 else day
    with open(os.path.join(d, i + ".txt"), encoding="utf-8", errors="replace") as f:
        env["content"] = f.read()
    print(json.dumps(env, ensure_ascii=False))
PY

cargo build -q
./target/debug/zhaoshang process "$out/envelopes.jsonl" --no-state --events "$out/events.jsonl" --outcomes "$out/outcomes.jsonl" >/dev/null
if [[ -n "${KEEP_EVENTS:-}" ]]; then cp "$out/events.jsonl" "$KEEP_EVENTS"; fi
python3 "$shared/tools/score.py" --gold "$corpus/gold.jsonl" \
  --events "$out/events.jsonl" --outcomes "$out/outcomes.jsonl" --show-errors "${2:-30}"
