#!/usr/bin/env bash
# Fuzzes Matte's .onnx reader with libFuzzer (and AddressSanitizer), seeded with small models that
# scripts/make-onnx-seeds.py writes, and a slice of Robust Video Matting's model when it is installed
# (scripts/setup-models.sh --rvm).
#   scripts/fuzz-onnx.sh [RUNS]            RUNS mutated files (default 1000000)
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
# The reader's files alone: the planner and engine beside them in ONNX/ need XNNPACK and do not read the file.
onnx="$repo/Sources/MatteInference/ONNX"
build_inference_fuzzer "$work/onnx-fuzzer" "$repo"/Sources/MatteInference/*.swift "$onnx/ProtobufReader.swift" \
    "$onnx/ONNXModel.swift" "$onnx/ONNXModel+Reader.swift" "$onnx/ONNXModel+File.swift" \
    "$repo/Fuzz/ONNXFuzzTarget.swift"

# libFuzzer reports a crash itself (with the input saved); Swift's backtracer would only hold the process up.
export SWIFT_BACKTRACE=enable=no
echo "fuzz-onnx: $runs runs"
# max_len covers the seeds; the time limit turns any hang into a reported failure.
"$work/onnx-fuzzer" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 25
