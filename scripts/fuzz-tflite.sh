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

# MatteInference's dependencies, each built as the module it is in the package.
dependencies=(MatteMemory MatteFileNames)
dependency_sources=()
for module in "${dependencies[@]}"; do dependency_sources+=("$repo/Sources/$module"/*.swift); done
sources=("$repo"/Sources/MatteInference/TFLite/*.swift "$repo"/Sources/MatteInference/XNNPACK/*.swift "$repo/Fuzz/TFLiteFuzzTarget.swift")
binary="$work/tflite-fuzzer"
if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" "${dependency_sources[@]}" -newer "$binary" 2>/dev/null)" ]; then
    echo "fuzz-tflite: building $binary"
    for module in "${dependencies[@]}"; do
        swiftc -O -sanitize=address -parse-as-library -module-name "$module" -emit-module \
            -emit-module-path "$work/$module.swiftmodule" -emit-library -static -o "$work/lib$module.a" \
            "$repo/Sources/$module"/*.swift
    done
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MatteInference \
        -I "$repo/Sources/CXNNPACK" -I "$work" -L "$work" "${dependencies[@]/#/-l}" -lXNNPACK -lpthreadpool \
        "${sources[@]}" -o "$binary"
fi

echo "fuzz-tflite: $runs runs (engine: ${MATTE_FUZZ_ENGINE:-off})"
# max_len covers the whole seed models; the time limit turns any hang into a reported failure.
"$binary" -runs="$runs" -max_len=262144 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 25
