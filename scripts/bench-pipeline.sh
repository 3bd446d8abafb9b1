#!/usr/bin/env bash
# Throughput of the pure pipeline (decode + normalize + extract, no dedup
# store) on ONE core, over the dev corpus (../shared/corpus/dev, or samples/
# when it is absent) replicated to at least 50 MB. Prints MB/s (10^6 bytes)
# and articles/s; the target is >= 10 MB/s per core.
#
# Usage: scripts/bench-pipeline.sh [--one-pass] [extra criterion args]
#   default     criterion (10 passes, mean and 95% CI)
#   --one-pass  a single timed pass with the time per stage (quick, and says where the time goes)
# Builds in the bench (release) profile; the first build takes minutes. BENCH_CPU picks the core (0).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=criterion
if [[ "${1:-}" == "--one-pass" ]]; then mode=one-pass; shift; fi

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Pin to one CPU so the figure is per core, whatever else the machine runs.
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "${BENCH_CPU:-0}"); fi

# Build once and run the executable itself: a second `cargo bench` would
# rebuild whenever a source changed in between, and would not be pinned.
exe="$(cargo bench --bench pipeline --no-run --message-format=json \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "pipeline":
        print(m["executable"])')"
[[ -x "$exe" ]] || { echo "bench-pipeline: cannot find the built benchmark" >&2; exit 1; }

if [[ "$mode" == one-pass ]]; then
  "${pin[@]}" "$exe" --one-pass 2>&1 | tee "$log"
else
  CRITERION_HOME="$target_dir/criterion" "${pin[@]}" "$exe" --bench --noplot "$@" 2>&1 | tee "$log"
fi

python3 - "$mode" "$log" "$target_dir/criterion/pipeline/prepare_extract/new/estimates.json" <<'PY'
import json, re, sys
mode, log, estimates = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(log, encoding="utf-8").read()
m = re.search(r"corpus: (\d+) articles, (\d+) bytes", text)
if not m:
    sys.exit("bench-pipeline: the benchmark did not print its corpus line")
articles, size = int(m.group(1)), int(m.group(2))
mb = size / 1e6
if mode == "one-pass":
    secs = float(re.search(r"pass: ([\d.]+) s", text).group(1))
    ci = ""
else:
    est = json.load(open(estimates))["mean"]  # nanoseconds per pass
    secs = est["point_estimate"] / 1e9
    lo, hi = est["confidence_interval"]["lower_bound"] / 1e9, est["confidence_interval"]["upper_bound"] / 1e9
    ci = f"  (95% CI {mb / hi:.2f}-{mb / lo:.2f})"
print()
print(f"pipeline, 1 core, {mode}: {articles} articles, {mb:.1f} MB per pass, {secs:.2f} s per pass")
print(f"  throughput: {mb / secs:.2f} MB/s{ci}")
print(f"  articles/s: {articles / secs:.0f}  (mean article {size / articles / 1e3:.2f} kB)")
cpu = re.search(r"cpu: ([\d.]+) s", text)
if cpu:
    c = float(cpu.group(1))
    print(f"  on CPU time ({c:.2f} s; what an idle core gives): {mb / c:.2f} MB/s, {articles / c:.0f} articles/s")
for name, s in re.findall(r"stage: (\w+) ([\d.]+) s", text):
    print(f"  {name:<10} {float(s):8.2f} s  {100 * float(s) / secs:5.1f}%")
print(f"  target >= 10 MB/s per core: {'met' if mb / secs >= 10 else 'NOT met'}")
PY
