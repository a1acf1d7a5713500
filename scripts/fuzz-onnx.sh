#!/usr/bin/env bash
# Fuzzes Matte's .onnx reader with libFuzzer (and AddressSanitizer), seeded with small models, graphs of every
# operator the planner maps and graphs it must refuse, which scripts/make-onnx-seeds.py writes, and a slice of
# Robust Video Matting's model when it is installed (scripts/setup-models.sh --rvm). Half the mutations are
# libFuzzer's own (with Fuzz/onnx.dict), half Fuzz/ProtobufMutator.swift's: one value of the parsed file set to an
# edge (0, -1, 2^62, NaN, 60.0…) or one field repeated or dropped, every length kept right.
#   scripts/fuzz-onnx.sh [RUNS]                       reader only, RUNS mutated files (default 1000000)
#   MATTE_FUZZ_ENGINE=1 scripts/fuzz-onnx.sh 20000    reader + graph planner (as VideoMatter plans RVM for a 48×32
#                                                     frame) + one run; every seed-plan-* seed must run and every
#                                                     hostile-* seed be refused first
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
    "$repo"/Sources/MatteInference/ONNX/*.swift "$repo/Fuzz/ONNXFuzzTarget.swift" "$repo/Fuzz/ProtobufMutator.swift" \
    -- -I "$repo/Sources/CXNNPACK" -lXNNPACK -lpthreadpool

# libFuzzer reports a crash itself (with the input saved); Swift's backtracer would only hold the process up.
export SWIFT_BACKTRACE=enable=no
if [ -n "${MATTE_FUZZ_ENGINE:-}" ]; then
    # Each planner seed plans and runs as it is (a seed the engine refused would fuzz only the refusal), and the
    # planner refuses each hostile one.
    for seed in "$work"/corpus/seed-plan-*.onnx "$work/corpus/seed-rvm-slice.onnx" "$work"/corpus/hostile-*.onnx; do
        [ -f "$seed" ] || continue
        result=$(MATTE_FUZZ_VERBOSE=1 "$work/onnx-fuzzer" "$seed" 2>&1 | grep -m1 -E '^(engine|reader): |ERROR|Fatal' || true)
        ok=0
        case "${seed##*/}:$result" in
        seed-*:"engine: ran"*) ok=1 ;;
        hostile-*:"engine: ran"*) ;;
        hostile-*:"engine: "*) ok=1 ;;
        esac
        [ "$ok" = 1 ] || { echo "fuzz-onnx: ${seed##*/}: ${result:-no result}" >&2; exit 1; }
    done
fi

echo "fuzz-onnx: $runs runs (engine: ${MATTE_FUZZ_ENGINE:-off})"
# max_len covers the seeds; the time limit turns any hang into a reported failure. For a 48×32 frame the planner's
# budget (GraphPlanner.spend) is about 66 MB, so an allocation over 512 MB is a planner bug.
limits=(-rss_limit_mb=4096)
[ -n "${MATTE_FUZZ_ENGINE:-}" ] && limits=(-rss_limit_mb=2048 -malloc_limit_mb=512)
"$work/onnx-fuzzer" -runs="$runs" -max_len=65536 -timeout=10 "${limits[@]}" -dict="$repo/Fuzz/onnx.dict" \
    -print_final_stats=1 \
    -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 25
