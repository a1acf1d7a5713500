#!/usr/bin/env bash
# Fuzzes Matte's .onnx reader with libFuzzer (and AddressSanitizer), seeded with small models that
# scripts/make-onnx-seeds.py writes, and a slice of Robust Video Matting's model when it is installed
# (scripts/setup-models.sh --rvm).
#   scripts/fuzz-onnx.sh [RUNS]                       reader only, RUNS mutated files (default 1000000)
#   MATTE_FUZZ_ENGINE=1 scripts/fuzz-onnx.sh 20000    reader + graph planner (a 48×32 frame) + one run
# A crash stops the run, prints the input's path under fuzz-artifacts/, and exits non-zero.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
work="$repo/.build-fuzz/onnx"
mkdir -p "$work/corpus" "$repo/fuzz-artifacts"

models=${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}
python3 "$repo/scripts/make-onnx-seeds.py" "$work/corpus" "$models/rvm_mobilenetv3_fp32.onnx"

# shellcheck source-path=SCRIPTDIR source=fuzz-build.sh
source "$repo/scripts/fuzz-build.sh"
build_inference_fuzzer "$work/onnx-fuzzer" "$repo"/Sources/MatteInference/*.swift \
    "$repo"/Sources/MatteInference/ONNX/*.swift "$repo/Fuzz/ONNXFuzzTarget.swift" \
    -- -I "$repo/Sources/CXNNPACK" -lXNNPACK -lpthreadpool

if [ -n "${MATTE_FUZZ_ENGINE:-}" ]; then
    # Each planner seed plans and runs as it is: a seed the engine refused would fuzz only the refusal.
    for seed in "$work"/corpus/seed-plan-*.onnx "$work/corpus/seed-rvm-slice.onnx"; do
        [ -f "$seed" ] || continue
        result=$(MATTE_FUZZ_VERBOSE=1 "$work/onnx-fuzzer" "$seed" 2>/dev/null | grep -m1 -E '^(engine|reader): ' || true)
        [[ "$result" == "engine: ran"* ]] || { echo "fuzz-onnx: ${seed##*/} does not run: ${result:-no result}" >&2; exit 1; }
    done
fi

# libFuzzer reports a crash itself (with the input saved); Swift's backtracer would only hold the process up.
export SWIFT_BACKTRACE=enable=no
echo "fuzz-onnx: $runs runs (engine: ${MATTE_FUZZ_ENGINE:-off})"
# max_len covers the seeds; the time limit turns any hang into a reported failure. The engine plans for a
# 48×32 frame, which no graph Matte accepts turns into more than a few hundred MB: a larger allocation is a
# planner bug.
limits=(-rss_limit_mb=4096)
[ -n "${MATTE_FUZZ_ENGINE:-}" ] && limits=(-rss_limit_mb=2048 -malloc_limit_mb=512)
"$work/onnx-fuzzer" -runs="$runs" -max_len=65536 -timeout=10 "${limits[@]}" -print_final_stats=1 \
    -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 25
