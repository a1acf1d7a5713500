#!/usr/bin/env bash
# The one command: builds the Debian packages (scripts/package-deb.sh) and installs them with apt, installs and
# loads v4l2loopback (the "Matte" camera, options from /etc/modprobe.d/matte.conf), and starts Matte at login
# for you (systemctl --user enable --now matte). Run it as yourself (it uses sudo) or with sudo. Idempotent:
# an unchanged package is not reinstalled; a changed one is upgraded in place and a running service restarted.
# Without a systemd user manager (CI, containers) or loadable modules it says so in one line and carries on.
#
#   scripts/install.sh                 matte and matte-model-rvm (Robust Video Matting); on a machine where matte is
#                                      installed without it, matte alone (the choice made before is kept)
#   scripts/install.sh --with-rvm      matte and matte-model-rvm
#   scripts/install.sh --without-rvm   matte alone (and matte-model-rvm removed if it is installed)
#
# Robust Video Matting is installed by default. One command should leave every model Matte offers ready, so that
# `--model rvm` works the first time someone tries it, and installing it changes nothing else: the default model
# stays MediaPipe's, matte does not depend on it, and it costs a 15 MB download once. It is GPL-3.0 while Matte is
# Apache-2.0, which is why it is a package of its own (matte-model-rvm, which apt removes cleanly); the GPL governs
# passing it on, not running it. --without-rvm is for machines that must carry no GPL software, or no extra
# download; an update (the same command again) keeps that choice rather than bringing the model back.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }
with_rvm=""
for arg in "$@"; do
    case $arg in
        --with-rvm) with_rvm=1 ;;
        --without-rvm) with_rvm=0 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) printf 'install: unknown option %s (options: --with-rvm, --without-rvm, --help)\n' "$arg" >&2; exit 2 ;;
    esac
done
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }
if [ -z "$with_rvm" ]; then
    # matte installed without the model: it was left out (--without-rvm) or removed; keep it that way.
    if [ "$(status_of matte)" = ii ] && [ "$(status_of matte-model-rvm)" != ii ]; then
        with_rvm=0
        say "matte is installed without Robust Video Matting, so it stays without (scripts/install.sh --with-rvm adds it)"
    else
        with_rvm=1
    fi
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "run me as root or install sudo"
    sudo="sudo"
fi

# --- build and install the package ------------------------------------------------------------------------------
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
"$repo/scripts/install-deps.sh"
out=$repo/.build-static/deb
packages=matte
[ $with_rvm -eq 0 ] || packages="matte matte-model-rvm"
say "building the packages: $packages (scripts/package-deb.sh; a few minutes the first time)"
MATTE_DEB_PACKAGES=$packages "$repo/scripts/package-deb.sh" "$out" >"$logs/package.log" 2>&1 \
    || { cat "$logs/package.log" >&2; die "scripts/package-deb.sh failed"; }
grep -E '^package-deb: (/|size |Depends: )' "$logs/package.log" || true
version=$(dpkg-parsechangelog -l "$repo/packaging/changelog" -S Version)
rvm_version=$(dpkg-parsechangelog -l "$repo/packaging/rvm/changelog" -S Version)
debs=("matte $version $out/matte_${version}_amd64.deb")
[ $with_rvm -eq 0 ] || debs+=("matte-model-rvm $rvm_version $out/matte-model-rvm_${rvm_version}_all.deb")

# A package already installed at this version with the same files is left alone; the others go to apt at once.
install=(); names=(); reinstall=(); changed=0
for entry in "${debs[@]}"; do
    read -r package package_version deb <<<"$entry"
    [ -f "$deb" ] || die "scripts/package-deb.sh made no $deb"
    installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$package" 2>/dev/null || true)
    if [ "$installed" = "ii  $package_version" ] && [ -f "/var/lib/dpkg/info/$package.md5sums" ] \
        && cmp -s <(dpkg-deb --info "$deb" md5sums) "/var/lib/dpkg/info/$package.md5sums"; then
        say "$package $package_version is already installed, unchanged"
    else
        install+=("$deb"); names+=("$package")
        [ "$installed" != "ii  $package_version" ] || reinstall=(--reinstall)
    fi
done
if [ ${#install[@]} -gt 0 ]; then
    changed=1
    say "installing $(for deb in "${install[@]}"; do basename "$deb" | sed 's/_\([^_]*\)_[^_]*\.deb$/ \1/'; done | paste -sd, - | sed 's/,/, /g') with apt"
    # Recommends (v4l2loopback-dkms) are handled below, with the headers of the running kernel.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${reinstall[@]}" "${install[@]}" \
        >"$logs/apt.log" 2>&1 || { cat "$logs/apt.log" >&2; die "apt-get install ${install[*]} failed"; }
    for package in "${names[@]}"; do
        case $package in
            matte) say "installed $(dpkg-query -W -f='${Package} ${Version}' matte): /usr/bin/matte, models, matte.service" ;;
            matte-model-rvm) say "installed $(dpkg-query -W -f='${Package} ${Version}' matte-model-rvm): Robust Video Matting (GPL-3.0), for --model rvm" ;;
        esac
    done
fi
if [ $with_rvm -eq 0 ]; then
    case $(status_of matte-model-rvm) in
        ii | rc | i[UFHW] | h?)
            DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq matte-model-rvm >"$logs/apt.log" 2>&1 \
                || { cat "$logs/apt.log" >&2; die "apt-get purge matte-model-rvm failed"; }
            say "removed matte-model-rvm (--without-rvm)" ;;
    esac
fi

# --- the virtual camera -------------------------------------------------------------------------------------------
if ! modinfo v4l2loopback >/dev/null 2>&1; then
    headers="linux-headers-$(uname -r)"
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    if apt-cache show "$headers" >/dev/null 2>&1; then
        say "installing v4l2loopback-dkms and $headers"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq v4l2loopback-dkms "$headers" >/dev/null \
            || die "could not install v4l2loopback-dkms and $headers"
    else
        say "no $headers in apt (not a Debian kernel, or a container): install v4l2loopback for kernel $(uname -r) yourself"
    fi
fi
if grep -q '^v4l2loopback ' /proc/modules 2>/dev/null; then
    say "v4l2loopback is loaded ($(cat /sys/module/v4l2loopback/parameters/card_label 2>/dev/null || echo '?'); matte doctor checks its options)"
elif modinfo v4l2loopback >/dev/null 2>&1; then
    if $sudo modprobe v4l2loopback 2>"$logs/modprobe.err"; then
        say "loaded v4l2loopback (/etc/modprobe.d/matte.conf: /dev/video10 \"Matte\"); it loads at boot"
    elif grep -qi 'key\|signature\|not permitted' "$logs/modprobe.err" \
        && mokutil --sb-state 2>/dev/null | grep -qi enabled; then
        say "Secure Boot refuses v4l2loopback: sudo mokutil --import /var/lib/dkms/mok.pub, reboot, enrol the key"
    else
        say "could not load v4l2loopback ($(tr '\n' ' ' <"$logs/modprobe.err" | sed 's/ *$//')); it loads at boot"
    fi
fi

# --- the user service -----------------------------------------------------------------------------------------------
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then user=$SUDO_USER; else
        say "run as root: each user enables Matte with: systemctl --user enable --now matte"
        say "done: pick the camera \"Matte\" in your call app; matte doctor checks the whole chain"
        exit 0
    fi
fi
uid=$(id -u "$user")
runtime=/run/user/$uid
as_user() {  # as_user COMMAND...: runs it as $user, with that user's systemd manager
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$user" -- env XDG_RUNTIME_DIR="$runtime" DBUS_SESSION_BUS_ADDRESS="unix:path=$runtime/bus" "$@"
    else
        env XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$runtime}" "$@"
    fi
}
id -nG "$user" | tr ' ' '\n' | grep -qx video \
    || say "$user is not in group video: sudo usermod -aG video $user, then log in again"
if ! command -v systemctl >/dev/null || ! as_user systemctl --user show-environment >/dev/null 2>&1; then
    say "no systemd user manager for $user (no login session, a container or CI): later, run systemctl --user enable --now matte"
    say "done: $packages installed"
    exit 0
fi
as_user systemctl --user daemon-reload
if [ $changed -eq 1 ] && as_user systemctl --user is-active --quiet matte.service; then
    as_user systemctl --user restart matte.service || true
    say "restarted matte.service for $user (new package)"
fi
if as_user systemctl --user enable --now matte.service >/dev/null 2>&1; then
    say "matte.service is enabled and running for $user (journalctl --user -u matte)"
elif as_user systemctl --user is-enabled --quiet matte.service; then
    say "matte.service is enabled for $user but did not start: systemctl --user status matte, matte doctor"
else
    die "could not enable matte.service for $user"
fi
say "done: pick the camera \"Matte\" in your call app; matte doctor checks the whole chain"
