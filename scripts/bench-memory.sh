#!/usr/bin/env bash
# Peak resident memory (VmHWM) of Matte's main jobs, each against a baseline measured in the same run:
#   --help and the live path against `ffprobe -version` (a program that only loads FFmpeg's libraries, as
#   matte does at start), a render against ffmpeg transcoding the same clip with the same x264 settings.
# The live path is measured by `matte bench pipeline` (the live pipeline into a null sink, one size per
# process); the VM test (Tests/e2e/live.sh) measures `matte live` itself with a real camera.
# usage: scripts/bench-memory.sh [MATTE]   (default .build/release/matte; needs ffmpeg and GNU time)
set -euo pipefail
matte=$(readlink -f "${1:-.build/release/matte}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
ffmpeg -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -t 10 \
    -c:v libx264 -pix_fmt yuv420p -c:a aac clip.mp4
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
report() { printf "%-34s %4d MB  (%s× %s, %d MB)\n" "$1" $(($2 / 1024)) "$(ratio "$2" "$3")" "$4" $(($3 / 1024)); }

libraries=$(peak ffprobe -version)
transcode=$(peak ffmpeg -loglevel error -i clip.mp4 -c:v libx264 -preset veryfast -crf 18 \
    -x264-params threads=2:sliced-threads=1:bframes=0:rc-lookahead=3 -c:a copy ffmpeg.mkv)
report "matte --help" "$(peak "$matte" --help)" "$libraries" "ffprobe -version"
report "matte bench pipeline 720p30 (blur)" \
    "$(peak "$matte" bench pipeline --seconds 3 --sizes 1280x720@30 --background blur)" "$libraries" "ffprobe -version"
report "matte bench pipeline 720p30 (image)" \
    "$(peak "$matte" bench pipeline --seconds 3 --sizes 1280x720@30 --background image)" "$libraries" "ffprobe -version"
report "matte bench pipeline 1080p60 (blur)" \
    "$(peak "$matte" bench pipeline --seconds 3 --sizes 1920x1080@60 --background blur)" "$libraries" "ffprobe -version"
report "matte render 720p (blur)" "$(peak "$matte" render clip.mp4 -o blur.mkv)" "$transcode" "ffmpeg transcode"
report "matte render 720p (#1d3557)" "$(peak "$matte" render clip.mp4 -o colour.mkv --background '#1d3557')" \
    "$transcode" "ffmpeg transcode"
