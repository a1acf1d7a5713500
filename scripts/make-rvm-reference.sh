#!/usr/bin/env bash
# Regenerate the Robust Video Matting references in Tests/Fixtures/rvm/ (and
# their section of Tests/Fixtures/README.md) with the official ONNX Runtime.
# Needs the RVM model (scripts/setup-models.sh --rvm; GPL-3.0, never committed)
# and network access to PyPI the first time (for the tool venv).
#
#   scripts/make-rvm-reference.sh [--out DIR] [--readme FILE] [--no-noise-check]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=python-tools.sh
source "$HERE/python-tools.sh"
exec "$MATTE_PY" "$HERE/make-rvm-reference.py" "$@"
