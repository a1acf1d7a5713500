#!/usr/bin/env bash
# Installs the Debian packages Matte builds and tests with (idempotent; apt runs only when one is missing).
set -euo pipefail
packages=(libxnnpack-dev libpthreadpool-dev libturbojpeg0-dev libsdl2-dev libpipewire-0.3-dev
          libavformat-dev libavcodec-dev libavfilter-dev libswscale-dev libswresample-dev libavutil-dev
          ffmpeg python3-venv python3-pip python3-numpy libjpeg-turbo-progs valgrind
          gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
          pipewire pipewire-bin wireplumber gstreamer1.0-pipewire dbus
          chromium firefox-esr xdg-desktop-portal xdg-desktop-portal-gtk xvfb xauth libglib2.0-bin)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
    echo "install-deps: Swift 6 is not on PATH; install a Swift 6 toolchain from swift.org (Debian has none) and retry" >&2
    exit 1
fi
