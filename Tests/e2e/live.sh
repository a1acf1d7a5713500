#!/usr/bin/env bash
# End-to-end test of `matte` (live) with real kernel drivers, run inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 [--loopback 0.12|0.15] Tests/e2e/live.sh [MATTE_BINARY]
# vivid is the webcam (/dev/video0), v4l2loopback the virtual camera (/dev/video20); ffmpeg, v4l2-ctl and
# GStreamer (v4l2src) read the virtual camera as a call app would. The VM emulates the CPU (TCG), where Matte's
# float code runs ~300x slower than on the host: the camera runs at 320x180 and 5 fps here so the pipeline keeps
# up; real-time speed is measured on the host by `matte bench pipeline`.
# Ends with "live: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "live: error: run me inside the VM: Tests/e2e/run-in-vm.sh Tests/e2e/live.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=live
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
camera=/dev/video0
virtual=/dev/video20
width=320 height=180 fps=5
frame_bytes=$((width * height * 2))
logs=$MATTE_RESULTS/live
work=$(mktemp -d)
mkdir -p "$logs"
ff=(ffmpeg -hide_banner -nostdin -loglevel error -y)
echo "live: v4l2loopback $MATTE_LOOPBACK_VERSION, $(nproc) CPUs, $matte"

# A configuration file of its own (options a running matte applies when the file changes).
export XDG_CONFIG_HOME=$work/config
mkdir -p "$XDG_CONFIG_HOME/matte"
echo "# live.sh" >"$XDG_CONFIG_HOME/matte/config"

matte_pid=""
# start_matte LOG ARGS...: starts matte in the background.
start_matte() {
    local log=$1; shift
    "$matte" --output "$virtual" "$@" >"$log" 2>&1 &
    matte_pid=$!
}
# stop_matte: SIGTERM, then the exit status (124 when it did not stop within 20 s; stop_pid, guest-lib.sh).
stop_matte() { stop_pid "$matte_pid" 20; }
holds_camera() { ls -l "/proc/$matte_pid/fd" 2>/dev/null | grep -q "$camera"; }
releases_camera() {  # releases_camera SECONDS
    local deadline=$((SECONDS + $1))
    while holds_camera; do [ "$SECONDS" -lt "$deadline" ] || { echo "matte still holds $camera"; return 1; }; sleep 0.2; done
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$matte_pid/status"; }
# GStreamer as the call app (many Linux apps read cameras through v4l2src). Only the three plugins the pipeline
# needs are registered, in a registry of this run's own: no scan of every installed plugin (slow under TCG), and
# no dependence on a registry cached on the host.
gst_private_registry "$work" coreelements video4linux2 videoconvertscale
# gst_read COUNT FILE: COUNT frames of the virtual camera through v4l2src, converted to packed RGB by videoconvert.
gst_read() {
    timeout -k 10 90 gst-launch-1.0 -q v4l2src device="$virtual" num-buffers="$1" ! videoconvert ! video/x-raw,format=RGB \
        ! filesink location="$2" >"$logs/gst.log" 2>&1
}
# rgb_pixel FILE N X Y WIDTH HEIGHT: "R G B" of pixel (X, Y) in frame N of a packed RGB file.
rgb_pixel() { od -An -tu1 -j $((($2 * $6 + $4) * $5 * 3 + $3 * 3)) -N 3 "$1" | xargs; }

# ---- 1. the picture is really composited: a photo of a person over a solid colour ---------------------------
photo=$MATTE_REPO/Tests/Fixtures/astronaut.png
echo '--background #00c000' >"$work/settings"
start_matte "$logs/photo.log" --input "$photo" --settings "$work/settings" --always-on
check "matte computes a person mask from the photo" wait_log "$logs/photo.log" "first person mask ready" 120
# Frames written after the mask: read a few and look at the last.
sleep 2
read_frames 3 "$work/photo.yuv"
check "the virtual camera gives 512x512 frames" test "$(stat -c %s "$work/photo.yuv" 2>/dev/null || echo 0)" -eq $((3 * 512 * 512 * 2))
check "background pixels become the colour" near "$(pixel "$work/photo.yuv" 2 20 20 512x512)" "0 192 0" 8
check "more background becomes the colour" near "$(pixel "$work/photo.yuv" 2 490 30 512x512)" "0 192 0" 8
reference=$("${ff[@]}" -i "$photo" -vf "crop=1:1:256:330" -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | xargs)
check "person pixels keep the photo" near "$(pixel "$work/photo.yuv" 2 256 330 512x512)" "$reference" 12
# The same through GStreamer: v4l2src negotiates the format itself, videoconvert makes RGB.
t0=$SECONDS
gst_read 3 "$work/photo.rgb"
echo "live: GStreamer read 3 frames in $((SECONDS - t0)) s"
check "GStreamer (v4l2src) reads 512x512 frames" bash -c "[ \"\$(stat -c %s '$work/photo.rgb' 2>/dev/null)\" = $((3 * 512 * 512 * 3)) ] || { cat '$logs/gst.log'; exit 1; }"
check "GStreamer: background pixels become the colour" near "$(rgb_pixel "$work/photo.rgb" 2 20 20 512 512)" "0 192 0" 8
check "GStreamer: more background becomes the colour" near "$(rgb_pixel "$work/photo.rgb" 2 490 30 512 512)" "0 192 0" 8
check "GStreamer: person pixels keep the photo" near "$(rgb_pixel "$work/photo.rgb" 2 256 330 512 512)" "$reference" 12
# SIGHUP rereads the settings file: the background turns red without dropping the virtual camera.
printf '# reloaded\n--background #c00000\n' >"$work/settings"
kill -HUP "$matte_pid"
check "SIGHUP reloads the settings" wait_log "$logs/photo.log" "settings reloaded" 60
sleep 2
read_frames 3 "$work/reloaded.yuv"
check "the new background shows" near "$(pixel "$work/reloaded.yuv" 2 20 20 512x512)" "192 0 0" 8
check "the person still shows" near "$(pixel "$work/reloaded.yuv" 2 256 330 512x512)" "$reference" 12
# Saving the configuration file applies it by itself, within a second (editors save by rename: so does this).
reloads=$(grep -c "settings reloaded" "$logs/photo.log")
# (The settings file's background outranks the configuration files; an effect is the configuration's own.)
printf -- '--effect grayscale\n' >"$XDG_CONFIG_HOME/matte/config.new"
mv "$XDG_CONFIG_HOME/matte/config.new" "$XDG_CONFIG_HOME/matte/config"
saved=$EPOCHREALTIME
check "a saved configuration file is applied without a signal" wait_log "$logs/photo.log" "settings reloaded" 10 $((reloads + 1))
took=$(echo "$EPOCHREALTIME - $saved" | bc)
echo "live: configuration change applied after $took s"
check "within a second ($took s)" test "$(echo "$took <= 1.0" | bc)" -eq 1
sleep 1
read_frames 3 "$work/configured.yuv"
grey=$(pixel "$work/configured.yuv" 2 256 330 512x512)
check "the configured effect shows: the person turns grey ($grey)" bash -c 'set -- $0; [ $(( ($1-$2)*($1-$2) + ($2-$3)*($2-$3) )) -le 32 ]' "$grey"
check "and the background keeps the settings file's colour" near "$(pixel "$work/configured.yuv" 2 20 20 512x512)" "192 0 0" 8
stop_matte; status=$?
check "matte stops on SIGTERM with status 0 (got $status)" test "$status" -eq 0

# ---- 2. vivid through matte: size, format, rate ----------------------------------------------------------------
start_matte "$logs/camera.log" --camera "$camera" --size "${width}x${height}" --fps "$fps" --background blur
check "matte starts" wait_log "$logs/camera.log" "readers detected" 60
check "with no reader, the camera is closed" releases_camera 10
# A first reader wakes matte up (the camera opens on demand); the timed reader follows within the grace time.
read_frames 5 /dev/null
t0=$(date +%s.%N)
read_frames 30 "$work/camera.yuv"
t1=$(date +%s.%N)
check "30 frames reach the reader" test "$(stat -c %s "$work/camera.yuv" 2>/dev/null || echo 0)" -eq $((30 * frame_bytes))
timeout -k 5 30 v4l2-ctl -d "$virtual" --get-fmt-video >"$logs/format.txt" 2>&1
check "the virtual camera is ${width}x${height}" grep -qE "Width/Height[[:space:]]*: ${width}/${height}" "$logs/format.txt"
check "the virtual camera is YUYV" grep -q "'YUYV'" "$logs/format.txt"
# Distinct frames per second of wall time: vivid's picture changes every frame, repeats are not new frames.
distinct=$(split -b "$frame_bytes" --filter='md5sum' "$work/camera.yuv" | sort -u | wc -l)
rate=$(echo "$distinct / ($t1 - $t0)" | bc -l)
echo "live: $distinct distinct frames in $(echo "$t1 - $t0" | bc) s = $(printf %.1f "$rate") fps (configured $fps)"
check "frames arrive at the configured rate (≥ 80 % of $fps fps, got $(printf %.1f "$rate"))" \
    test "$(echo "$rate >= 0.8 * $fps" | bc)" -eq 1

# ---- 3. on demand: the camera is released when the reader stops, reopened when one starts -----------------------
check "the camera is released after the reader stops" releases_camera 6
# This reader runs through section 4, recording when each frame arrives (reader_start, guest-lib.sh).
reader_start "$work/unplug.times" 100000000 "$work/unplug.yuv"
t0=$SECONDS
check "the camera is reopened when a reader starts" bash -c "deadline=\$((SECONDS + 10)); until ls -l /proc/$matte_pid/fd | grep -q $camera; do [ \$SECONDS -lt \$deadline ] || exit 1; sleep 0.1; done"
echo "live: camera reopened $((SECONDS - t0)) s after the reader started"

# ---- 4. the camera is unplugged and comes back while a reader watches ---------------------------------------------
# vivid's "disconnect" control simulates a USB unplug: the node fails under matte's open descriptors; then vivid is
# unloaded (camera_pull, guest-lib.sh) and stays away a few seconds. The reader must get frames all along: the
# camera's, then placeholders while it is away, then the camera's again, with no break longer than 3 frame intervals.
sleep 3
t_unplug=$EPOCHREALTIME
check "the webcam is unplugged (disconnected, then vivid unloaded: matte let go of it)" camera_pull 30
t_lost=$EPOCHREALTIME
[ "${camera_pull_retries:-0}" -eq 0 ] || echo "live: matte reopened the reconnected camera before the unload; disconnected it again ($camera_pull_retries x)"
check "matte noticed the camera was gone" wait_log "$logs/camera.log" "camera lost" 20
check "matte keeps running without its camera" kill -0 "$matte_pid"
check "matte says it shows a placeholder" wait_log "$logs/camera.log" "placeholder" 20
sleep 3
t_plug=$EPOCHREALTIME
opened=$(($(grep -c "camera opened" "$logs/camera.log") + 1))
check "the webcam is plugged back" camera_plug
check "matte reopens the camera when it returns" wait_log "$logs/camera.log" "camera opened" 30 "$opened"
t_back=$EPOCHREALTIME
sleep 4
t_end=$EPOCHREALTIME
check "the reader was still running after the camera returned" reader_running
reader_stop
# Frames, their arrival times and a checksum each (the file holds every frame the reader dequeued, in order).
split -b "$frame_bytes" --filter='md5sum' "$work/unplug.yuv" | cut -c1-32 >"$work/unplug.md5"
paste -d ' ' "$work/unplug.times" "$work/unplug.md5" | awk 'NF == 3' >"$logs/unplug-frames.txt"
rm -f "$work/unplug.yuv"
# window FROM TO: the frames that arrived between FROM and TO.
window() { awk -v from="$1" -v to="$2" '$1 >= from && $1 <= to' "$logs/unplug-frames.txt"; }
read -r n_all gap_all gap_at <<<"$(frame_stats "$logs/unplug-frames.txt" "$t_unplug" "$t_end")"
read -r n_away gap_away _ <<<"$(frame_stats "$logs/unplug-frames.txt" "$t_lost" "$t_plug")"
away_s=$(echo "$t_plug - $t_lost" | bc)
away_distinct=$(window "$(echo "$t_lost + 1" | bc)" "$t_plug" | cut -d' ' -f3 | sort -u | wc -l)
after=$(window "$(echo "$t_back + 1" | bc)" "$t_end")
n_after=$(printf '%s' "$after" | grep -c .)
after_distinct=$(printf '%s\n' "$after" | cut -d' ' -f3 | sort -u | grep -c .)
max_gap=$(echo "3 / $fps" | bc -l)
echo "live: reader: $n_all frames from the unplug to $(printf %.1f "$(echo "$t_end - $t_unplug" | bc)") s later; $n_away in the $(printf %.1f "$away_s") s the camera was away ($away_distinct distinct after the first second); $n_after in the $(printf %.1f "$(echo "$t_end - $t_back - 1" | bc)") s from 1 s after it returned ($after_distinct distinct); longest gap $(printf %.3f "$gap_all") s, $(printf %.1f "$(echo "$gap_at - $t_unplug" | bc)") s after the unplug"
check "the reader got frames while the camera was away ($n_away in $(printf %.1f "$away_s") s)" test "$n_away" -ge "$(printf %.0f "$(echo "$away_s * $fps / 3" | bc -l)")"
check "those were the placeholder, one still picture ($away_distinct distinct)" test "$away_distinct" -eq 1
after_s=$(echo "$t_end - $t_back - 1" | bc)
check "the reader got the camera's moving picture after it returned ($after_distinct distinct of $n_after in $(printf %.1f "$after_s") s)" \
    test "$n_after" -ge "$(printf %.0f "$(echo "$after_s * $fps / 3" | bc -l)")" -a $((after_distinct * 10)) -ge $((n_after * 8))
check "no break in the reader's frames longer than 3 frame intervals ($(printf %.3f "$gap_all") s ≤ $(printf %.3f "$max_gap") s)" le "$gap_all" "$max_gap"

# ---- 5. fifty readers come and go: no stall, no leak --------------------------------------------------------------
sleep 3
step "50 readers come and go"
# The first stall ends the cycles: it fails the check below already, and each stalled read waits its whole 60 s.
stalls=0 cycles=0 rss_early=""
for cycle in $(seq 1 50); do
    cycles=$cycle
    read_frames 2 /dev/null || { stalls=$((stalls + 1)); echo "live: reader cycle $cycle stalled (no 2 frames within 60 s)"; break; }
    [ "$cycle" -eq 5 ] && rss_early=$(rss_kb)
done
rss_late=$(rss_kb)
echo "live: RSS after 5 cycles ${rss_early} kB, after $cycles ${rss_late} kB"
check "50 open/close cycles without a stall ($stalls stalled in $cycles)" test "$stalls" -eq 0 -a "$cycles" -eq 50
# (No figure when the cycles stopped before the fifth: that fails too.)
growth=$(( ${rss_late:-0} - ${rss_early:-0} ))
check "memory is stable over the cycles (+$growth kB)" test -n "$rss_early" -a "$growth" -le 8192
check "matte is still running" kill -0 "$matte_pid"

# ---- 6. SIGTERM leaves both devices reusable -----------------------------------------------------------------------
stop_matte; status=$?
check "matte stops on SIGTERM with status 0 (got $status)" test "$status" -eq 0
check "matte reports its latency" grep -q "latency p50" "$logs/camera.log"
timeout -k 5 60 "${ff[@]}" -f v4l2 -input_format yuyv422 -video_size 640x360 -i "$camera" -frames:v 2 -f rawvideo "$work/after.yuv"
check "the camera is reusable afterwards" test "$(stat -c %s "$work/after.yuv" 2>/dev/null || echo 0)" -eq $((2 * 640 * 360 * 2))
start_matte "$logs/again.log" --camera "$camera" --size "${width}x${height}" --fps "$fps" --background "#203040" --output-format i420
check "the virtual camera takes a new producer" wait_log "$logs/again.log" "readers detected" 60
read_frames 3 "$work/again.yuv"
check "and gives frames again, as I420" test "$(stat -c %s "$work/again.yuv" 2>/dev/null || echo 0)" -eq $((3 * width * height * 3 / 2))
timeout -k 5 30 v4l2-ctl -d "$virtual" --get-fmt-video >"$logs/format-i420.txt" 2>&1
check "the virtual camera reports I420 (YU12)" grep -q "'YU12'" "$logs/format-i420.txt"
stop_matte

grep -h "matte:" "$logs"/*.log | sed 's/\r//; s/^.*matte:/matte:/' >"$logs/all-messages.txt"
rm -rf "$work"
summary
