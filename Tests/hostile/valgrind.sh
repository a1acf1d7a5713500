#!/usr/bin/env bash
# Tests/hostile/valgrind.sh MATTE_BINARY: the decode, convert and composite paths under valgrind memcheck, on the
# pictures that once corrupted the heap (odd widths through FFmpeg's 4:2:0 converters). AddressSanitizer sees
# only Swift code; valgrind also sees FFmpeg and libjpeg-turbo writing into Matte's buffers. Any invalid read,
# write or free fails. (The Swift runtime and libcpuinfo report a few uninitialised-value warnings at start-up
# on every run; those are not memory errors and are not counted.)
set -uo pipefail
matte=$(realpath "${1:?usage: valgrind.sh MATTE_BINARY}")
photo="$(cd "$(dirname "$0")/../Fixtures" && pwd)/astronaut-1280x720.png"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
ffmpeg -nostdin -v error -i "$photo" -vf scale=361:641 -c:v libwebp odd.webp
ffmpeg -nostdin -v error -i "$photo" -vf scale=361:641 -pix_fmt yuvj420p odd.jpg
ffmpeg -nostdin -v error -loop 1 -i "$photo" -vf scale=321:181 -frames:v 3 -pix_fmt yuv444p -c:v libx264 odd.mkv
ffmpeg -nostdin -v error -i "$photo" -vf scale=65:37 -pix_fmt rgba small.png
passed=0; failed=0
while IFS= read -r arguments; do
    read -ra words <<<"$arguments"
    valgrind --log-file=valgrind.log "$matte" "${words[@]}" >/dev/null 2>&1
    problems=$(grep -cE 'Invalid (read|write|free)|Mismatched free|Source and destination overlap in memcpy\(' valgrind.log)
    if [ "$problems" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL: matte $arguments: $problems memory errors"; grep -A8 -m1 -E 'Invalid' valgrind.log
    fi
done <<'CASES'
mask odd.webp -o mask.png
render odd.jpg -o out.png --background blur
render small.png -o out.png --background odd.webp --foreground small.png
render odd.mkv -o out.mp4 --background #00ff00
CASES
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
