#!/usr/bin/env bash
# End-to-end test of `matte --output pipewire` on the host, with real parts and no VM or kernel module:
#     Tests/e2e/pipewire.sh [MATTE_BINARY]      (default .build/release/matte)
# Starts a private PipeWire daemon and WirePlumber (its session manager, which links consumers to the node) on a
# D-Bus session bus of their own (dbus-run-session) in a temporary XDG_RUNTIME_DIR, so nothing of the desktop's
# is touched; runs matte on a photo; reads the camera node with GStreamer's pipewiresrc as a PipeWire app would.
# Checks the picture in each format (YUY2, I420, NV12), size and rate, on demand, a stalled and a killed consumer,
# the daemon restarting, and 50 consumer link/unlink cycles (no stall, stable RSS); then prints what the PipeWire
# output costs per frame. Ends with "pipewire: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
matte=$(realpath "${1:-$repo/.build/release/matte}")
if [ -z "${MATTE_PIPEWIRE_SESSION:-}" ]; then
    # WirePlumber needs a session bus; this one ends with the test.
    MATTE_PIPEWIRE_SESSION=1 exec dbus-run-session -- "$0" "$matte" 2> >(grep -v "Failed to set fd limit" >&2)
fi
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=pipewire
# check, summary, wait_log and near: the VM tests' helpers, which need nothing of the VM.
# shellcheck source=Tests/e2e/guest-lib.sh
. "$repo/Tests/e2e/guest-lib.sh"

work=$(mktemp -d)
logs=$work/logs
mkdir -p "$logs" "$work/runtime" "$work/config/matte"
chmod 700 "$work/runtime"
export XDG_RUNTIME_DIR=$work/runtime XDG_CONFIG_HOME=$work/config
unset PIPEWIRE_REMOTE PIPEWIRE_RUNTIME_DIR
photo=$repo/Tests/Fixtures/astronaut.png
ff=(ffmpeg -hide_banner -nostdin -loglevel error -y)

# shellcheck source=Tests/e2e/pipewire-lib.sh
. "$repo/Tests/e2e/pipewire-lib.sh"
matte_pid=""
cleanup() {
    [ -n "$matte_pid" ] && kill -KILL "$matte_pid" 2>/dev/null
    [ -n "${listener_pid:-}" ] && kill -TERM "$listener_pid" 2>/dev/null
    stop_daemons
    [ "${MATTE_KEEP_LOGS:-0}" = 1 ] && echo "pipewire: logs in $logs" || rm -rf "$work"
}
trap cleanup EXIT
alive() { kill -0 "$matte_pid" 2>/dev/null; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$matte_pid/status"; }
# cpu_ms PID: user + system CPU time of PID so far, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
# node_id [LOG]: the id matte's log gives its node, the last time it published it.
matte_log=$logs/matte.log
node_id() { grep -o 'camera node [0-9]*' "${1:-$matte_log}" | tail -n 1 | awk '{ print $3 }'; }

# A registry of GStreamer plugins of this run's own with just the elements used: no scan of every plugin installed.
gst_private_registry "$work" coreelements pipewire videoconvertscale multifile
# gst_read COUNT FILE [FORMAT]: COUNT frames of the node (in FORMAT, default what pipewiresrc prefers), converted to
# packed RGB by videoconvert; the caps pipewiresrc negotiated and each buffer's pts go to $logs/gst.log.
# (Every consumer here has a caps filter after pipewiresrc: 0.3.65's pipewiresrc straight into fakesink never
# leaves READY, whatever the producer; gst-launch's own videotestsrc ! pipewiresink shows the same.)
gst_read() {
    local caps=video/x-raw
    [ -n "${3:-}" ] && caps="video/x-raw,format=$3"
    timeout 30 gst-launch-1.0 -v pipewiresrc path="$(node_id)" num-buffers="$1" ! "$caps" ! identity silent=false \
        ! videoconvert ! video/x-raw,format=RGB ! filesink location="$2" >"$logs/gst.log" 2>&1
}
# rgb_pixel FILE N X Y WIDTH HEIGHT: "R G B" of pixel (X, Y) in frame N of a packed RGB file.
rgb_pixel() { od -An -tu1 -j $((($2 * $6 + $4) * $5 * 3 + $3 * 3)) -N 3 "$1" | xargs; }

echo "pipewire: $(pipewire --version | tail -n 1), $matte"
start_daemons "$logs" || { fail "the private PipeWire daemon starts"; summary; exit; }

# ---- 1. the node: published with a camera's properties, nothing read while nobody consumes -------------------------
"$matte" --input "$photo" --output pipewire --background '#00c000' >"$logs/matte.log" 2>&1 &
matte_pid=$!
check "matte publishes a camera node" wait_log "$logs/matte.log" 'camera node [0-9]* ("Matte") published' 30
# (Logged after the output opens: on a busy machine the node may be published first.)
check "matte names the source's rate" wait_log "$logs/matte.log" '(looped, 512x512 at [0-9]* fps)' 30
rate=$(sed -n 's/.*(looped, 512x512 at \([0-9]*\) fps).*/\1/p' "$logs/matte.log" | head -n 1)
pw-cli info "$(node_id)" >"$logs/node.txt" 2>&1
for property in 'media.class = "Video/Source"' 'media.role = "Camera"' 'node.description = "Matte"'; do
    check "the node has $property" grep -qF "$property" "$logs/node.txt"
done
check "matte devices lists it" bash -c "'$matte' devices | grep -q '^  node $(node_id)  Matte (matte)'"
# With a PipeWire daemon, a missing v4l2loopback (this host has none) is a warning, not a problem: PipeWire carries
# the camera. (Without a daemon, cli-tests.sh checks the problem.)
"$matte" doctor >"$logs/doctor.txt" 2>&1
check "matte doctor: ok: pipewire" grep -q "^ok: pipewire:" "$logs/doctor.txt"
check "and v4l2loopback findings are warnings naming PipeWire" \
    bash -c "! grep -q '^problem: loopback' '$logs/doctor.txt' && grep -q '^warning: loopback-.*PipeWire carries the camera' '$logs/doctor.txt'"
# Browsers reach the camera only through the desktop portal: with no session bus to ask, doctor says so and how to fix
# it (browsers.sh checks the portal answering).
DBUS_SESSION_BUS_ADDRESS=unix:path=$work/no-bus "$matte" doctor >"$logs/doctor-no-bus.txt" 2>&1
check "with no portal to ask: warning: portal, with the packages to install" bash -c "grep -q \
    '^warning: portal: the desktop portal.s Camera interface does not answer' '$logs/doctor-no-bus.txt' && grep -q \
    '^  fix: sudo apt install xdg-desktop-portal' '$logs/doctor-no-bus.txt' && ! grep -q '^ok: browsers' '$logs/doctor-no-bus.txt'"
check "with no consumer the source is closed (idle)" wait_log "$logs/matte.log" "idle: no application is reading" 10
check "and status says idle, 0 readers" test "$(status_field "s['state'], s['readers']")" = "idle 0"

# ---- 2. the picture in each format, at the pipeline's size and rate ---------------------------------------------------
reference=$("${ff[@]}" -i "$photo" -vf "crop=1:1:256:330" -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | xargs)
# The first read wakes matte and waits out the first person mask, so the frames of the next reads are composited.
gst_read 30 "$work/warm.rgb"
check "matte computes a person mask" wait_log "$logs/matte.log" "first person mask ready" 30
for format in YUY2 I420 NV12; do
    gst_read 10 "$work/$format.rgb" "$format"
    check "$format: 10 frames of 512x512 reach the consumer" \
        test "$(stat -c %s "$work/$format.rgb" 2>/dev/null || echo 0)" -eq $((10 * 512 * 512 * 3))
    check "$format: negotiated at 512x512 and $rate fps" \
        grep -q "format=(string)$format, width=(int)512, height=(int)512, framerate=(fraction)$rate/1" "$logs/gst.log"
    check "$format: matte says so" grep -q "a consumer takes $format 512x512" "$logs/matte.log"
    check "$format: background pixels become the colour" near "$(rgb_pixel "$work/$format.rgb" 9 20 20 512 512)" "0 192 0" 8
    check "$format: more background becomes the colour" near "$(rgb_pixel "$work/$format.rgb" 9 490 30 512 512)" "0 192 0" 8
    check "$format: person pixels keep the photo" near "$(rgb_pixel "$work/$format.rgb" 9 256 330 512 512)" "$reference" 12
done
# Buffer timestamps: 40 frames, their pts spaced at the rate (the mean interval within 10 %).
gst_read 40 /dev/null
intervals=$(grep -o 'pts: [0-9:.]*' "$logs/gst.log" | awk '{ split($2, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]; if (n++) print s - last; last = s }' \
    | tail -n 30 | awk '{ sum += $1 } END { if (NR) printf "%.4f", sum / NR }')
echo "pipewire: mean pts interval ${intervals:-none} s (1/$rate = $(echo "scale=4; 1 / $rate" | bc) s)"
check "buffers carry timestamps at the frame rate ($intervals s apart)" \
    test "$(echo "${intervals:-0} > 0.9 / $rate && ${intervals:-0} < 1.1 / $rate" | bc -l)" -eq 1

# ---- 3. on demand: idle after the last consumer, frames within a second of a new one -----------------------------------
idles=$(grep -c "idle: no application is reading" "$logs/matte.log")
check "after the consumer leaves, the source is closed again" \
    wait_log "$logs/matte.log" "idle: no application is reading" 10 $((idles + 1))
t0=$EPOCHREALTIME
timeout 30 gst-launch-1.0 -q pipewiresrc path="$(node_id)" num-buffers=1 ! video/x-raw ! fakesink >"$logs/gst.log" 2>&1
took=$(echo "$EPOCHREALTIME - $t0" | bc)
echo "pipewire: a new consumer got its first frame $took s after starting (gst-launch's own start-up included)"
check "a new consumer gets a frame within a second ($took s)" test "$(echo "$took < 1.0" | bc)" -eq 1

# ---- 4. a consumer that stalls, then is killed ----------------------------------------------------------------------
gst-launch-1.0 -q pipewiresrc path="$(node_id)" ! video/x-raw ! fakesink >"$logs/stalled.log" 2>&1 &
consumer=$!
sleep 2
kill -STOP "$consumer"
sleep 1
out0=$(status_field "s['rates']['out']")
dropped0=$(status_field "s['dropped_frames']")
sleep 3
out1=$(status_field "s['rates']['out']")
dropped1=$(status_field "s['dropped_frames']")
# Frames the stalled consumer holds no free buffer for are dropped and counted (`dropped_frames`), not written:
# written and dropped together keep the camera's rate, so the output thread is not held up.
kept=$(echo "${out1:-0} + (${dropped1:-0} - ${dropped0:-0}) / 3" | bc -l)
echo "pipewire: stalled consumer: $out0 then $out1 fps written, $((${dropped1:-0} - ${dropped0:-0})) dropped in 3 s"
check "a stalled consumer does not stop matte's output ($kept frames a second written or dropped)" \
    test "$(echo "$kept > 0.8 * $rate" | bc)" -eq 1
kill -KILL "$consumer"
wait "$consumer" 2>/dev/null
check "matte survives a killed consumer" alive
gst_read 5 "$work/after-kill.rgb"
check "the next consumer gets frames" test "$(stat -c %s "$work/after-kill.rgb" 2>/dev/null || echo 0)" -eq $((5 * 512 * 512 * 3))

# ---- 5. the daemon restarts -----------------------------------------------------------------------------------------
before=$(node_id)
stop_daemons
check "matte notices the daemon is gone" wait_log "$logs/matte.log" "lost the daemon" 10
sleep 3
check "and keeps running without it" alive
start_daemons "$logs"
check "matte republishes the node when the daemon is back" \
    wait_log "$logs/matte.log" 'camera node [0-9]* ("Matte") published' 15 2
echo "pipewire: node $before before the restart, $(node_id) after"
gst_read 10 "$work/restarted.rgb"
check "after the restart: background pixels become the colour" near "$(rgb_pixel "$work/restarted.rgb" 9 20 20 512 512)" "0 192 0" 8
check "after the restart: person pixels keep the photo" near "$(rgb_pixel "$work/restarted.rgb" 9 256 330 512 512)" "$reference" 12

# ---- 6. 50 consumers linked and unlinked, formats changing --------------------------------------------------------------
formats=(YUY2 I420 NV12)
stalls=0
for cycle in $(seq 1 50); do
    timeout 10 gst-launch-1.0 -q pipewiresrc path="$(node_id)" num-buffers=3 ! "video/x-raw,format=${formats[cycle % 3]}" \
        ! fakesink >>"$logs/cycles.log" 2>&1 || stalls=$((stalls + 1))
    [ "$cycle" = 10 ] && rss10=$(rss_kb)
done
rss50=$(rss_kb)
echo "pipewire: RSS ${rss10} kB after 10 cycles, ${rss50} kB after 50"
check "50 link/unlink cycles, none stalled ($stalls did)" test "$stalls" -eq 0
check "RSS stable over the cycles (${rss10} → ${rss50} kB, at most 2 MB more)" test $((rss50 - rss10)) -le 2048
check "matte is still running" alive
kill -TERM "$matte_pid"
wait "$matte_pid"
status=$?
matte_pid=""
check "matte stops on SIGTERM (status $status)" test "$status" -eq 0

# ---- 6b. the matting network live (--model rvm) through the same node ----------------------------------------------
matte_log=$logs/rvm.log
"$matte" --input "$photo" --output pipewire --model rvm --background '#00c000' >"$matte_log" 2>&1 &
matte_pid=$!
check "rvm: the node is published" wait_log "$matte_log" 'camera node [0-9]* ("Matte") published' 30
check "rvm: the start line names the model" wait_log "$matte_log" ', model rvm' 30
gst_read 30 "$work/rvm-warm.rgb"
check "rvm: the matting network makes a first mask" wait_log "$matte_log" "first person mask ready" 60
gst_read 10 "$work/rvm.rgb" YUY2
check "rvm: 10 frames of 512x512 reach the consumer" \
    test "$(stat -c %s "$work/rvm.rgb" 2>/dev/null || echo 0)" -eq $((10 * 512 * 512 * 3))
check "rvm: background pixels become the colour" near "$(rgb_pixel "$work/rvm.rgb" 9 20 20 512 512)" "0 192 0" 8
check "rvm: more background becomes the colour" near "$(rgb_pixel "$work/rvm.rgb" 9 490 30 512 512)" "0 192 0" 8
check "rvm: person pixels keep the photo" near "$(rgb_pixel "$work/rvm.rgb" 9 256 330 512 512)" "$reference" 12
check "rvm: status names the model" test "$(status_field "s['model']")" = rvm
kill -TERM "$matte_pid"
wait "$matte_pid"
status=$?
matte_pid=""
check "rvm: matte stops on SIGTERM (status $status)" test "$status" -eq 0
matte_log=$logs/matte.log

# ---- 7. signals as systemd sends them, and the daemon lost, always on ---------------------------------------------------
# The unit reloads with SIGHUP and stops with SIGTERM; every thread (PipeWire's own loop too) must leave them to
# matte's signal descriptor, or one kills the process. notify-listener.py plays systemd's notify socket.
notify_log=$logs/notify.log
listener_pid=""
python3 "$repo/Tests/e2e/notify-listener.py" "$work/notify" "$notify_log" >/dev/null 2>>"$logs/notify.err" &
listener_pid=$!
# stop_with SIGNAL SECONDS: stop_pid with SIGNAL; sets $status (not in a $(...) subshell, which cannot wait for matte).
stop_with() {
    stop_pid "$matte_pid" "$2" "$1"
    status=$?
    matte_pid=""
}
notified() { grep -c " $1$" "$notify_log"; }
# start_signalled LOG: matte always on, under the notify socket (run outside `check`, whose subshell would keep it).
start_signalled() {
    matte_log=$1
    NOTIFY_SOCKET=$work/notify "$matte" --input "$photo" --output pipewire --always-on --settings "$work/settings" \
        >"$matte_log" 2>&1 &
    matte_pid=$!
}
# state_becomes STATE: until `matte ctl status` reports STATE (10 s at most).
state_becomes() {
    local deadline=$((SECONDS + 10))
    until [ "$(status_field "s['state']")" = "$1" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.2; done
}
check "the notify listener starts" wait_for "$notify_log" 20
echo '--background #00c000' >"$work/settings"
start_signalled "$logs/signals.log"
check "always on: the node is published" wait_log "$matte_log" 'camera node [0-9]* ("Matte") published' 30
check "and READY=1 sent" wait_log "$notify_log" "READY=1" 20
threads=$(ls /proc/"$matte_pid"/task | wc -l)
check "every one of matte's $threads threads blocks SIGHUP, SIGINT and SIGTERM ($(unblocked_threads "$matte_pid" | xargs) do not)" \
    test -z "$(unblocked_threads "$matte_pid")"
check "PipeWire's loop thread is among them" grep -qx matte-pipewire /proc/"$matte_pid"/task/*/comm
node=$(node_id)
gst_read 10 "$work/before-hup.rgb"
check "before SIGHUP: the background is the green of the settings file" \
    near "$(rgb_pixel "$work/before-hup.rgb" 9 20 20 512 512)" "0 192 0" 8
printf '# reloaded\n--background #c00000\n' >"$work/settings"
for round in 1 2 3; do
    kill -HUP "$matte_pid"
    check "SIGHUP $round: matte reloads the settings" wait_log "$matte_log" "settings reloaded" 15 "$round"
done
check "after three SIGHUPs the same matte runs" alive
check "and its node is the same ($node)" test "$(node_id)" = "$node" -a "$(grep -c 'published' "$matte_log")" -eq 1
gst_read 10 "$work/after-hup.rgb"
check "after SIGHUP: the background is the red of the reloaded settings" \
    near "$(rgb_pixel "$work/after-hup.rgb" 9 20 20 512 512)" "192 0 0" 40
check "after SIGHUP: the person keeps the photo" near "$(rgb_pixel "$work/after-hup.rgb" 9 256 330 512 512)" "$reference" 12
# A model change cannot apply to a running matte: said once, and everything else goes on.
printf '# reloaded\n--background #c00000\n--model rvm\n' >"$work/settings"
kill -HUP "$matte_pid"
check "a changed --model is said to take a restart" \
    wait_log "$matte_log" "warning: --model rvm takes effect when matte restarts" 15
kill -HUP "$matte_pid"
check "and said once" wait_log "$matte_log" "settings reloaded" 15 5
check "(only once)" test "$(grep -c 'takes effect when matte restarts' "$matte_log")" -eq 1
check "status still names the running model (general: the photo is square)" test "$(status_field "s['model']")" = general
printf '# reloaded\n--background #c00000\n' >"$work/settings"
kill -HUP "$matte_pid"
check "settings reloaded after taking it back" wait_log "$matte_log" "settings reloaded" 15 6
# matte ctl set takes negative numbers as values, and `foreground none` takes a foreground away.
check "ctl set dilate -5" "$matte" ctl set dilate -5
check "status shows dilate -5" test "$(status_field "s['settings']['dilate']")" = -5
check "ctl set foreground PICTURE" "$matte" ctl set foreground "$repo/Tests/Fixtures/astronaut.png"
check "status shows the foreground" test "$(status_field "s['settings']['foreground']")" = "$repo/Tests/Fixtures/astronaut.png"
check "ctl set foreground none" "$matte" ctl set foreground none
check "status shows no foreground" test "$(status_field "s['settings'].get('foreground')")" = None

# The daemon goes away under an always-on matte: status says so, instead of a live camera sending frames.
stop_daemons
check "without the daemon, status says no-output" state_becomes no-output
check "and names the missing daemon" test "$(status_field "s.get('output_problem', '')[:18]")" = "no PipeWire daemon"
sleep 2.5
out=$(status_field "s['rates']['out']")
check "and counts no frames out ($out fps)" test "$(status_field "s['rates']['out'] == 0")" = True
start_daemons "$logs"
check "the node is published again when the daemon is back" wait_log "$matte_log" 'camera node [0-9]* ("Matte") published' 15 2
check "and status says live again" state_becomes live
check "with no output_problem" test "$(status_field "'output_problem' in s")" = False
stop_with TERM 20
check "SIGTERM: matte exits 0 (status $status)" test "$status" -eq 0
check "SIGTERM: STOPPING=1 sent" test "$(notified STOPPING=1)" -eq 1
check "SIGTERM: the final summary is logged" grep -q "stopped: [0-9]* frames in" "$matte_log"

start_signalled "$logs/signals-int.log"
check "again: the node is published" wait_log "$matte_log" 'camera node [0-9]* ("Matte") published' 30
check "and READY=1 sent" wait_log "$notify_log" "READY=1" 20 2
stop_with INT 20
check "SIGINT: matte exits 0 (status $status)" test "$status" -eq 0
check "SIGINT: STOPPING=1 sent" test "$(notified STOPPING=1)" -eq 2
check "SIGINT: the final summary is logged" grep -q "stopped: [0-9]* frames in" "$matte_log"
kill -TERM "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null

# Start-up that blocks (here on a frozen daemon) still ends on Ctrl-C: the signals are held for the session, so a
# watcher ends the process until the session takes them over.
kill -STOP "$pipewire_pid"
start_signalled "$logs/frozen.log"
sleep 2
check "with a frozen daemon, matte is still starting" test "$(grep -c published "$matte_log")" -eq 0
stop_with INT 5
check "SIGINT while starting: matte exits 130 at once (status $status)" test "$status" -eq 130
check "SIGINT while starting: it says so" grep -qx "matte: stopped by SIGINT while starting" "$logs/frozen.log"
kill -CONT "$pipewire_pid"

# ---- 7b. row layouts: every consumer reads the picture at many widths ---------------------------------------------------
# A single-block buffer has one chunk stride, and consumers read the rest differently: libwebrtc (Chromium, Firefox)
# reads I420/NV12 planes at the width and half of it, back to back; GStreamer's pipewiresrc reads its default layout
# (each plane's rows padded to 4 bytes). So I420 is offered only at widths where the two agree (multiples of 8), NV12
# at multiples of 4, YUY2 always. pw-reader (Tests/e2e/pw-reader.c, libpipewire alone) reads as libwebrtc does
# (unpadded) and from the chunk's stride and size; gst-launch as GStreamer does. Each frame is compared with the YUY2
# frame GStreamer reads (one layout for all).
# shellcheck disable=SC2046  # pkg-config prints several flags
cc -O1 -o "$work/pw-reader" "$repo/Tests/e2e/pw-reader.c" $(pkg-config --cflags --libs libpipewire-0.3)
# same_picture LABEL LAYOUT FILE: FILE (unpadded planes in ffmpeg's LAYOUT, or gst-LAYOUT) shows the reference frame.
same_picture() {
    local result outcome=0
    result=$(python3 "$repo/Tests/e2e/compare-yuv.py" "$width" "$height" "$work/reference.yuv" "$2" "$3" 2>&1) || outcome=$?
    check "$size $1: $result" test "$outcome" -eq 0
}
for size in 160x121 426x240 640x360 722x405 852x480 854x480 1366x768 1920x1080; do
    width=${size%x*} height=${size#*x}
    matte_log=$logs/layout-$size.log
    "$matte" --input "$photo" --fps 12 --output pipewire --output-size "$size" --always-on --background '#00c000' \
        >"$matte_log" 2>&1 &
    matte_pid=$!
    wait_log "$matte_log" "first person mask ready" 30 >/dev/null
    [ "$size" = 160x121 ] && check "a picture as --input repeats at --fps" grep -q "(looped, 512x512 at 12 fps)" "$matte_log"
    offered=$(pw-cli enum-params "$(node_id)" EnumFormat | sed -n 's/.*Spa:Enum:VideoFormat:\([A-Z0-9]*\).*/\1/p' | xargs)
    # GStreamer's rule: I420 rows of the width and chroma rows of half of it are unpadded at multiples of 8.
    expected="YUY2$([ $((width % 4)) = 0 ] && echo " NV12")$([ $((width % 8)) = 0 ] && echo " I420")"
    check "$size: the formats offered are those every consumer lays out alike ($offered)" \
        test "$(echo "$offered" | tr ' ' '\n' | sort | xargs)" = "$(echo "$expected" | tr ' ' '\n' | sort | xargs)"
    # A still photo: once the mask has settled (the frames skipped), every frame is the same picture.
    rm -f "$work"/*.yuv
    timeout 30 gst-launch-1.0 -q pipewiresrc path="$(node_id)" num-buffers=15 ! video/x-raw,format=YUY2 \
        ! multifilesink location="$work/yuy2-%02d.yuv" >/dev/null 2>&1
    mv "$work/yuy2-14.yuv" "$work/reference.yuv"
    for format in $offered; do
        [ "$format" = YUY2 ] && continue
        name=$(echo "$format" | tr '[:upper:]' '[:lower:]')
        layout=$([ "$format" = I420 ] && echo yuv420p || echo nv12)
        for mode in unpadded chunk; do
            "$work/pw-reader" "$(node_id)" "$name" "$width" "$height" "$mode" 14 "$work/$mode.yuv" \
                2>>"$logs/pw-reader.log"
            same_picture "$format read with $mode rows" "$layout" "$work/$mode.yuv"
        done
        # pipewiresrc hands on the buffer's bytes (chunk offset and size) as they are, for GStreamer to read in its
        # default layout. (Its videoconvert cannot take I420 of odd heights to YUY2: "code not implemented".)
        timeout 30 gst-launch-1.0 -q pipewiresrc path="$(node_id)" num-buffers=15 ! "video/x-raw,format=$format" \
            ! multifilesink location="$work/gst-%02d.yuv" >/dev/null 2>&1
        same_picture "$format read by GStreamer (its default layout)" "gst-$layout" "$work/gst-14.yuv"
    done
    # What a consumer that takes any format gets (Chromium prefers I420, then NV12, then YUY2): YUY2 where the others
    # are not offered, read the same by all.
    "$work/pw-reader" "$(node_id)" yuy2 "$width" "$height" unpadded 14 "$work/unpadded.yuv" 2>>"$logs/pw-reader.log"
    same_picture "YUY2 read with unpadded rows" yuyv422 "$work/unpadded.yuv"
    kill -TERM "$matte_pid"
    wait "$matte_pid" 2>/dev/null
    matte_pid=""
done
matte_log=$logs/matte.log

# ---- 8. the cost of the PipeWire output per frame (a measurement, not a check) -------------------------------------------
# 1280x720, always on, 20 s each: matte's CPU per frame with nobody consuming (each frame dropped before any copy)
# against a consumer taking YUY2 and I420, the daemon's and the consumer's CPU per frame, and matte's capture → write
# latency. CPU times are the kernel's (/proc/PID/stat, 10 ms ticks).
measure() {  # measure LABEL [FORMAT]
    "$matte" --input "$repo/Tests/Fixtures/astronaut-1280x720.png" --output pipewire --always-on \
        --background blur >"$logs/cost.log" 2>&1 &
    matte_pid=$!
    wait_log "$logs/cost.log" "first person mask ready" 30 >/dev/null
    local consumer=$matte_pid
    if [ -n "${2:-}" ]; then
        gst-launch-1.0 -q pipewiresrc path="$(node_id "$logs/cost.log")" ! "video/x-raw,format=$2" ! fakesink \
            >"$logs/cost-consumer.log" 2>&1 &
        consumer=$!
    fi
    sleep 3
    local m0 d0 g0 m1 d1 g1 frames
    m0=$(cpu_ms "$matte_pid") d0=$(cpu_ms "$pipewire_pid") g0=$(cpu_ms "$consumer")
    sleep 20
    m1=$(cpu_ms "$matte_pid") d1=$(cpu_ms "$pipewire_pid") g1=$(cpu_ms "$consumer")
    # Frames processed: with no consumer none goes out.
    frames=$(status_field "s['rates']['in'] * 20")
    [ -n "${2:-}" ] || g1=$g0
    printf 'pipewire: cost, %s: matte %.2f ms CPU per frame, daemon %.3f ms, consumer %.3f ms; %.1f fps processed; latency p50 %s ms, p99 %s ms\n' \
        "$1" "$(echo "($m1 - $m0) / $frames" | bc -l)" "$(echo "($d1 - $d0) / $frames" | bc -l)" \
        "$(echo "($g1 - $g0) / $frames" | bc -l)" "$(echo "$frames / 20" | bc -l)" \
        "$(status_field "round(s['latency_ms']['p50'], 2)")" "$(status_field "round(s['latency_ms']['p99'], 2)")"
    if [ -n "${2:-}" ]; then
        kill -KILL "$consumer" 2>/dev/null || echo "pipewire: cost, $1: the consumer had ended: $(tail -n 1 "$logs/cost-consumer.log")"
    fi
    kill -TERM "$matte_pid"
    wait "$matte_pid" 2>/dev/null
    matte_pid=""
}
measure "no consumer"
measure "YUY2 consumer" YUY2
measure "I420 consumer" I420
summary
