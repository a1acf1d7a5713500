#!/usr/bin/env bash
# Runs the built `matte` binary as a user would: good input gives files, bad input a one-line reason and a
# non-zero exit. Usage: Tests/cli/cli-tests.sh [MATTE_BINARY] (default .build/debug/matte).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
matte=${1:-$repo/.build/debug/matte}
fixtures="$repo/Tests/Fixtures"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0; failed=0

check() {  # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# run EXPECTED_STATUS ARGS...: runs matte, keeps stdout/stderr in $scratch/out and $scratch/err.
run() {
    local expected=$1; shift
    "$matte" "$@" >"$scratch/out" 2>"$scratch/err"
    local status=$?
    [ "$expected" = nonzero ] && { [ $status -ne 0 ]; return; }
    [ $status -eq "$expected" ]
}
one_line_naming() { [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q -- "$1" "$scratch/err"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# A mask of a real photo, as a gray PNG at the photo's size (ffprobe is the independent reader).
check "mask of a JPEG" run 0 mask "$fixtures/astronaut.jpg" -o "$scratch/mask.png"
check "mask is a PNG" is_png "$scratch/mask.png"
check "mask is 512x512 gray" test "$(ffprobe -v error -show_entries stream=width,height,pix_fmt -of csv=p=0 "$scratch/mask.png")" = "512,512,gray"
# The person is in the middle of the photo, the top-right corner is background.
ffmpeg -v error -i "$scratch/mask.png" -f rawvideo -pix_fmt gray "$scratch/mask.gray"
centre=$(od -An -tu1 -j $((300 * 512 + 230)) -N1 "$scratch/mask.gray" | tr -d ' ')
corner=$(od -An -tu1 -j $((20 * 512 + 500)) -N1 "$scratch/mask.gray" | tr -d ' ')
check "person is white" test "$centre" -ge 200
check "background is black" test "$corner" -le 30
check "mask of a 16:9 PNG with the landscape model" run 0 mask "$fixtures/astronaut-1280x720.png" -o "$scratch/wide.png" --model landscape

check "missing image fails" run nonzero mask /nonexistent/photo.jpg -o "$scratch/x.png"
check "missing image is named" one_line_naming "/nonexistent/photo.jpg"
printf 'not an image at all' >"$scratch/bad.jpg"
check "corrupt image fails" run nonzero mask "$scratch/bad.jpg" -o "$scratch/x.png"
check "corrupt image is named" one_line_naming "$scratch/bad.jpg"
check "no output for bad input" test ! -e "$scratch/x.png"
check "corrupt model fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model "$fixtures/astronaut.png"
check "corrupt model is named" one_line_naming "corrupt model"
head -c 100000 "${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}/selfie_segmentation.tflite" >"$scratch/cut.tflite"
check "truncated model fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model "$scratch/cut.tflite"
check "truncated model is named" one_line_naming "$scratch/cut.tflite"
uninstalled() { ! env MATTE_MODELS_DIR=/nonexistent HOME=/nonexistent XDG_DATA_HOME= \
    "$matte" mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model general 2>"$scratch/err" >/dev/null; }
check "uninstalled model fails" uninstalled
check "uninstalled model says how to install" one_line_naming "scripts/setup-models.sh"
check "unwritable output fails" run nonzero mask "$fixtures/astronaut.jpg" -o /nonexistent-dir/mask.png
check "unwritable output is named" one_line_naming "/nonexistent-dir/mask.png"
check "unknown option fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/y.png" --frobnicate
check "unknown option is named" grep -q -- "--frobnicate" "$scratch/err"

check "bench inference runs" run 0 bench inference --model general --runs 5
check "bench prints median, p10 and cpu" grep -Eq "median [0-9.]+ ms, p10 [0-9.]+ ms, cpu [0-9.]+ ms" "$scratch/out"
check "bench rejects zero runs" run nonzero bench inference --runs 0

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
