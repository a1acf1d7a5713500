#!/usr/bin/env bash
# Fuzzes Matte's .tflite reader with libFuzzer (and AddressSanitizer), seeded with the installed models.
#   scripts/fuzz-tflite.sh [RUNS]            reader only, RUNS mutated files (default 1000000)
#   MATTE_FUZZ_ENGINE=1 scripts/fuzz-tflite.sh 20000   reader + XNNPACK graph build + one inference
# A crash stops the run, prints the input's path under fuzz-artifacts/, and exits non-zero.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
work="$repo/.build-fuzz"
mkdir -p "$work/corpus" "$repo/fuzz-artifacts"

models=${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}
for model in "$models"/selfie_segmentation*.tflite; do
    [ -f "$model" ] || { echo "fuzz-tflite: no models in $models; run scripts/setup-models.sh" >&2; exit 1; }
    cp -n "$model" "$work/corpus/" 2>/dev/null || true
done

# shellcheck source-path=SCRIPTDIR source=fuzz-build.sh
source "$repo/scripts/fuzz-build.sh"
build_inference_fuzzer "$work/tflite-fuzzer" "$repo"/Sources/MatteInference/*.swift \
    "$repo"/Sources/MatteInference/TFLite/*.swift "$repo"/Sources/MatteInference/XNNPACK/*.swift \
    "$repo/Fuzz/TFLiteFuzzTarget.swift" -- -I "$repo/Sources/CXNNPACK" -lXNNPACK -lpthreadpool

echo "fuzz-tflite: $runs runs (engine: ${MATTE_FUZZ_ENGINE:-off})"
# max_len covers the whole seed models; the time limit turns any hang into a reported failure.
"$work/tflite-fuzzer" -runs="$runs" -max_len=262144 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 25
