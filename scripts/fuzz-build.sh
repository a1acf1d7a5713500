# shellcheck shell=bash
# Builds a libFuzzer binary from MatteInference's sources, for scripts/fuzz-tflite.sh and scripts/fuzz-onnx.sh:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/fuzz-build.sh"
#   build_inference_fuzzer BINARY SOURCE... [-- SWIFTC-OPTION...]
#
# MatteInference's dependencies are built first into BINARY's directory, each as the module it is in the package;
# nothing is built when no source is newer than BINARY.

build_inference_fuzzer() {
    local binary=$1
    shift
    local sources=() options=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sources+=("$1"); shift; done
    if [ $# -gt 0 ]; then shift; options=("$@"); fi
    local repo work module
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    work=$(dirname "$binary")
    local dependencies=(MatteMemory MatteFileNames) dependency_sources=()
    for module in "${dependencies[@]}"; do dependency_sources+=("$repo/Sources/$module"/*.swift); done
    local newer
    newer=$(find "${sources[@]}" "${dependency_sources[@]}" -newer "$binary" 2>/dev/null || true)
    if [ -x "$binary" ] && [ -z "$newer" ]; then return 0; fi
    echo "$(basename "$0" .sh): building $binary"
    for module in "${dependencies[@]}"; do
        swiftc -O -sanitize=address -parse-as-library -module-name "$module" -emit-module \
            -emit-module-path "$work/$module.swiftmodule" -emit-library -static -o "$work/lib$module.a" \
            "$repo/Sources/$module"/*.swift
    done
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MatteInference \
        -I "$work" -L "$work" "${dependencies[@]/#/-l}" "${options[@]}" "${sources[@]}" -o "$binary"
}
