#!/usr/bin/env bash
# Makes the virtual camera exist: installs v4l2loopback (DKMS, for the running kernel), loads it with the
# options call apps need, and makes that permanent (/etc/modprobe.d, /etc/modules-load.d). Idempotent.
#   exclusive_caps=1  Chrome, Zoom and Teams list only devices that look like cameras
#   max_buffers=4     stable with v4l2loopback 0.12.7 (2 tears frames; more races readers into a kernel panic)
set -euo pipefail
options='devices=1 video_nr=10 card_label=Matte exclusive_caps=1 max_buffers=4'
say() { printf 'setup-loopback: %s\n' "$*"; }
die() { printf 'setup-loopback: %s\n' "$*" >&2; exit 1; }
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

if grep -q '^v4l2loopback ' /proc/modules 2>/dev/null; then
    say "v4l2loopback is loaded"
    exit 0
fi
if ! modinfo v4l2loopback >/dev/null 2>&1; then
    say "installing v4l2loopback-dkms and the headers for kernel $(uname -r)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq v4l2loopback-dkms "linux-headers-$(uname -r)" >/dev/null \
        || die "could not install v4l2loopback-dkms and linux-headers-$(uname -r) (is this a Debian kernel?)"
fi
# The matte package ships the same two files (/etc/modprobe.d/matte.conf); do not write a second copy.
if [ ! -e /etc/modprobe.d/matte.conf ]; then
    printf 'options v4l2loopback %s\n' "$options" | $sudo tee /etc/modprobe.d/matte-v4l2loopback.conf >/dev/null
    echo v4l2loopback | $sudo tee /etc/modules-load.d/matte-v4l2loopback.conf >/dev/null
fi
if ! $sudo modprobe v4l2loopback 2>/tmp/setup-loopback.err; then
    if grep -qi "key\|signature\|not permitted" /tmp/setup-loopback.err && mokutil --sb-state 2>/dev/null | grep -qi enabled; then
        die "Secure Boot refuses the unsigned v4l2loopback module: enrol the DKMS key (sudo mokutil --import /var/lib/dkms/mok.pub) and reboot"
    fi
    die "modprobe v4l2loopback failed: $(tr '\n' ' ' </tmp/setup-loopback.err) (kernel modules cannot be loaded in containers)"
fi
say "loaded v4l2loopback ($options); it loads at boot from now on"
