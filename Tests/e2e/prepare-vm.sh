#!/usr/bin/env bash
# Prepares everything Tests/e2e/run-in-vm.sh needs to boot a QEMU VM with real V4L2 drivers
# (vivid as the webcam, v4l2loopback as the virtual camera). Idempotent: everything is cached under
# $REPO/.build-vm (git-ignored); a warm run only checks and returns.
#
# Usage: Tests/e2e/prepare-vm.sh [--loopback 0.12|0.15|all]
#   --loopback 0.12  bookworm's v4l2loopback 0.12.7 only (always available from Debian's apt archive)
#   --loopback 0.15  trixie's v4l2loopback 0.15.x only (fails if trixie's archive cannot be reached)
#   --loopback all   (default) 0.12, and 0.15 when trixie can be reached (a warning if not)
#
# Environment: MATTE_VM_CACHE (default $REPO/.build-vm), MATTE_VM_KERNEL_ABI (e.g. 6.1.0-56-amd64; default:
# the one linux-image-amd64 depends on), MATTE_VM_TRIXIE_MIRROR (default: the system's Debian mirror).
#
# Needs root (apt-get install of the host tools); touches nothing outside the cache but the installed
# packages: the system's apt sources are never changed (trixie is read through a private apt configuration).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${MATTE_VM_CACHE:-$repo/.build-vm}
want=all

log() { echo "prepare-vm: $*" >&2; }
warn() { echo "prepare-vm: warning: $*" >&2; }
die() { echo "prepare-vm: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --loopback) [ $# -ge 2 ] || die "--loopback needs a value (0.12, 0.15 or all)"; want=$2; shift 2 ;;
        --loopback=*) want=${1#--loopback=}; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (usage: prepare-vm.sh [--loopback 0.12|0.15|all])" ;;
    esac
done
case "$want" in 0.12|0.15|all) ;; *) die "--loopback must be 0.12, 0.15 or all, not '$want'" ;; esac

[ "$(uname -m)" = x86_64 ] || die "only x86-64 hosts are supported (this is $(uname -m))"
sudo=""
if [ "$(id -u)" -ne 0 ]; then command -v sudo >/dev/null || die "must run as root (or with sudo available)"; sudo=sudo; fi
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
mkdir -p "$cache"
# A concurrent prepare (two CI jobs, or run-in-vm.sh started twice) waits instead of racing.
exec 9>"$cache/.prepare.lock"
flock 9

apt_updated=0
apt_update_once() {
    [ "$apt_updated" -eq 1 ] && return 0
    log "apt-get update"
    $sudo apt-get update -qq >/dev/null || die "apt-get update failed (is Debian's apt archive reachable?)"
    apt_updated=1
}
# apt options for downloads as root into our cache (no '_apt cannot access' warning).
apt_dl_opts=(-q -o APT::Sandbox::User=root)

# ---- 1. host tools ---------------------------------------------------------------------------------
# The guest runs the host's own root file system, so every tool a guest script uses (ffmpeg, v4l2-ctl,
# modprobe) must be installed on the host too.
tools=(qemu-system-x86 cpio kmod v4l-utils ffmpeg xz-utils zstd make gcc-12 libc6-dev binutils util-linux
       gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
       xvfb xdotool x11-apps imagemagick)
missing=()
for package in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_update_once
    log "installing host tools: ${missing[*]}"
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
fi

# ---- 2. which kernel ---------------------------------------------------------------------------------
pkg_field() { # pkg_field PACKAGE FIELD [APT-OPTIONS...]: the candidate's field, empty if unknown
    local package=$1 field=$2; shift 2
    apt-cache "$@" show --no-all-versions "$package" 2>/dev/null | sed -n "s/^$field: //p" | head -n 1
}
abi=${MATTE_VM_KERNEL_ABI:-}
if [ -z "$abi" ]; then
    depends=$(pkg_field linux-image-amd64 Depends)
    if [ -z "$depends" ]; then apt_update_once; depends=$(pkg_field linux-image-amd64 Depends); fi
    abi=$(printf '%s\n' "$depends" | grep -o 'linux-image-[0-9][^ ,]*-amd64' | head -n 1 | sed 's/^linux-image-//')
    if [ -z "$abi" ]; then
        # No apt lists at all: fall back on a kernel prepared earlier, if any.
        abi=$(ls -1d "$cache"/kernel-*/.done 2>/dev/null | sed 's#.*/kernel-\(.*\)/.done#\1#' | sort -V | tail -n 1)
        [ -n "$abi" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache show linux-image-amd64 gives nothing)"
        warn "apt knows no linux-image-amd64; using the kernel prepared earlier, $abi"
    fi
fi
kdir=$cache/kernel-$abi
root=$kdir/root                      # image + headers + kbuild extracted together (their symlinks resolve)
headers=$root/usr/src/linux-headers-$abi
debs=$cache/debs
mkdir -p "$debs"

download() { # download DIR PACKAGE...: apt-get download into DIR, retrying once after apt-get update
    local dir=$1; shift
    if ! (cd "$dir" && apt-get download "${apt_dl_opts[@]}" "$@" >/dev/null 2>"$dir/.apt.err"); then
        [ "$apt_updated" -eq 0 ] || die "apt-get download $* failed: $(tail -n 1 "$dir/.apt.err")"
        apt_update_once
        (cd "$dir" && apt-get download "${apt_dl_opts[@]}" "$@" >/dev/null 2>"$dir/.apt.err") \
            || die "apt-get download $* failed: $(tail -n 1 "$dir/.apt.err")"
    fi
}
deb_of() { # deb_of DIR PACKAGE: the newest downloaded .deb of PACKAGE in DIR
    ls -1 "$1/$2"_*.deb 2>/dev/null | sort -V | tail -n 1
}

extract_vmlinux() { # extract_vmlinux VMLINUZ OUT: the kernel's scripts/extract-vmlinux, reimplemented
    local img=$1 out=$2 magic tool pos
    for pair in '\xfd7zXZ\x00:xz -dc --single-stream' '\x28\xb5\x2f\xfd:zstd -dcq' '\x1f\x8b\x08:gzip -dc'; do
        magic=${pair%%:*}; tool=${pair#*:}
        for pos in $(grep -obUaP "$magic" "$img" | cut -d: -f1); do
            tail -c +"$((pos + 1))" "$img" | $tool >"$out.tmp" 2>/dev/null || true
            if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
                mv "$out.tmp" "$out"; return 0
            fi
        done
    done
    rm -f "$out.tmp"
    return 1
}

if [ ! -e "$kdir/.done" ]; then
    log "preparing kernel $abi"
    hdr_depends=$(pkg_field "linux-headers-$abi" Depends)
    if [ -z "$hdr_depends" ]; then apt_update_once; hdr_depends=$(pkg_field "linux-headers-$abi" Depends); fi
    common=$(printf '%s\n' "$hdr_depends" | grep -o 'linux-headers-[^ ,]*-common' | head -n 1)
    kbuild=$(printf '%s\n' "$hdr_depends" | grep -o 'linux-kbuild-[^ ,]*' | head -n 1)
    [ -n "$common" ] && [ -n "$kbuild" ] || die "cannot find the headers of linux-image-$abi in apt (Depends: '$hdr_depends')"
    kpkgs=("linux-image-$abi" "linux-headers-$abi" "$common" "$kbuild")
    rm -rf "$kdir"; mkdir -p "$kdir/debs"
    download "$kdir/debs" "${kpkgs[@]}"
    mkdir -p "$root"
    for package in "${kpkgs[@]}"; do
        deb=$(deb_of "$kdir/debs" "$package"); [ -n "$deb" ] || die "apt-get download did not give $package"
        dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed"
    done
    rm -rf "$kdir/debs" "$root/usr/share/doc"
    [ -f "$root/boot/vmlinuz-$abi" ] || die "linux-image-$abi has no /boot/vmlinuz-$abi"
    # The headers' Makefile includes the -common tree by its absolute /usr/src path: point it at ours.
    sed -i "s#^include /usr/src/#include $root/usr/src/#" "$headers/Makefile"
    # The compressed vmlinuz boots very slowly under TCG (the decompressor runs emulated): boot the ELF.
    extract_vmlinux "$root/boot/vmlinuz-$abi" "$kdir/vmlinux" || die "found no xz/zstd/gzip ELF payload in vmlinuz-$abi"
    rm -f "$root/boot/vmlinuz-$abi"
    touch "$kdir/.done"
    # Other (older) kernels' trees are no longer needed.
    for old in "$cache"/kernel-*; do [ "$old" = "$kdir" ] || rm -rf "$old"; done
fi
modsrc=$root/lib/modules/$abi
[ -d "$modsrc/kernel" ] || die "$modsrc/kernel is missing (remove $kdir and retry)"

# ---- 3. busybox for the initramfs (extracted, not installed: busybox-static conflicts with busybox) ---
busybox=$cache/busybox/bin/busybox
if [ ! -x "$busybox" ]; then
    log "fetching busybox-static"
    rm -rf "$cache/busybox" "$debs"/busybox-static_*.deb
    download "$debs" busybox-static
    mkdir -p "$cache/busybox.tmp"
    dpkg-deb -x "$(deb_of "$debs" busybox-static)" "$cache/busybox.tmp"
    mkdir -p "$cache/busybox/bin"
    cp "$cache/busybox.tmp/bin/busybox" "$busybox"
    rm -rf "$cache/busybox.tmp"
fi

# ---- 4. initramfs: busybox + the modules that mount the shared root (virtio-mmio, 9p, overlay) --------
initrd=$kdir/initramfs.cpio
init_src=$here/vm-init.sh
initrd_key=$(cat "$init_src" "$busybox" | sha256sum | cut -c1-16)
if [ ! -f "$initrd" ] || [ "$(cat "$initrd.key" 2>/dev/null)" != "$initrd_key" ]; then
    log "building the initramfs"
    # A module tree with just the kernel's own modules, to resolve dependencies.
    if [ ! -f "$modsrc/modules.dep" ]; then depmod -b "$root" "$abi" || die "depmod -b $root $abi failed"; fi
    staging=$kdir/initramfs.tmp
    rm -rf "$staging"; mkdir -p "$staging"/{bin,dev,proc,sys,lower,rw,newroot,mods}
    cp "$busybox" "$staging/bin/busybox"
    cp "$init_src" "$staging/init"; chmod 755 "$staging/init"
    : >"$staging/mods/order"
    for module in virtio_mmio 9pnet_virtio 9p overlay; do
        modprobe -d "$root" -S "$abi" --show-depends "$module" >"$kdir/deps.tmp" \
            || die "modprobe --show-depends $module found no module in $modsrc"
        while read -r kind path _; do
            [ "$kind" = insmod ] || continue
            name=$(basename "$path")
            grep -qx "$name" "$staging/mods/order" && continue
            cp "$path" "$staging/mods/$name"
            echo "$name" >>"$staging/mods/order"
        done <"$kdir/deps.tmp"
    done
    rm -f "$kdir/deps.tmp"
    (cd "$staging" && find . -print0 | cpio --null -o -H newc --quiet) >"$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
    echo "$initrd_key" >"$initrd.key"
    rm -rf "$staging"
fi

# ---- 5. v4l2loopback modules, each in its own module tree (so modprobe in the guest finds it) ---------
trixie_apt() { # apt-get/apt-cache with a private configuration reading only trixie (system sources untouched)
    local tool=$1; shift
    local t=$cache/apt-trixie
    "$tool" -o Dir::Etc::SourceList="$t/sources.list" -o Dir::Etc::SourceParts="$t/sources.list.d" \
        -o Dir::State::Lists="$t/lists" -o Dir::Cache="$t/cache" -o Dir::State::status="$t/status" \
        -o Acquire::Languages=none -o APT::Architectures=amd64 -o APT::Sandbox::User=root \
        -o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 "$@"
}
system_mirror() { # the Debian archive URI the system's apt uses (not -security, not another vendor)
    local uri
    uri=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'
             sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' \
                 /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } \
           | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1)
    echo "${uri:-http://deb.debian.org/debian}"
}

fetch_loopback_deb() { # fetch_loopback_deb VERSION DIR: puts v4l2loopback-dkms_*.deb into DIR (0 ok, 1 unavailable)
    local version=$1 dir=$2 mirror t
    mkdir -p "$dir"
    [ -n "$(deb_of "$dir" v4l2loopback-dkms)" ] && return 0
    if [ "$version" = 0.12 ]; then
        download "$dir" v4l2loopback-dkms
        return 0
    fi
    t=$cache/apt-trixie
    mirror=${MATTE_VM_TRIXIE_MIRROR:-$(system_mirror)}
    mkdir -p "$t/lists/partial" "$t/cache/archives/partial" "$t/sources.list.d"
    : >"$t/status"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || { warn "no $keyring: cannot verify trixie's archive"; return 1; }
    echo "deb [signed-by=$keyring] $mirror trixie main" >"$t/sources.list"
    log "reading trixie's package list from $mirror (private apt configuration in $t)"
    if ! trixie_apt apt-get update -qq >"$t/update.log" 2>&1 || grep -qE '^(W|E): ' "$t/update.log"; then
        warn "cannot read trixie from $mirror: $(grep -E '^(W|E): ' "$t/update.log" | head -n 1)"
        date +%s >"$t/unreachable"
        return 1
    fi
    rm -f "$t/unreachable"
    if ! (cd "$dir" && trixie_apt apt-get download -q v4l2loopback-dkms >/dev/null 2>"$t/download.log"); then
        warn "apt-get download v4l2loopback-dkms from trixie failed: $(tail -n 1 "$t/download.log")"
        return 1
    fi
    rm -rf "$t/lists" "$t/cache"   # 20 MB of indexes; the .deb is what is kept
}

build_loopback() { # build_loopback VERSION: builds v4l2loopback.ko and its module tree; 1 if unavailable
    local version=$1 vdir=$cache/v4l2loopback-$1 tree deb src ko full upstream
    tree=$kdir/modules-$version
    [ -e "$tree/.done" ] && return 0
    fetch_loopback_deb "$version" "$vdir/deb" || return 1
    deb=$(deb_of "$vdir/deb" v4l2loopback-dkms)
    full=$(dpkg-deb -f "$deb" Version)
    log "building v4l2loopback $full for $abi"
    rm -rf "$vdir/src.$abi"; mkdir -p "$vdir/src.$abi"
    dpkg-deb -x "$deb" "$vdir/src.$abi"
    src=$(ls -1d "$vdir/src.$abi"/usr/src/v4l2loopback-* 2>/dev/null | head -n 1)
    [ -n "$src" ] && [ -f "$src/v4l2loopback.c" ] || die "v4l2loopback-dkms $full has no usr/src/v4l2loopback-*/v4l2loopback.c"
    if ! make -C "$headers" M="$src" modules >"$vdir/build.log" 2>&1; then
        die "building v4l2loopback $full failed: $(grep -m1 -E 'error|Error' "$vdir/build.log" || tail -n 1 "$vdir/build.log") (log: $vdir/build.log)"
    fi
    ko=$src/v4l2loopback.ko
    [ -f "$ko" ] || die "building v4l2loopback $full gave no v4l2loopback.ko (log: $vdir/build.log)"
    rm -rf "$tree"; mkdir -p "$tree/lib/modules/$abi/extra"
    # The kernel's modules, hard-linked (no copy), plus this v4l2loopback; depmod makes the indexes.
    cp -al "$modsrc/kernel" "$tree/lib/modules/$abi/kernel"
    cp "$modsrc"/modules.order "$modsrc"/modules.builtin* "$tree/lib/modules/$abi/"
    cp "$ko" "$tree/lib/modules/$abi/extra/v4l2loopback.ko"
    depmod -b "$tree" "$abi" || die "depmod -b $tree $abi failed"
    # 0.12.7 declares no MODULE_VERSION: fall back on the upstream part of the Debian version.
    upstream=$(modinfo -b "$tree" -k "$abi" -F version v4l2loopback || true)
    echo "${upstream:-${full%-*}}" >"$tree/v4l2loopback.version"
    echo "$full" >"$tree/v4l2loopback.debversion"
    touch "$tree/.done"
}

built=()
case "$want" in
    0.12) build_loopback 0.12 || die "v4l2loopback 0.12 is unavailable"; built=(0.12) ;;
    0.15) build_loopback 0.15 || die "v4l2loopback 0.15 is unavailable: trixie's archive cannot be reached (see warnings above)"; built=(0.15) ;;
    all)
        build_loopback 0.12 || die "v4l2loopback 0.12 is unavailable"; built=(0.12)
        # Without trixie, warm runs would wait on it every time: after a failure, retry only a day later
        # (an explicit --loopback 0.15 always retries).
        failed_at=$(cat "$cache/apt-trixie/unreachable" 2>/dev/null || echo 0)
        if [ ! -e "$kdir/modules-0.15/.done" ] && [ $(($(date +%s) - failed_at)) -lt 86400 ]; then
            warn "v4l2loopback 0.15 skipped: trixie was unreachable at $(date -d "@$failed_at" '+%F %T'); only 0.12 is prepared"
        elif build_loopback 0.15; then built+=(0.15)
        else warn "v4l2loopback 0.15 skipped: only 0.12 is prepared"; fi ;;
esac

# ---- 6. the file run-in-vm.sh reads ----------------------------------------------------------------
{
    echo "MATTE_VM_ABI=$abi"
    echo "MATTE_VM_KERNEL=$kdir/vmlinux"
    echo "MATTE_VM_INITRD=$initrd"
    echo "MATTE_VM_KDIR=$kdir"
} >"$cache/vm.env.tmp"
mv "$cache/vm.env.tmp" "$cache/vm.env"
for version in "${built[@]}"; do
    log "ready: kernel $abi, v4l2loopback $(cat "$kdir/modules-$version/v4l2loopback.version") ($version)"
done
