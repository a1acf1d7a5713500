# shellcheck shell=bash
# Helpers for guest scripts run by Tests/e2e/run-in-vm.sh (source it: . "$MATTE_REPO/Tests/e2e/guest-lib.sh").
# Bash only. Counts checks and prints the closing line "NAME: N passed, M failed".

e2e_name=${e2e_name:-e2e}
e2e_passed=0
e2e_failed=0

# pass/fail MESSAGE: record one check.
pass() { e2e_passed=$((e2e_passed + 1)); echo "PASS: $*"; }
fail() { e2e_failed=$((e2e_failed + 1)); echo "FAIL: $*"; }

# check MESSAGE COMMAND...: pass if COMMAND succeeds (its output is shown only on failure).
check() {
    local message=$1 out; shift
    if out=$("$@" 2>&1); then pass "$message"; else fail "$message"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'; fi
}

# summary: print the closing line and return non-zero when a check failed (or none ran).
summary() {
    echo "$e2e_name: $e2e_passed passed, $e2e_failed failed"
    [ "$e2e_failed" -eq 0 ] && [ "$e2e_passed" -gt 0 ]
}

# wait_for PATH [SECONDS]: wait until PATH exists (device nodes appear via devtmpfs; there is no udev).
wait_for() {
    local path=$1 deadline=$((SECONDS + ${2:-10}))
    until [ -e "$path" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1; done
}

# wait_gone PATH [SECONDS]: wait until PATH no longer exists.
wait_gone() {
    local path=$1 deadline=$((SECONDS + ${2:-10}))
    while [ -e "$path" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1; done
}

# driver_of DEVICE: the V4L2 driver name of DEVICE (vivid, "v4l2 loopback"), empty if none.
driver_of() { v4l2-ctl -d "$1" --info 2>/dev/null | sed -n 's/^[[:space:]]*Driver name[[:space:]]*: //p' | head -n 1; }

# video_perms: what udev's rule does on a desktop (root:video, 0660); there is no udev in the VM.
video_perms() { chgrp video /dev/video* 2>/dev/null; chmod 0660 /dev/video* 2>/dev/null; return 0; }

# camera_unplug / camera_plug: unload and reload vivid (the webcam at /dev/video0) with the run's options.
camera_unplug() { modprobe -r vivid && wait_gone /dev/video0 10; }
# shellcheck disable=SC2086  # MATTE_VIVID_OPTS are words by design
camera_plug() { modprobe vivid $MATTE_VIVID_OPTS && wait_for /dev/video0 10 && video_perms; }

# loopback_reload: unload and reload v4l2loopback with the run's options (clears 0.12.7's stuck state).
loopback_reload() {
    local opts
    eval "opts=($MATTE_LOOPBACK_OPTS)"
    modprobe -r v4l2loopback && modprobe v4l2loopback "${opts[@]}" && video_perms
}
