#!/usr/bin/env bash
# Compare Matte's inference engine with the official LiteRT runtime, same
# models, same run, alternating so both see the same machine conditions.
#
#   scripts/bench-inference.sh [--rounds 5] [--runs 200] [--model general|landscape|rvm]...
#                              [--size WxH] [--ratio R] [--litert-only] [MATTE_BINARY]
#
# MATTE_BINARY defaults to .build/release/matte (in the repo). Per model and
# round it runs `MATTE_BINARY bench inference --model M --runs N` and
# `scripts/bench_litert.py --model PATH --runs N` (1 thread, 10 warm-up runs,
# timing invoke() only), then prints the median of the per-round medians and
# the ratio matte/litert for each model. Both single-threaded.
# rvm (Robust Video Matting) is compared with ONNX Runtime (scripts/bench_ort_rvm.py) at --size (default
# 1280x720) and --ratio (default 0.25), Matte computing alpha and foreground as ONNX Runtime does, then Matte
# with alpha alone (what the live camera and masks need) for reference.
# --litert-only skips Matte (to check the reference side alone).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { printf 'bench-inference: %s\n' "$*" >&2; exit 1; }

ROUNDS=5
RUNS=200
LITERT_ONLY=0
MODELS=()
BINARY=""
SIZE=1280x720
RATIO=0.25
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="${2:?--rounds needs a value}"; shift 2 ;;
        --rounds=*) ROUNDS="${1#*=}"; shift ;;
        --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
        --runs=*) RUNS="${1#*=}"; shift ;;
        --model) MODELS+=("${2:?--model needs a value}"); shift 2 ;;
        --model=*) MODELS+=("${1#*=}"); shift ;;
        --size) SIZE="${2:?--size needs a value}"; shift 2 ;;
        --ratio) RATIO="${2:?--ratio needs a value}"; shift 2 ;;
        --litert-only) LITERT_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) [[ -z "$BINARY" ]] || die "only one MATTE_BINARY may be given"; BINARY="$1"; shift ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(general landscape)

MODELS_DIR="${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}"
model_path() {
    case "$1" in
        general) printf '%s\n' "$MODELS_DIR/selfie_segmentation.tflite" ;;
        landscape) printf '%s\n' "$MODELS_DIR/selfie_segmentation_landscape.tflite" ;;
        rvm) printf '%s\n' "$MODELS_DIR/rvm_mobilenetv3_fp32.onnx" ;;
        *) die "unknown model '$1' (general, landscape or rvm)" ;;
    esac
}
for m in "${MODELS[@]}"; do
    p="$(model_path "$m")"
    [[ -f "$p" ]] || die "model $p not found: run scripts/setup-models.sh$([[ $m == rvm ]] && echo ' --rvm') first"
done

if [[ $LITERT_ONLY -eq 0 ]]; then
    BINARY="${BINARY:-$REPO/.build/release/matte}"
    if [[ ! -x "$BINARY" ]]; then
        die "matte binary not found or not executable: $BINARY (build it with 'swift build -c release', pass its path, or use --litert-only)"
    fi
fi

# shellcheck source-path=SCRIPTDIR source=python-tools.sh
source "$HERE/python-tools.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/matte-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# Extracts "<median> <p10> <cpu>" (ms) from a benchmark line; p10/cpu may be "-".
parse() {
    local line="$1" med p10 cpu
    med="$(sed -nE 's/.*median ([0-9.]+) ms.*/\1/p' <<<"$line" | head -n 1)"
    p10="$(sed -nE 's/.*p10 ([0-9.]+) ms.*/\1/p' <<<"$line" | head -n 1)"
    cpu="$(sed -nE 's/.*cpu ([0-9.]+) ms.*/\1/p' <<<"$line" | head -n 1)"
    [[ -n "$med" ]] || return 1
    printf '%s %s %s\n' "$med" "${p10:--}" "${cpu:--}"
}

# run_one NAME LOGFILE cmd... : runs a benchmark, appends its median to LOGFILE.
run_one() {
    local name="$1" log="$2"; shift 2
    local out parsed
    if ! out="$("$@" 2>"$TMP/stderr")"; then
        printf 'bench-inference: %s failed: %s\n' "$name" "$*" >&2
        sed 's/^/  /' "$TMP/stderr" >&2
        exit 1
    fi
    if ! parsed="$(parse "$out")"; then
        printf "bench-inference: could not find 'median X ms' in %s's output:\n" "$name" >&2
        printf '%s\n' "$out" | sed 's/^/  /' >&2
        exit 1
    fi
    read -r med p10 cpu <<<"$parsed"
    printf '%s\n' "$med" >>"$log"
    printf '  %-7s median %8s ms   p10 %8s ms   cpu %8s ms\n' "$name" "$med" "$p10" "$cpu"
}

median_of() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench-inference: ${#MODELS[@]} model(s) x $ROUNDS round(s) x $RUNS runs, 1 thread"
[[ $LITERT_ONLY -eq 1 ]] || echo "bench-inference: matte = $BINARY"
echo "bench-inference: litert = $MATTE_PY $HERE/bench_litert.py (ai-edge-litert); for rvm, $HERE/bench_ort_rvm.py (onnxruntime)"

for m in "${MODELS[@]}"; do
    p="$(model_path "$m")"
    : >"$TMP/$m.matte"; : >"$TMP/$m.litert"; : >"$TMP/$m.alpha"
    # The reference runtime and Matte's command for this model.
    if [[ $m == rvm ]]; then
        reference=("$MATTE_PY" "$HERE/bench_ort_rvm.py" --size "$SIZE" --ratio "$RATIO" --frames "$RUNS")
        ours=("$BINARY" bench inference --model rvm --size "$SIZE" --downsample-ratio "$RATIO" --runs "$RUNS")
        mine=("${ours[@]}" --foreground)
    else
        reference=("$MATTE_PY" "$HERE/bench_litert.py" --model "$p" --runs "$RUNS")
        mine=("$BINARY" bench inference --model "$m" --runs "$RUNS")
    fi
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "$m round $r/$ROUNDS"
        # Alternate which side goes first so neither always gets the warmer machine.
        if (( r % 2 )) || [[ $LITERT_ONLY -eq 1 ]]; then
            [[ $LITERT_ONLY -eq 1 ]] || run_one matte "$TMP/$m.matte" "${mine[@]}"
            run_one litert "$TMP/$m.litert" "${reference[@]}"
        else
            run_one litert "$TMP/$m.litert" "${reference[@]}"
            run_one matte "$TMP/$m.matte" "${mine[@]}"
        fi
        [[ $m != rvm || $LITERT_ONLY -eq 1 ]] || run_one alpha "$TMP/$m.alpha" "${ours[@]}"
    done
done

echo
echo "median of per-round medians:"
for m in "${MODELS[@]}"; do
    lit="$(median_of "$TMP/$m.litert")"
    if [[ $LITERT_ONLY -eq 1 ]]; then
        printf '%s: litert %.2f ms\n' "$m" "$lit"
    else
        mat="$(median_of "$TMP/$m.matte")"
        ratio="$(awk -v a="$mat" -v b="$lit" 'BEGIN { printf "%.2f", a / b }')"
        printf '%s: matte %.2f ms, %s %.2f ms, ratio %s\n' "$m" "$mat" "$([[ $m == rvm ]] && echo onnxruntime || echo litert)" "$lit" "$ratio"
        if [[ $m == rvm ]]; then
            alpha="$(median_of "$TMP/$m.alpha")"
            printf '%s: matte alpha only %.2f ms, ratio %s\n' "$m" "$alpha" "$(awk -v a="$alpha" -v b="$lit" 'BEGIN { printf "%.2f", a / b }')"
        fi
    fi
done
