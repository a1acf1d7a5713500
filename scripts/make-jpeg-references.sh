#!/usr/bin/env bash
# JPEG decode references: photos in the kinds cameras and phones write (4:2:0, 4:2:2, 4:4:4, progressive, odd
# sizes) made from the astronaut photo by libjpeg-turbo's own cjpeg, each decoded by its djpeg to a PPM: the
# decode PIL, OpenCV and MediaPipe see. Matte's decode must equal it (Tests/MatteMediaTests/JPEGTests.swift).
# Needs ffmpeg and libjpeg-turbo-progs; re-running gives the same files for the same libjpeg-turbo.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/Fixtures/jpeg
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Source pictures: an odd size and a camera-like size, as binary PPM for cjpeg.
ffmpeg -v error -y -i Tests/Fixtures/astronaut.png -vf scale=101:77 -pix_fmt rgb24 "$work/odd.ppm"
ffmpeg -v error -y -i Tests/Fixtures/astronaut.png -vf scale=160:120 -pix_fmt rgb24 "$work/even.ppm"
make() {  # name source cjpeg-options…
    local name=$1 source=$2
    shift 2
    cjpeg -quality 85 "$@" -outfile "$out/$name.jpg" "$work/$source.ppm"
    djpeg -ppm -outfile "$out/$name.ppm" "$out/$name.jpg"
}
make odd-420 odd -sample 2x2
make odd-422 odd -sample 2x1
make odd-444 odd -sample 1x1
make odd-420-progressive odd -sample 2x2 -progressive
make even-420 even -sample 2x2
make even-422-progressive even -sample 2x1 -progressive
echo "make-jpeg-references: wrote $(ls "$out" | wc -l) files to $out ($(djpeg -version 2>&1 | head -1))"
