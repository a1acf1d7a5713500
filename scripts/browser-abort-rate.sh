#!/usr/bin/env bash
# How often libwebrtc aborts when a browser connects to a PipeWire camera (a measurement, not a test):
#     scripts/browser-abort-rate.sh [--runs N] [--browsers "chromium firefox"] [--producers "matte gst-I420"]
#                                   [--size WxH] [MATTE_BINARY]
# Both browsers' PipeWire capture (libwebrtc's video_capture_pipewire.cc) sometimes dies a few ms after the stream
# connects: "Check failed: !race_checker<LINE>.RaceDetected()". This counts it per producer and browser: each run
# is a fresh browser (Tests/e2e/browser-lib.sh's set-up: private PipeWire, WirePlumber, the portal) whose page
# opens the camera once and sends one frame, from a fresh producer: `matte` (MATTE_BINARY on the fixture photo,
# default .build/release/matte) or `gst-FORMAT` (GStreamer's videotestsrc into pipewiresink with the same node
# properties, in FORMAT: I420, YUY2, ...), the control (one per connect: 0.3.65's pipewiresink serves no second
# consumer). Runs are interleaved, so every producer meets the same load. Prints one line per producer and
# browser: runs, aborts, frames; with --keep, the logs stay.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=30 browsers="chromium firefox" producers="matte gst-I420" size=640x360 keep=0
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --browsers) browsers=$2; shift 2 ;;
    --producers) producers=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "browser-abort-rate: unknown option $1" >&2; exit 64 ;;
    *) break ;;
    esac
done
matte_source=$(realpath "${1:-$repo/.build/release/matte}")
if [ -z "${MATTE_BROWSERS_SESSION:-}" ]; then
    MATTE_BROWSERS_SESSION=1 exec dbus-run-session -- "$0" "${args[@]}" \
        2> >(grep -v -e "Failed to set fd limit" -e "^dbus-daemon\[" -e "Ignoring invalid max threads value" >&2)
fi
# shellcheck source=Tests/e2e/browser-lib.sh
. "$repo/Tests/e2e/browser-lib.sh"
work=$(mktemp -d)
browser_env "$work"
logs=$bl_logs page=$bl_work/page
producer_pid=""
cleanup() {
    stop_producer
    bl_cleanup
    if [ "$keep" = 1 ]; then echo "browser-abort-rate: logs in $logs"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cp "$matte_source" "$work/matte"
width=${size%x*} height=${size#*x}

start_producer() {
    local log=$logs/producer-$1-$browser-$run.log
    case $1 in
    matte)
        "${matte_env[@]}" "$work/matte" --input "$repo/Tests/Fixtures/astronaut-1280x720.png" --output pipewire \
            --output-size "$size" --background '#00c000' >"$log" 2>&1 &
        ;;
    gst-*)
        gst-launch-1.0 videotestsrc is-live=true \
            ! "video/x-raw,format=${1#gst-},width=$width,height=$height,framerate=25/1" \
            ! pipewiresink mode=provide \
            stream-properties="props,media.class=Video/Source,node.description=Matte,media.role=Camera" >"$log" 2>&1 &
        ;;
    *) echo "unknown producer $1" >&2; return 1 ;;
    esac
    producer_pid=$!
    local deadline=$((SECONDS + 30))
    until pw-cli ls Node 2>/dev/null | grep -q 'node.description = "Matte"'; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "producer $1 published no node" >&2; return 1; }
        sleep 0.2
    done
    sleep 0.5
}
stop_producer() {
    [ -n "$producer_pid" ] || return 0
    kill -TERM "$producer_pid" 2>/dev/null
    wait "$producer_pid" 2>/dev/null
    producer_pid=""
    local deadline=$((SECONDS + 10))
    while pw-cli ls Node 2>/dev/null | grep -q 'node.description = "Matte"'; do
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
    done
}

start_daemons "$bl_logs" || { echo "browser-abort-rate: PipeWire did not start" >&2; exit 1; }
start_portal >"$logs/setup.txt" 2>&1 || { cat "$logs/setup.txt" >&2; exit 1; }
start_page_server >"$logs/setup.txt" 2>&1 || { cat "$logs/setup.txt" >&2; exit 1; }
echo "browser-abort-rate: $(/usr/lib/chromium/chromium --version 2>/dev/null), $(firefox-esr --version 2>/dev/null)," \
    "xdg-desktop-portal $(dpkg-query -W -f '${Version}' xdg-desktop-portal), $(pipewire --version | tail -n 1);" \
    "$runs runs at $size"
# connect PRODUCER BROWSER RUN: one browser launch whose page opens the camera once; tallies the outcome.
declare -A aborts frames others notes
connect() {
    local producer=$1 browser=$2 run=$3 key="$1, $2" tag log when start
    tag=$producer-$browser-$run
    log=$logs/$tag.log
    browser_start "$browser" \
        "${page_url}?tag=$tag&mode=cycles&w=$width&h=$height&n=1&attempts=1&first_settle=0&gap=0" "$log"
    local deadline=$((SECONDS + 30))
    until grep -q '"kind": "done"' "$page/$tag.events" 2>/dev/null || ! browser_running; do
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
    done
    browser_stop
    if grep -q '"ok": true' "$page/$tag.events" 2>/dev/null; then frames[$key]=$((${frames[$key]:-0} + 1)); fi
    if aborted "$log"; then
        aborts[$key]=$((${aborts[$key]:-0} + 1))
        # Chromium's abort has a time: how long after the page began to open the camera.
        when=$(abort_times "$log" | head -n 1)
        start=$(sed -n 's/.*"kind": "attempt".*"t0": \([0-9.]*\).*/\1/p' "$page/$tag.events" 2>/dev/null | head -n 1)
        [ -n "$when" ] && [ -n "$start" ] && when=" $(echo "($when - $start) * 1000 / 1" | bc) ms into the attempt"
        notes[$key]+="; run $run: $(grep -aoE 'race_checker[0-9]+' "$log" | head -n 1)$when"
    elif ! grep -q '"ok": true' "$page/$tag.events" 2>/dev/null; then
        others[$key]=$((${others[$key]:-0} + 1))
        notes[$key]+="; run $run failed: $(sed -n 's/.*"why": "\([^"]*\)".*/\1/p' "$page/$tag.events" 2>/dev/null | head -n 1)"
    fi
}
# Interleaved (run by run, producer by producer), so that every producer meets the same load on the machine.
for run in $(seq 1 "$runs"); do
    for producer in $producers; do
        for browser in $browsers; do
            start_producer "$producer" || exit 1
            connect "$producer" "$browser" "$run"
            stop_producer
        done
    done
    echo "browser-abort-rate: run $run of $runs done (load $(cut -d ' ' -f 1 /proc/loadavg))" >&2
done
for producer in $producers; do
    for browser in $browsers; do
        key="$producer, $browser"
        echo "browser-abort-rate: $key: $runs runs, ${aborts[$key]:-0} aborted, ${frames[$key]:-0} got a frame," \
            "${others[$key]:-0} failed otherwise${notes[$key]:-}"
    done
done
