#!/usr/bin/env bash
# Guest script proving the e2e VM harness: vivid is a working webcam, v4l2loopback a working virtual
# camera (an ffmpeg producer writes, a second ffmpeg reads, as a call app would), and the webcam can be
# unplugged and plugged again. Run it through the harness:
#     Tests/e2e/run-in-vm.sh [--loopback 0.12|0.15] Tests/e2e/smoke.sh
# Ends with "smoke: N passed, M failed" and a non-zero status on failure.
set -euo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "smoke: error: run me inside the VM: Tests/e2e/run-in-vm.sh Tests/e2e/smoke.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=smoke
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"
set +e   # from here on, failures are counted, not fatal

camera=/dev/video0
virtual=/dev/video20
width=640 height=480
frame_bytes=$((width * height * 2))   # YUYV: 2 bytes a pixel
frames=10
work=$(mktemp -d)
logs=$MATTE_RESULTS/smoke
mkdir -p "$logs"
ff=(ffmpeg -hide_banner -nostdin -loglevel error -y)

# frames_ok FILE: FILE holds exactly $frames YUYV frames and the first and last differ (live video).
frames_ok() {
    local file=$1 size
    size=$(stat -c %s "$file" 2>/dev/null || echo 0)
    if [ "$size" -ne $((frames * frame_bytes)) ]; then
        echo "$file: $size bytes, expected $((frames * frame_bytes)) ($frames frames of ${width}x${height} YUYV)"; return 1
    fi
    if [ "$(head -c "$frame_bytes" "$file" | md5sum)" = "$(tail -c "$frame_bytes" "$file" | md5sum)" ]; then
        echo "$file: the first and the last frame are identical (frozen video?)"; return 1
    fi
}

echo "smoke: v4l2loopback $MATTE_LOOPBACK_VERSION, kernel $(uname -r)"

# ---- the drivers are there ---------------------------------------------------------------------------
v4l2-ctl -d "$camera" --all >"$logs/video0-all.txt" 2>&1
v4l2-ctl -d "$virtual" --all >"$logs/video20-all.txt" 2>&1
check "$camera is vivid" grep -qE 'Driver name[[:space:]]*: vivid' "$logs/video0-all.txt"
check "$camera captures YUYV" grep -q "'YUYV'" <(v4l2-ctl -d "$camera" --list-formats 2>&1)
check "$virtual is v4l2loopback" grep -qE 'Driver name[[:space:]]*: v4l2 loopback' "$logs/video20-all.txt"
check "$virtual is labelled Matte" grep -qE 'Card type[[:space:]]*: Matte' "$logs/video20-all.txt"

# ---- the webcam gives frames ---------------------------------------------------------------------------
t0=$SECONDS
timeout 60 "${ff[@]}" -f v4l2 -input_format yuyv422 -video_size "${width}x${height}" -i "$camera" \
    -frames:v "$frames" -c:v copy -f rawvideo "$work/camera.yuv" >"$logs/camera-ffmpeg.log" 2>&1
status=$?
check "ffmpeg reads $frames frames from vivid (exit $status, $((SECONDS - t0)) s)" test "$status" -eq 0
check "the vivid frames are ${width}x${height} YUYV and live" frames_ok "$work/camera.yuv"

# ---- the virtual camera: a producer writes, a consumer reads -----------------------------------------------
t0=$SECONDS
# -t bounds the producer even if the kill below never happens.
timeout 120 "${ff[@]}" -re -f lavfi -i "testsrc2=size=${width}x${height}:rate=25" -t 90 \
    -pix_fmt yuyv422 -f v4l2 "$virtual" >"$logs/producer-ffmpeg.log" 2>&1 &
producer=$!
# With exclusive_caps=1 the device offers capture only once a producer writes: wait for that.
deadline=$((SECONDS + 30))
until v4l2-ctl -d "$virtual" --info 2>/dev/null | grep -q 'Video Capture'; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$producer" 2>/dev/null; then break; fi
    sleep 0.2
done
check "$virtual offers capture while the producer writes" bash -c "v4l2-ctl -d $virtual --info | grep -q 'Video Capture'"
timeout 60 "${ff[@]}" -f v4l2 -i "$virtual" -frames:v "$frames" -c:v copy -f rawvideo "$work/virtual.yuv" \
    >"$logs/consumer-ffmpeg.log" 2>&1
status=$?
check "ffmpeg reads $frames frames from v4l2loopback (exit $status, $((SECONDS - t0)) s with the producer's start)" test "$status" -eq 0
check "the v4l2loopback frames are ${width}x${height} YUYV and live" frames_ok "$work/virtual.yuv"
v4l2-ctl -d "$virtual" --get-fmt-video >"$logs/video20-fmt.txt" 2>&1
check "$virtual reports ${width}x${height} YUYV" grep -qE "Width/Height[[:space:]]*: ${width}/${height}" "$logs/video20-fmt.txt"
kill "$producer" 2>/dev/null
wait "$producer" 2>/dev/null

# ---- the webcam is unplugged and comes back ------------------------------------------------------------------
check "vivid unloads (the webcam is unplugged)" camera_unplug
check "$camera is gone" test ! -e "$camera"
check "$virtual stays while the webcam is away" test -e "$virtual"
check "vivid loads again (the webcam is plugged back)" camera_plug
check "$camera is vivid again" test "$(driver_of "$camera")" = vivid
timeout 60 "${ff[@]}" -f v4l2 -input_format yuyv422 -video_size "${width}x${height}" -i "$camera" \
    -frames:v 1 -c:v copy -f rawvideo "$work/again.yuv" >"$logs/again-ffmpeg.log" 2>&1
check "the replugged webcam gives a frame" test "$(stat -c %s "$work/again.yuv" 2>/dev/null || echo 0)" -eq "$frame_bytes"

rm -rf "$work"
summary
