#!/usr/bin/env bash
# Fuzzes the control protocol (the parser and line buffer that read a client's bytes) with libFuzzer and
# AddressSanitizer.
#   scripts/fuzz-control.sh [RUNS]     RUNS inputs (default 1000000)
# A crash stops the run, prints the input's path under fuzz-artifacts/, and exits non-zero.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
work="$repo/.build-fuzz/control"
mkdir -p "$work/corpus" "$repo/fuzz-artifacts"

# Seeds and dictionary are written here, so no fixture is edited by hand: every verb, after a hello, in one chunk.
i=0
for request in "background blur:20" "background #00ff00" "background /home/me/beach.jpg" "effect hologram sepia" \
    "effect none" "set threshold 0.6" "set mirror on" "next" "previous" "pause" "pause /tmp/away.png" "resume" \
    "toggle-pause" "status" "snapshot" "mask" "ping" "quit"; do
    printf '\x00matte-ctl 1\n%s\r\n' "$request" >"$work/corpus/seed-$i"
    i=$((i + 1))
done
cat >"$work/dictionary" <<'DICT'
"matte-ctl 1"
"background "
"effect "
"set "
"pause"
"toggle-pause"
"status"
"snapshot"
"blur:"
"#"
"\x0d"
"\x0a"
"\x00"
" "
DICT

sources=("$repo/Sources/MatteControl/ControlProtocol.swift" "$repo/Fuzz/ControlFuzzTarget.swift")
binary="$work/control-fuzzer"
if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" -newer "$binary" 2>/dev/null)" ]; then
    echo "fuzz-control: building $binary"
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name MatteControl "${sources[@]}" -o "$binary"
fi

# libFuzzer reports a crash itself (with the input saved); Swift's backtracer would only hold the process up.
export SWIFT_BACKTRACE=enable=no
echo "fuzz-control: $runs runs"
"$binary" -runs="$runs" -max_len=12288 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$work/dictionary" -artifact_prefix="$repo/fuzz-artifacts/" "$work/corpus" 2>&1 | tail -n 12
