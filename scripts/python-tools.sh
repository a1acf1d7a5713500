# shellcheck shell=bash
# Python tool environment for reference work (golden fixtures, LiteRT and ONNX Runtime benchmarks).
#
# Source it from another script:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/python-tools.sh"
#   "$MATTE_PY" scripts/make-golden.py
#
# It creates (once) a venv at $REPO/.venv-tools with the pinned packages below
# and exports MATTE_PY (the venv's python) and MATTE_REPO (the repo root).
# A stamp file keyed on the pin list and the base interpreter makes re-runs
# cost only a few milliseconds. Change a pin and the venv is rebuilt.
#
# Can also be run directly (`scripts/python-tools.sh`) to just set it up.

# Exact versions used to make Tests/Fixtures (see Tests/Fixtures/README.md).
MATTE_TOOLS_PINS=(
    "ai-edge-litert==2.3.0"
    "numpy==2.4.6"
    "onnxruntime==1.32.0"
    "pillow==13.0.0"
    "scikit-image==0.26.0"
)

MATTE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MATTE_TOOLS_VENV="$MATTE_REPO/.venv-tools"
MATTE_PY="$MATTE_TOOLS_VENV/bin/python"
export MATTE_REPO MATTE_TOOLS_VENV MATTE_PY

_matte_tools_log() { printf 'python-tools: %s\n' "$*" >&2; }

_matte_tools_base_python() {
    if [[ -n "${MATTE_BASE_PYTHON:-}" ]]; then
        printf '%s\n' "$MATTE_BASE_PYTHON"
    elif command -v python3 >/dev/null 2>&1; then
        command -v python3
    else
        printf '%s\n' /usr/bin/python3
    fi
}

# Creates the venv at $MATTE_TOOLS_VENV with the given python; falls back to
# installing python3-venv with apt-get (Debian's python3 lacks ensurepip otherwise).
_matte_tools_make_venv() {
    local py="$1"
    rm -rf "$MATTE_TOOLS_VENV"
    if "$py" -m venv "$MATTE_TOOLS_VENV" >/dev/null 2>&1; then
        return 0
    fi
    _matte_tools_log "'$py -m venv' failed; installing python3-venv with apt-get"
    rm -rf "$MATTE_TOOLS_VENV"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >/dev/null || true
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
        || { _matte_tools_log "apt-get install python3-venv failed"; return 1; }
    local candidate
    for candidate in "$py" /usr/bin/python3; do
        rm -rf "$MATTE_TOOLS_VENV"
        if "$candidate" -m venv "$MATTE_TOOLS_VENV" >/dev/null 2>&1; then
            return 0
        fi
    done
    _matte_tools_log "could not create a venv at $MATTE_TOOLS_VENV"
    return 1
}

matte_python_tools_setup() {
    local base stamp want
    base="$(_matte_tools_base_python)"
    stamp="$MATTE_TOOLS_VENV/.matte-tools-stamp"
    want="$(printf '%s\n' "${MATTE_TOOLS_PINS[@]}" "base=$base")"

    if [[ -x "$MATTE_PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi

    _matte_tools_log "setting up $MATTE_TOOLS_VENV (${MATTE_TOOLS_PINS[*]})"
    local start=$SECONDS
    _matte_tools_make_venv "$base" || return 1
    "$MATTE_PY" -m pip install --quiet --disable-pip-version-check "${MATTE_TOOLS_PINS[@]}" \
        || { _matte_tools_log "pip install failed (is PyPI reachable?)"; return 1; }
    "$MATTE_PY" -c 'from ai_edge_litert.interpreter import Interpreter; import numpy, onnxruntime, PIL, skimage' \
        || { _matte_tools_log "the installed packages do not import"; return 1; }
    printf '%s\n' "$want" >"$stamp"
    _matte_tools_log "ready in $((SECONDS - start)) s: $MATTE_PY"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    # Executed rather than sourced: just set the environment up.
    set -euo pipefail
    matte_python_tools_setup
    printf '%s\n' "$MATTE_PY"
else
    matte_python_tools_setup || return 1
fi
