#!/usr/bin/env bash
# The main job, from a fresh Debian machine with Swift 6: installs packages and models, sets up the virtual
# camera (v4l2loopback), builds `matte` (release) and runs it: the first camera becomes the "Matte" virtual
# camera with a blurred background. Arguments go to `matte` (e.g. --background ~/beach.jpg; see --help).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
"$repo/scripts/setup-models.sh"
"$repo/scripts/setup-loopback.sh"
swift build -c release --package-path "$repo"
exec "$repo/.build/release/matte" "$@"
