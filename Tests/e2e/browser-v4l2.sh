#!/usr/bin/env bash
# Chromium's and Firefox's V4L2 rules against Matte's virtual camera, inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 --timeout 300 [--loopback 0.12|0.15] Tests/e2e/browser-v4l2.sh [MATTE_BINARY]
# No browser runs under the VM's emulated CPU, so Tests/e2e/browser-v4l2.py stands in for both: it lists the cameras
# ioctl by ioctl as Chromium's VideoCaptureDeviceFactoryV4L2 and Firefox's libwebrtc DeviceInfoV4l2 do, then starts
# capture as each does and reads frames (its header has the rules, with their sources).
# Checks:
#   1. the enumerator rejects what the browsers reject: v4l2loopback (exclusive_caps=1) before any producer has
#      written (no VIDEO_CAPTURE: neither browser lists it);
#   2. vivid, a real capture driver, passes both browsers' rules (the enumerator's control), also at a size Firefox does
#      not probe;
#   3. matte (on demand, the photo as its camera, 320x240, YUYV, a green background) writing: both browsers list
#      "Matte" with 320x240 (Chromium at the rate matte writes), open it and get frames of that size whose background
#      is green;
#   4. the same as I420;
#   5. matte at its default size, 1280x720 (where both browsers prefer MJPEG and Firefox guesses 15 fps): listed and read;
#   6. exclusive_caps=0: Chromium skips the device (capture and output at once), Firefox still lists it.
# Logs in $MATTE_RESULTS/browser-v4l2/. Ends with "browser-v4l2: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "browser-v4l2: error: run me inside the VM: Tests/e2e/run-in-vm.sh Tests/e2e/browser-v4l2.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=browser-v4l2
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
camera=/dev/video0
virtual=/dev/video20
size=320x240   # one of Firefox's 13 probe sizes
logs=$MATTE_RESULTS/browser-v4l2
mkdir -p "$logs"
browsers=(python3 "$MATTE_REPO/Tests/e2e/browser-v4l2.py")
echo "browser-v4l2: v4l2loopback $MATTE_LOOPBACK_VERSION, $(nproc) CPUs, $matte"

# run_browsers LOG ARGS...: the enumerator, its output in LOG.
run_browsers() {
    local log=$1; shift
    "${browsers[@]}" "$@" >"$log" 2>/dev/null
}
# rejects LOG RULE ARGS...: the enumerator fails, and on RULE.
rejects() {
    local log=$1 rule=$2; shift 2
    if run_browsers "$log" "$@"; then echo "accepted:"; cat "$log"; return 1; fi
    grep -q "FAIL $rule:" "$log" || { echo "failed, but not on $rule:"; cat "$log"; return 1; }
}
# accepts LOG ARGS...: the enumerator passes.
accepts() {
    local log=$1; shift
    run_browsers "$log" "$@" || { cat "$log"; return 1; }
}
show() { sed 's/^/    /' "$1"; }

# ---- 1. before any producer: exclusive_caps=1 hides the capture capability -------------------------------------------
check "no producer yet: Chromium does not list the loopback (no VIDEO_CAPTURE)" \
    rejects "$logs/1-chromium.txt" chromium.querycap --only chromium --list-only
check "no producer yet: Firefox does not list it either" \
    rejects "$logs/1-firefox.txt" firefox.querycap --only firefox --list-only
show "$logs/1-chromium.txt"

# ---- 2. the control: a real capture driver passes both ----------------------------------------------------------------
check "vivid (a real capture driver) passes Chromium's and Firefox's rules" \
    accepts "$logs/2-vivid.txt" --device "$camera" --label vivid \
    --size 640x480 --frames 2
show "$logs/2-vivid.txt"
check "vivid at 320x180 (not one of Firefox's probe sizes): still listed by both" \
    accepts "$logs/2-vivid-320x180.txt" --device "$camera" --label vivid --size 320x180 --list-only
grep 'NOTE' "$logs/2-vivid-320x180.txt" | sed 's/^/    /'

# ---- 3. matte writing YUYV ---------------------------------------------------------------------------------------------
matte_pid=""
start_matte() {  # start_matte LOG SIZE ARGS...: matte on demand, the photo as the camera
    local log=$1 output_size=$2; shift 2
    "$matte" --input "$MATTE_REPO/Tests/Fixtures/astronaut.png" --output "$virtual" --output-size "$output_size" \
        --background '#00c000' "$@" >"$log" 2>&1 &
    matte_pid=$!
}
stop_matte() { stop_pid "$matte_pid" 20; }

start_matte "$logs/matte-yuyv.log" "$size"
check "matte starts (YUYV)" wait_log "$logs/matte-yuyv.log" "readers detected" 90
# A listing alone (open O_RDONLY, QUERYCAP, ENUM_*, TRY_FMT, close: what every enumerateDevices() does) should not
# turn the camera on. v4l2loopback 0.15 tells matte about streaming readers only; on 0.12.7 matte counts opens.
wait_log "$logs/matte-yuyv.log" "idle: no application" 30 >/dev/null
run_browsers "$logs/3-listing.txt" --size "$size" --list-only
sleep 3
woke=$(grep -c "a reader appeared" "$logs/matte-yuyv.log")
method=$(sed -n 's/.*readers detected by //p' "$logs/matte-yuyv.log" | head -n 1)
echo "browser-v4l2: both browsers' listings woke matte $woke time(s) (readers detected by $method)"
if [ "$method" != inotify ]; then
    check "a listing alone does not wake matte (readers detected by $method)" test "$woke" -eq 0
fi
# The rate matte writes at, as its log says (a picture as the camera repeats at --fps, 30 by default).
rate=$(sed -n 's/^matte: .* at \([0-9.]*\) fps) → .*/\1/p' "$logs/matte-yuyv.log" | head -n 1)
echo "browser-v4l2: matte writes $size at ${rate:-?} fps"
# (310, 10): the grey wall right of the shuttle, background however the square photo is fitted to 4:3.
check "matte writing YUYV: both list \"Matte\" at $size (Chromium at matte's ${rate:-?} fps), open it and get green-background frames" \
    accepts "$logs/3-yuyv.txt" --size "$size" --fps "${rate:-0}" --format yuyv --frames 3 --pixel 310,10,0,192,0,10 --within 150
show "$logs/3-yuyv.txt"
# Firefox asks for 1/30 s (its guessed maxFPS) with S_PARM when G_PARM offers TIMEPERFRAME; what the rate is after:
run_browsers "$logs/3-after-firefox.txt" --only chromium --list-only --size "$size"
echo "browser-v4l2: after Firefox, Chromium lists: $(grep -m1 '/dev/video20 "' "$logs/3-after-firefox.txt" | sed 's/^ *//')"
stop_matte; status=$?
check "matte stops with status 0 (got $status)" test "$status" -eq 0

# ---- 4. matte writing I420 ---------------------------------------------------------------------------------------------
start_matte "$logs/matte-i420.log" "$size" --output-format i420
check "matte starts (I420)" wait_log "$logs/matte-i420.log" "readers detected" 90
check "matte writing I420: both list \"Matte\" at $size (Chromium at ${rate:-?} fps), open it and get frames" \
    accepts "$logs/4-i420.txt" --size "$size" --fps "${rate:-0}" --format i420 --frames 3 --within 150
show "$logs/4-i420.txt"
stop_matte; status=$?
check "matte stops with status 0 (got $status)" test "$status" -eq 0

# ---- 5. matte at its default size, 1280x720: above 640x480 both browsers prefer MJPEG, and Firefox guesses 15 fps --------
start_matte "$logs/matte-720p.log" 1280x720
check "matte starts (1280x720)" wait_log "$logs/matte-720p.log" "readers detected" 90
check "matte at 1280x720: both list \"Matte\" at 1280x720 (Chromium at ${rate:-?} fps), open it and get frames" \
    accepts "$logs/5-720p.txt" --size 1280x720 --fps "${rate:-0}" --format yuyv --frames 2 --within 150
show "$logs/5-720p.txt"
stop_matte; status=$?
check "matte stops with status 0 (got $status)" test "$status" -eq 0

# ---- 6. exclusive_caps=0: capture and output at once ---------------------------------------------------------------------
loopback_with() {  # loopback_with OPTION=VALUE...: v4l2loopback reloaded with the run's options, some replaced
    local opts o r out=()
    eval "opts=($MATTE_LOOPBACK_OPTS)"
    for o in "${opts[@]}"; do for r in "$@"; do [ "${o%%=*}" != "${r%%=*}" ] || o=$r; done; out+=("$o"); done
    modprobe -r v4l2loopback && wait_gone "$virtual" 10 && modprobe v4l2loopback "${out[@]}" && wait_for "$virtual" 10 &&
        video_perms
}
check "v4l2loopback reloaded with exclusive_caps=0" loopback_with exclusive_caps=0
check "exclusive_caps=0: Chromium skips the loopback (VIDEO_CAPTURE with VIDEO_OUTPUT)" \
    rejects "$logs/6-chromium.txt" chromium.querycap --only chromium --list-only
show "$logs/6-chromium.txt"
run_browsers "$logs/6-firefox.txt" --only firefox --list-only
check "exclusive_caps=0: Firefox still lists it (it only asks for VIDEO_CAPTURE)" grep -q '^  /dev/video20 "Matte"' "$logs/6-firefox.txt"
check "v4l2loopback reloaded with the run's options" loopback_reload

summary
