#!/bin/bash
# Runs inside the e2e VM, chrooted into the host's (shared, read-only + tmpfs overlay) root, started by
# vm-init.sh. Loads the drivers (vivid = the webcam at /dev/video0, v4l2loopback = the virtual camera),
# then runs the guest script with its arguments as written by run-in-vm.sh into /results/.vm/run.conf.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
# shellcheck source=/dev/null
. /results/.vm/run.conf   # MATTE_* variables, GUEST_SCRIPT, GUEST_ARGS (array)
export MATTE_E2E_GUEST=1 MATTE_REPO MATTE_RESULTS MATTE_LOOPBACK MATTE_LOOPBACK_VERSION MATTE_VIVID_OPTS MATTE_LOOPBACK_OPTS

fail() { echo "vm-guest: error: $*"; exit 125; }

if [ "${MATTE_LOAD_MODULES:-1}" = 1 ]; then
    # shellcheck disable=SC2086  # the options are words by design (e.g. n_devs=1 node_types=0x1)
    modprobe vivid $MATTE_VIVID_OPTS || fail "modprobe vivid $MATTE_VIVID_OPTS failed"
    loopback_opts=()
    eval "loopback_opts=($MATTE_LOOPBACK_OPTS)"   # keeps card_label="two words" one option
    modprobe v4l2loopback "${loopback_opts[@]}" || fail "modprobe v4l2loopback $MATTE_LOOPBACK_OPTS failed"
    chgrp video /dev/video* && chmod 0660 /dev/video*   # as udev would (there is no udev here)
    echo "vm-guest: loaded vivid and v4l2loopback $MATTE_LOOPBACK_VERSION"
fi

cd "$MATTE_REPO" || fail "cannot cd to $MATTE_REPO"
if [ -x "$GUEST_SCRIPT" ]; then
    "$GUEST_SCRIPT" "${GUEST_ARGS[@]}"
else
    bash "$GUEST_SCRIPT" "${GUEST_ARGS[@]}"
fi
