#!/usr/bin/env bash
# The main job, from a fresh Debian machine with Swift 6: installs packages and models, builds `matte`
# (release), and segments a sample photo, writing astronaut-mask.png. Pass another image to segment it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-$repo/Tests/Fixtures/astronaut.jpg}
"$repo/scripts/install-deps.sh"
"$repo/scripts/setup-models.sh"
swift build -c release --package-path "$repo"
output="$(basename "${image%.*}")-mask.png"
"$repo/.build/release/matte" mask "$image" -o "$output"
echo "run: wrote $output (white = person), from $image"
