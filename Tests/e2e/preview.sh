#!/usr/bin/env bash
# End-to-end test of `matte preview` under Xvfb, run inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 --timeout 900 Tests/e2e/preview.sh [MATTE_BINARY]
# matte (release, with matte-preview beside it) writes a photo over a solid colour to v4l2loopback; the preview
# reads the device as an app would and draws it with SDL's software renderer (its YUV conversion is SDL's own C
# code, the same on every machine). A screenshot of its window is compared pixel by pixel with a frame ffmpeg reads
# from the device. The keys that change the running camera need matte's control socket (`matte ctl`): they are
# checked when this matte has it. Screenshots are kept in RESULTS/preview/ as PNG.
# Ends with "preview: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "preview: error: run me inside the VM: Tests/e2e/run-in-vm.sh Tests/e2e/preview.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=preview
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
virtual=/dev/video20
size=512  # Tests/Fixtures/astronaut.png, which matte writes at its own size
logs=$MATTE_RESULTS/preview
work=$(mktemp -d)
mkdir -p "$logs"
# The keys reach matte through its control socket, in a private runtime directory as a login session has.
export XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
mkdir "$work/backgrounds"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "color=c=0x0000c0:s=64x64" -frames:v 1 "$work/backgrounds/a-blue.png"
# Limits from runs here: mean 0.8-1.1, p99 3, max 4 (SDL and ffmpeg round BT.601 and upsample chroma differently).
compare() { python3 "$MATTE_REPO/Tests/e2e/compare-rgb.py" "$size" "$size" "$1" "$2" 2 6; }
ff=(ffmpeg -hide_banner -nostdin -loglevel error -y)
echo "preview: v4l2loopback $MATTE_LOOPBACK_VERSION, $(nproc) CPUs, $matte"

# A display of our own: the first number without a lock (the guest's /tmp is the host's, which may hold some).
display=99
while [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
export DISPLAY=:$display
Xvfb "$DISPLAY" -screen 0 1280x1024x24 -nolisten tcp >"$logs/xvfb.log" 2>&1 &
xvfb_pid=$!
matte_pid="" preview_pid=""
cleanup() {
    local pid
    for pid in $preview_pid $matte_pid $xvfb_pid; do stop_pid "$pid" 10; done   # never a bare `wait` (guest-lib.sh)
    rm -rf "$work"
}
trap cleanup EXIT
check "Xvfb starts on $DISPLAY" wait_for "/tmp/.X11-unix/X$display" 30

# wait_log LOG PATTERN SECONDS: waits until PATTERN appears in LOG.
wait_log() {
    local deadline=$((SECONDS + $3))
    until grep -q -- "$2" "$1" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no '$2' in $1 after $3 s:"; tail -n 5 "$1"; return 1; }
        sleep 0.5
    done
}
# These set globals, so they run outside `check` (which runs its command in a subshell).
window=""
geometry=""  # "X Y WIDTH HEIGHT" of the preview window
# find_window SECONDS: the preview's window, by its title.
find_window() {
    window=$(timeout "$1" xdotool search --sync --name '^Matte preview$' 2>/dev/null | head -n 1)
    [ -n "$window" ]
}
read_geometry() {
    geometry=$(timeout -k 2 20 xdotool getwindowgeometry --shell "$window" | awk -F= '
        $1 == "X" { x = $2 } $1 == "Y" { y = $2 } $1 == "WIDTH" { w = $2 } $1 == "HEIGHT" { h = $2 }
        END { print x, y, w, h }')
}
# window_size_is WxH SECONDS: waits until the window has that size (it takes the picture's once it opens it).
window_size_is() {
    local deadline=$((SECONDS + $2))
    while read_geometry; [ "$(awk '{ print $3 "x" $4 }' <<<"$geometry")" != "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}
# screenshot NAME: the window's pixels as NAME.rgb (raw RGB24, for the comparison) and NAME.png (in the results).
screenshot() {
    local x y w h
    read -r x y w h <<<"$geometry"
    timeout -k 2 30 xwd -root -silent >"$work/screen.xwd" &&
        convert "xwd:$work/screen.xwd" -crop "${w}x${h}+${x}+${y}" +repage -depth 8 "rgb:$work/$1.rgb" &&
        convert -size "${w}x${h}" -depth 8 "rgb:$work/$1.rgb" "$logs/$1.png"
}
# rgb_at FILE X Y: "R G B" of a pixel of a screenshot (the window is the picture's size).
rgb_at() { od -An -tu1 -j $((($3 * size + $2) * 3)) -N 3 "$1" | xargs; }
differs() { ! near "$@" >/dev/null; }
# press KEY: the preview's window gets the focus and KEY. Bounded: --sync waits for the focus for as long as it takes,
# for good when the window is gone; the check that follows then fails.
press() { timeout -k 2 20 xdotool windowfocus --sync "$window" key "$1" || echo "preview: could not press $1 in the window (status $?)"; }
# device_frame NAME: one frame of the virtual camera, as an app reads it: NAME.yuv (raw) and NAME.rgb (ffmpeg's).
device_frame() {
    timeout 60 "${ff[@]}" -f v4l2 -i "$virtual" -frames:v 1 -c:v rawvideo -f rawvideo "$work/$1.yuv" \
        || { echo "ffmpeg could not read $virtual (status $?)"; return 1; }
    "${ff[@]}" -f rawvideo -pix_fmt yuyv422 -s "${size}x$size" -i "$work/$1.yuv" -f rawvideo -pix_fmt rgb24 \
        "$work/$1.rgb" || return 1
    [ "$(stat -c %s "$work/$1.rgb")" -eq $((size * size * 3)) ] || { echo "a frame of $(stat -c %s "$work/$1.yuv") bytes"; return 1; }
}

# ---- 1. before matte writes: the window waits --------------------------------------------------------------------
# SDL's software renderer: its YUV to RGB conversion is SDL's C code, not a GPU driver's.
# Without SDL_FRAMEBUFFER_ACCELERATION=0 SDL shows the software renderer's result through an OpenGL texture, which is
# Mesa's swrast here; under TCG that crashed the preview (SIGSEGV in swrast_dri.so, an AVX2 gather), and a
# screenshot should see SDL's own pixels anyway (X11 shared memory).
export SDL_VIDEODRIVER=x11 SDL_RENDER_DRIVER=software SDL_FRAMEBUFFER_ACCELERATION=0
export XDG_PICTURES_DIR=$work/pictures
"$matte" preview --no-overlay >"$logs/preview.log" 2>&1 &
preview_pid=$!
find_window 60
check "matte preview opens a window titled 'Matte preview'" test -n "$window"
read_geometry
check "with nothing written yet it waits, at 640x360 ($geometry)" test "$(awk '{ print $3 "x" $4 }' <<<"$geometry")" = 640x360
# white_pixels FILE: how many bytes of a raw RGB picture are 255 (the overlay's text is white).
white_pixels() { od -An -v -tu1 "$1" | tr -s ' ' '\n' | grep -cx 255; }
# shows_text NAME SECONDS: takes screenshots until one has white text in it.
shows_text() {
    local deadline=$((SECONDS + $2))
    until screenshot "$1" && [ "$(white_pixels "$work/$1.rgb")" -gt 300 ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 1
    done
}
check "and says so in the window (white text)" shows_text waiting 20

# ---- 2. matte writes: the window shows exactly the device's picture ---------------------------------------------
"$matte" --output "$virtual" --input "$MATTE_REPO/Tests/Fixtures/astronaut.png" --background '#00c000' \
    --fps 5 --always-on --backgrounds "$work/backgrounds" >"$logs/matte.log" 2>&1 &
matte_pid=$!
check "matte computes a person mask from the photo" wait_log "$logs/matte.log" "first person mask ready" 180
window_size_is "${size}x$size" 30
check "the preview opens the device and takes the picture's size, ${size}x$size ($geometry)" \
    test "$(awk '{ print $3 "x" $4 }' <<<"$geometry")" = "${size}x$size"
# 5 fps: under TCG, compositing a 512x512 frame takes ~0.1 s of a CPU (docs/vm-testing.md), and the preview,
# Xvfb and ffmpeg need the rest. Frames after the first mask settle (temporal smoothing); the photo does not move, so every later frame is equal.
sleep 3
check "ffmpeg reads a frame of the virtual camera" device_frame device
check "a screenshot of the window is taken ($geometry)" screenshot shown
comparison=$(compare "$work/shown.rgb" "$work/device.rgb" 2>&1)
status=$?
echo "preview: window against device: $comparison"
check "the window shows the device's picture ($comparison)" test "$status" -eq 0
# The comparison must be able to fail: the same frame with U and V swapped (green turns magenta), and black.
python3 -c '
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[1::4], data[3::4] = data[3::4], data[1::4]
open(sys.argv[2], "wb").write(data)' "$work/device.yuv" "$work/swapped.yuv"
"${ff[@]}" -f rawvideo -pix_fmt yuyv422 -s "${size}x$size" -i "$work/swapped.yuv" -f rawvideo -pix_fmt rgb24 \
    "$work/swapped.rgb"
head -c $((size * size * 3)) /dev/zero >"$work/black.rgb"
for wrong in swapped black; do
    comparison=$(compare "$work/shown.rgb" "$work/$wrong.rgb" 2>&1)
    status=$?
    echo "preview: window against a $wrong frame: $comparison"
    check "the comparison fails against a $wrong frame" bash -c '[ "$1" -eq 1 ] && [[ $2 == "mean |diff|"* ]]' _ "$status" "$comparison"
done

# ---- 3. the overlay ---------------------------------------------------------------------------------------------
press o
sleep 2
screenshot overlay
overlaid=$(compare "$work/overlay.rgb" "$work/device.rgb" 2>&1)
echo "preview: window with the overlay against device: $overlaid"
check "o shows the status overlay (white text over the picture)" \
    test "$(white_pixels "$work/overlay.rgb")" -gt "$(($(white_pixels "$work/shown.rgb") + 300))"
press o
# k tints the person mask (from matte's `mask` reply) over the picture: the person's pixels change, the
# background's do not.
press k
sleep 2
screenshot mask
check "k tints the person (the middle of the picture changes)" \
    differs "$(rgb_at "$work/mask.rgb" 256 330)" "$(rgb_at "$work/shown.rgb" 256 330)" 6
check "and leaves the background as it was" near "$(rgb_at "$work/mask.rgb" 20 20)" "$(rgb_at "$work/shown.rgb" 20 20)" 6
press k

# ---- 4. keys change the running camera, through matte's control socket ------------------------------------------
# status_has PATTERN SECONDS: waits until `matte ctl status` shows PATTERN.
status_has() {
    local deadline=$((SECONDS + $2))
    until "$matte" ctl status 2>/dev/null | grep -q -- "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || { "$matte" ctl status; return 1; }
        sleep 0.2
    done
}
press m
check "m mirrors the camera" status_has '"mirror":true' 5
press m
check "m again unmirrors it" status_has '"mirror":false' 5
press n
check "n switches to the next background of the folder" status_has "\"background\":\"$work/backgrounds/a-blue.png\"" 10
sleep 3
screenshot blue
check "and the window shows it (a blue corner: $(rgb_at "$work/blue.rgb" 20 20))" near "$(rgb_at "$work/blue.rgb" 20 20)" "0 0 192" 12
# Mirror was switched on and off just before: masks made from mirrored frames must not leave a mirrored ghost of
# the head (beside the real one, at 300,110) or holes in the face (195,148).
check "no mirrored ghost beside the head ($(rgb_at "$work/blue.rgb" 300 110))" near "$(rgb_at "$work/blue.rgb" 300 110)" "0 0 192" 12
check "no hole in the face (skin, not blue: $(rgb_at "$work/blue.rgb" 195 148))" near "$(rgb_at "$work/blue.rgb" 195 148)" "217 194 182" 30
press space
check "space pauses the camera" status_has '"state":"paused"' 5
press space
check "space again resumes it" status_has '"state":"live"' 10
press e
check "e turns on the first effect" status_has '"effects":\["hologram"\]' 5
press s
check "s saves a snapshot in XDG_PICTURES_DIR" bash -c \
    "for i in \$(seq 50); do ls '$work/pictures'/matte-*.png >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1"
press q
check "q closes the preview" bash -c "for i in \$(seq 50); do kill -0 $preview_pid 2>/dev/null || exit 0; sleep 0.2; done; exit 1"
stop_pid "$preview_pid" 10   # its exit status; 143 or 124 when q did not close it
status=$?
check "and it exits with status 0 (got $status)" test "$status" -eq 0
preview_pid=""

# ---- 5. without matte-preview, one line says so ------------------------------------------------------------------
mkdir "$work/alone"
cp "$matte" "$work/alone/matte"
# (Bounded: a preview that opened after all would run until closed; status 124 then fails the check.)
message=$(PATH=/usr/bin:/bin timeout -k 5 60 "$work/alone/matte" preview 2>&1)
status=$?
check "matte preview without matte-preview: exit 1 ($status), one line ($message)" \
    bash -c '[ "$1" -eq 1 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -q "^matte: matte-preview is not installed" <<<"$2"' \
    _ "$status" "$message"
summary
