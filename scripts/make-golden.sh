#!/usr/bin/env bash
# Regenerate the reference fixtures in Tests/Fixtures/ with the official LiteRT
# runtime. Needs the models (scripts/setup-models.sh) and network access to
# PyPI the first time (for the tool venv).
#
#   scripts/make-golden.sh [--out DIR] [--preview DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=python-tools.sh
source "$HERE/python-tools.sh"
exec "$MATTE_PY" "$HERE/make-golden.py" "$@"
