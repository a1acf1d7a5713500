#!/usr/bin/env bash
# The one command: builds the Debian package (scripts/package-deb.sh) and installs it with apt, installs and
# loads v4l2loopback (the "Matte" camera, options from /etc/modprobe.d/matte.conf), and starts Matte at login
# for you (systemctl --user enable --now matte). Run it as yourself (it uses sudo) or with sudo. Idempotent:
# an unchanged package is not reinstalled; a changed one is upgraded in place and a running service restarted.
# Without a systemd user manager (CI, containers) or loadable modules it says so in one line and carries on.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }
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
say "building the package (scripts/package-deb.sh; a few minutes the first time)"
"$repo/scripts/package-deb.sh" "$out" >"$logs/package.log" 2>&1 || { cat "$logs/package.log" >&2; die "scripts/package-deb.sh failed"; }
grep -E '^package-deb: (/|size |Depends: )' "$logs/package.log" || true
version=$(dpkg-parsechangelog -l "$repo/packaging/changelog" -S Version)
deb=$out/matte_${version}_amd64.deb
[ -f "$deb" ] || die "scripts/package-deb.sh made no $deb"

installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' matte 2>/dev/null || true)
changed=1
if [ "$installed" = "ii  $version" ] && [ -f /var/lib/dpkg/info/matte.md5sums ] \
    && cmp -s <(dpkg-deb --info "$deb" md5sums) /var/lib/dpkg/info/matte.md5sums; then
    changed=0
    say "matte $version is already installed, unchanged"
else
    reinstall=(); [ "$installed" != "ii  $version" ] || reinstall=(--reinstall)
    say "installing matte $version with apt"
    # Recommends (v4l2loopback-dkms) are handled below, with the headers of the running kernel.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${reinstall[@]}" "$deb" \
        >"$logs/apt.log" 2>&1 || { cat "$logs/apt.log" >&2; die "apt-get install $deb failed"; }
    say "installed $(dpkg-query -W -f='${Package} ${Version}' matte): /usr/bin/matte, models, matte.service"
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
    say "done: matte $version is installed"
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
