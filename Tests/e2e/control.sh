#!/usr/bin/env bash
# End-to-end test of `matte ctl` against a running matte on real drivers, inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 Tests/e2e/control.sh [MATTE_BINARY]
# Every verb is sent as a user would (the matte ctl command), and its effect is read back from the virtual
# camera by v4l2-ctl and ffmpeg, as a call app reads it. Ends with "control: N passed, M failed".
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "control: error: run me inside the VM: Tests/e2e/run-in-vm.sh Tests/e2e/control.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=control
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
camera=/dev/video0
virtual=/dev/video20
logs=$MATTE_RESULTS/control
work=$(mktemp -d)
mkdir -p "$logs"
echo "control: v4l2loopback $MATTE_LOOPBACK_VERSION, $matte"
export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_CONFIG_HOME/matte"
mkdir -m 700 "$XDG_RUNTIME_DIR"
# Two backgrounds for next/previous, in byte order: blue first, then yellow; and a picture for pause.
mkdir "$work/backgrounds"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "color=c=0x0000c0:s=64x64" -frames:v 1 "$work/backgrounds/a-blue.png"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "color=c=0xc0c000:s=64x64" -frames:v 1 "$work/backgrounds/b-yellow.png"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "color=c=0xc000c0:s=64x64" -frames:v 1 "$work/away.png"
echo "not a picture" >"$work/backgrounds/notes.txt"

ctl() { "$matte" ctl "$@" >"$work/ctl.out" 2>"$work/ctl.err"; }
# corner: "R G B" of a background pixel in the newest frames of the virtual camera (512x512 photo).
corner() { read_frames 3 "$work/frames.yuv" && pixel "$work/frames.yuv" 2 20 20 512x512; }
holds_camera() { ls -l "/proc/$matte_pid/fd" 2>/dev/null | grep -q "$camera"; }

# ---- 1. a photo of a person: every settings verb, read back from the device ----------------------------------
photo=$MATTE_REPO/Tests/Fixtures/astronaut.png
"$matte" --input "$photo" --output "$virtual" --background '#00c000' --always-on --backgrounds "$work/backgrounds" \
    >"$logs/photo.log" 2>&1 &
matte_pid=$!
check "matte computes a mask" wait_log "$logs/photo.log" "first person mask ready" 120
check "the control socket is 0600 in a 0700 directory" test "$(stat -c %a "$XDG_RUNTIME_DIR/matte")/$(stat -c %a "$XDG_RUNTIME_DIR/matte/control")" = 700/600
check "status answers" ctl status
check "status: live" test "$(status_field "s['state']")" = live
check "status: the background" test "$(status_field "s['settings']['background']")" = "#00c000"
check "the background starts green" near "$(corner)" "0 192 0" 8

check "ctl background #c00000" ctl background '#c00000'
check "the background turns red" near "$(corner)" "192 0 0" 8
check "ctl next" ctl next
check "next: the first picture of the folder (blue)" near "$(corner)" "0 0 192" 10
check "ctl next again" ctl next
check "next: the second picture (yellow)" near "$(corner)" "192 192 0" 10
check "ctl next wraps" ctl next
check "next wraps to the first" near "$(corner)" "0 0 192" 10
check "ctl previous" ctl previous
check "previous: back to the last (yellow)" near "$(corner)" "192 192 0" 10
check "the log says what changed" grep -q "ctl: background $work/backgrounds/b-yellow.png" "$logs/photo.log"

ctl set threshold 2; status=$?
check "a wrong value is refused with status 64 (got $status)" test "$status" -eq 64
check "in one line naming the option" bash -c "[ \$(wc -l <'$work/ctl.err') -eq 1 ] && grep -q -- '--threshold must be between 0 and 1' '$work/ctl.err'"
check "set threshold 0.7" ctl set threshold 0.7
check "status shows it" test "$(status_field "s['settings']['threshold']")" = 0.7
check "and lists it as an override" test "$(status_field "s['overrides']")" = "['background', 'threshold']"
check "ctl effect grayscale" ctl effect grayscale
grey=$(read_frames 3 "$work/grey.yuv" && pixel "$work/grey.yuv" 2 256 330 512x512)
check "the person turns grey ($grey)" bash -c 'set -- $0; [ $(( ($1-$2)*($1-$2) + ($2-$3)*($2-$3) )) -le 32 ]' "$grey"
check "ctl effect none" ctl effect none

# A configuration file edit reloads, but what ctl set stays on top of it.
reloads=$(grep -c "settings reloaded" "$logs/photo.log")
printf -- '--background #00c000\n' >"$XDG_CONFIG_HOME/matte/config"
check "the configuration change is applied" wait_log "$logs/photo.log" "settings reloaded" 10 $((reloads + 1))
check "and the ctl background stays (yellow)" near "$(corner)" "192 192 0" 10

# snapshot: the frame the virtual camera shows, as a PNG; compared with a frame ffmpeg reads from the device.
check "ctl snapshot" ctl snapshot "$work/snap.png"
timeout -k 5 60 ffmpeg -hide_banner -nostdin -loglevel error -f v4l2 -i "$virtual" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$work/device.rgb"
ffmpeg -hide_banner -nostdin -loglevel error -i "$work/snap.png" -f rawvideo -pix_fmt rgb24 "$work/snap.rgb"
cp "$work/snap.png" "$logs/"
compare() {
    python3 - "$work/snap.rgb" "$work/device.rgb" <<'PY'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
if len(a) != len(b) or len(a) != 512 * 512 * 3:
    sys.exit(f"sizes {len(a)} and {len(b)}")
mean = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
print(f"control: snapshot vs device frame: mean |diff| {mean:.2f}")
sys.exit(0 if mean <= 3 else 1)
PY
}
check "the snapshot is the device's picture" compare
check "snapshot refuses a name that is not .png" bash -c "! '$matte' ctl snapshot '$work/snap.jpg' 2>/dev/null && [ ! -e '$work/snap.jpg' ]"

# One matte per user: a second one is told at once, and touches no device. (Bounded: a second matte that does not
# see the first would run for good; it is stopped after 60 s, and its status 124 fails the check.)
timeout -k 5 60 "$matte" --input "$photo" --output "$virtual" >"$work/second.out" 2>&1; status=$?
check "a second matte exits 1 (got $status)" test "$status" -eq 1
check "naming the running one" grep -q "another matte is running (pid $matte_pid)" "$work/second.out"

stop_pid "$matte_pid" 20; status=$?   # 124 when it had to be killed (guest-lib.sh)
check "matte stops with status 0 (got $status)" test "$status" -eq 0
check "its socket is gone" test ! -e "$XDG_RUNTIME_DIR/matte/control"
ctl status; status=$?
check "ctl with no matte running exits 1 (got $status)" test "$status" -eq 1
check "saying none is running" grep -q "no matte is running" "$work/ctl.err"

# ---- 2. the camera: pause releases it (its light goes off), the virtual camera keeps a still -----------------
"$matte" --camera "$camera" --output "$virtual" --size 320x180 --fps 5 --background '#00c000' --always-on \
    --pause-image "$work/away.png" >"$logs/camera.log" 2>&1 &
matte_pid=$!
check "the camera streams" wait_log "$logs/camera.log" "first person mask ready" 120
check "matte holds the camera" holds_camera
check "ctl pause" ctl pause
check "status: paused" test "$(status_field "s['state']")" = paused
sleep 2
check "the camera is released" bash -c "! ls -l /proc/$matte_pid/fd | grep -q $camera"
read_frames 3 "$work/paused.yuv"
check "the virtual camera keeps streaming (the pause picture)" near "$(pixel "$work/paused.yuv" 2 160 90 320x180)" "192 0 192" 10
check "ctl resume" ctl resume
check "the camera is opened again" wait_log "$logs/camera.log" "camera opened" 30
sleep 2
check "status: live again" test "$(status_field "s['state']")" = live
check "toggle-pause pauses" bash -c "'$matte' ctl toggle-pause | grep -q paused"
check "toggle-pause resumes" bash -c "'$matte' ctl toggle-pause | grep -q resumed"
stop_pid "$matte_pid" 20
summary
