#!/usr/bin/env bash
# Throughput of the pure pipeline (decode + normalize + extract, no dedup
# store) on ONE core, over the dev corpus (../shared/corpus/dev, or samples/
# when it is absent) replicated to at least 50 MB. Prints MB/s and
# articles/s from criterion's estimate; the target is >= 10 MB/s per core.
#
# Usage: scripts/bench-pipeline.sh [extra criterion args, e.g. --measurement-time 60]
# Builds in the bench (release) profile; the first build takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Pin to one CPU so the figure is per core, whatever else the machine runs.
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "${BENCH_CPU:-0}"); fi

cargo bench --bench pipeline --no-run
"${pin[@]}" cargo bench --bench pipeline -- --noplot "$@" 2>&1 | tee "$log"

python3 - "$log" "$target_dir/criterion/pipeline/prepare_extract/new/estimates.json" <<'PY'
import json, re, sys
log, estimates = sys.argv[1], sys.argv[2]
m = re.search(r"corpus: (\d+) articles, (\d+) bytes", open(log, encoding="utf-8").read())
if not m:
    sys.exit("bench-pipeline: the benchmark did not print its corpus line")
articles, size = int(m.group(1)), int(m.group(2))
est = json.load(open(estimates))
lo, mean, hi = (est["mean"]["confidence_interval"]["lower_bound"], est["mean"]["point_estimate"],
                est["mean"]["confidence_interval"]["upper_bound"])  # nanoseconds per pass
mb = size / 1e6
print()
print(f"pipeline, 1 core: {articles} articles, {mb:.1f} MB per pass, {mean / 1e9:.2f} s per pass")
print(f"  throughput: {mb / (mean / 1e9):.1f} MB/s  (95% CI {mb / (hi / 1e9):.1f}-{mb / (lo / 1e9):.1f})")
print(f"  articles/s: {articles / (mean / 1e9):.0f}  (mean article {size / articles / 1e3:.1f} kB)")
print(f"  target >= 10 MB/s per core: {'met' if mb / (mean / 1e9) >= 10 else 'NOT met'}")
PY
