#!/usr/bin/env bash
# End-to-end test of Matte's PipeWire camera in real browsers, on the host, headless:
#     Tests/e2e/browsers.sh [MATTE_BINARY]      (default .build/release/matte)
# Chromium (WebRtcPipeWireCamera) and Firefox ESR (media.webrtc.camera.allow-pipewire) open the camera through
# xdg-desktop-portal, as on a desktop, from a page served on 127.0.0.1 (Tests/e2e/browser-page/): a private PipeWire
# daemon, WirePlumber, Xvfb, the portal and its gtk backend, all under a D-Bus session of their own in temporary
# XDG directories (Tests/e2e/browser-lib.sh). matte runs on a photo (one matte per size), the pages send back what
# the browsers get, and Tests/e2e/browser-page/judge.py compares it with a reference of its own (the photo scaled
# by ffmpeg, the person mask of the official TFLite runtime).
# Checks: 1. both browsers list a camera labelled "Matte"; 2. at 640x360, 854x480, 1280x720 and 1920x1080 the
# browser's frame has that size, the background is the colour, the person is the photo, the picture is not sheared;
# 3. on demand: matte idle before a browser, streaming while it reads, idle again after the page stops the track or
# the browser closes; 4. a background changed with `matte ctl` shows in the open page within seconds; 5. 20
# open/close cycles in one page, each with a correct frame, matte and its node still there.
# libwebrtc (in both browsers) sometimes aborts just after a PipeWire stream connects (browser-lib.sh); an attempt
# is retried, twice at most, only when its browser's log shows that exact abort; the aborts are counted.
# Ends with "browsers: N passed, M failed" (and the wall time) and a non-zero status on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
matte_source=$(realpath "${1:-$repo/.build/release/matte}")
if [ -z "${MATTE_BROWSERS_SESSION:-}" ]; then
    # The portal, WirePlumber and the browsers need a session bus; this one ends with the test.
    MATTE_BROWSERS_SESSION=1 exec dbus-run-session -- "$0" "$matte_source" \
        2> >(grep -v -e "Failed to set fd limit" -e "^dbus-daemon\[" -e "Ignoring invalid max threads value" >&2)
fi
started=$EPOCHREALTIME
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=browsers
# check, summary, wait_log, bounded: the VM tests' helpers, which need nothing of the VM.
# shellcheck source=Tests/e2e/guest-lib.sh
. "$repo/Tests/e2e/guest-lib.sh"
# shellcheck source=Tests/e2e/browser-lib.sh
. "$repo/Tests/e2e/browser-lib.sh"

work=$(mktemp -d)
browser_env "$work"
logs=$bl_logs
page=$work/page
# A copy: the binary under test cannot change under a run.
matte=$work/matte
cp "$matte_source" "$matte"
photo=$repo/Tests/Fixtures/astronaut-1280x720.png
mask=$repo/Tests/Fixtures/astronaut-1280x720-landscape-mask-full.f32
judge=(python3 "$repo/Tests/e2e/browser-page/judge.py")
browsers=(chromium firefox)
declare -A aborts=([chromium]=0 [firefox]=0) retried=([chromium]=0 [firefox]=0)

matte_pid=""
cleanup() {
    [ -n "$matte_pid" ] && kill -KILL "$matte_pid" 2>/dev/null
    bl_cleanup
    if [ "${MATTE_KEEP_LOGS:-0}" = 1 ]; then echo "browsers: logs in $logs"; else rm -rf "$work"; fi
}
trap cleanup EXIT

alive() { kill -0 "$matte_pid" 2>/dev/null; }
status_field() { "$matte" ctl status | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
# state_is STATE SECONDS: until `matte ctl status` says STATE.
state_is() {
    local deadline=$((SECONDS + $2)) state
    until state=$(status_field "s['state']" 2>&1) && [ "$state" = "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "state is '$state', not '$1', after $2 s"; return 1; }
        sleep 0.2
    done
}
# node_published: PipeWire (not matte) lists a node described as "Matte" (within 5 s).
node_published() {
    local deadline=$((SECONDS + 5))
    until pw-cli ls Node 2>/dev/null | grep -q 'node.description = "Matte"'; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no node described as \"Matte\" in pw-cli ls Node"; return 1; }
        sleep 0.2
    done
}

# matte_start WxH: one matte for this size, on the photo, the background a colour; waits for its node.
matte_start() {
    matte_log=$logs/matte-$1.log
    "${matte_env[@]}" "$matte" --input "$photo" --output pipewire --output-size "$1" --background '#00c000' \
        >"$matte_log" 2>&1 &
    matte_pid=$!
    wait_log "$matte_log" 'camera node [0-9]* ("Matte") published' 30 >/dev/null
}
matte_stop() {
    [ -n "$matte_pid" ] || return 0
    stop_pid "$matte_pid" 20
    matte_pid=""
}

# ---- attempts: a case's checks are recorded, and reported once the case is over ---------------------------------------
# expect MESSAGE COMMAND...: as check, for the current attempt.
# While the browser should be running and is not (Firefox died), or once the page got no camera (attempt_dead=1),
# fails at once.
expect() {
    local message=$1 out status; shift
    if [ -n "$browser_pid" ] && ! browser_running; then
        out="the browser is gone (see $(basename "$browser_log"))" status=1
    elif [ "$attempt_dead" = 1 ]; then
        out="not run: the page got no camera" status=1
    else
        out=$(bounded 120 "$@" 2>&1)
        status=$?
    fi
    attempt_messages+=("$message") attempt_status+=("$status") attempt_outputs+=("$out")
}
# attempt_failed: a check of this attempt failed.
attempt_failed() { local s; for s in "${attempt_status[@]}"; do [ "$s" = 0 ] || return 0; done; return 1; }
# run_case BROWSER NAME FUNCTION ARGS...: FUNCTION runs one attempt (it starts the browser with browser_start on
# $url_base's page and $browser_log; browser_stop ends it after). A failed attempt is tried again, twice at most,
# only when the browser's log for that attempt shows libwebrtc's abort; otherwise its checks are reported as they
# are.
run_case() {
    local browser=$1 name=$2 function=$3 attempt count i; shift 3
    for attempt in 1 2 3; do
        attempt_messages=() attempt_status=() attempt_outputs=() attempt_dead=0
        tag=$browser-$name-$attempt
        browser_log=$logs/$tag.log
        url_base="${page_url}?tag=$tag"
        "$function" "$browser" "$@"
        browser_stop
        count=$(abort_count "$browser_log")
        aborts[$browser]=$((aborts[$browser] + count))
        if attempt_failed && [ "$count" -gt 0 ] && [ "$attempt" -lt 3 ]; then
            echo "browsers: $browser $name: libwebrtc's abort in attempt $attempt ($(basename "$browser_log")); trying again"
            retried[$browser]=$((retried[$browser] + 1))
            continue
        fi
        for i in "${!attempt_messages[@]}"; do
            if [ "${attempt_status[i]}" = 0 ]; then
                pass "${attempt_messages[i]}"
            else
                fail "${attempt_messages[i]}"
                printf '%s\n' "${attempt_outputs[i]}" | tail -n 20 | sed 's/^/    /'
            fi
        done
        attempt_failed && [ "$count" -gt 0 ] && echo "    (libwebrtc's abort was in the log of all 3 attempts)"
        return
    done
}

# ---- the page ----------------------------------------------------------------------------------------------------------
# event_wait TAG KIND SECONDS: until the page TAG reports an event of KIND; fails at once when the browser is gone.
event_wait() {
    local deadline=$((SECONDS + $3))
    until grep -q "\"kind\": \"$2\"" "$page/$1.events" 2>/dev/null; do
        ! grep -q '"kind": "error"' "$page/$1.events" 2>/dev/null || { grep '"kind": "error"' "$page/$1.events"; return 1; }
        browser_running || { echo "the browser exited before the page said '$2'"; tail -n 5 "$browser_log"; return 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "no '$2' from the page after $3 s"; tail -n 3 "$page/$1.events" 2>/dev/null; return 1; }
        sleep 0.1
    done
    ! grep -q '"kind": "error"' "$page/$1.events" || { grep '"kind": "error"' "$page/$1.events"; return 1; }
}
# event_field TAG KIND EXPRESSION: EXPRESSION of `e`, the last event of KIND from page TAG.
event_field() {
    python3 -c '
import json, sys
e = [e for e in map(json.loads, open(sys.argv[1])) if e.get("kind") == sys.argv[2]][-1]
print(eval(sys.argv[3]))' "$page/$1.events" "$2" "$3"
}
# frames_wait SIZE COLOUR SINCE SECONDS: judge.py --wait on this attempt's frames (a correct frame after SINCE, and the
# next one correct too).
frames_wait() {
    "${judge[@]}" "$1" "$photo" "$mask" "$2" --wait "$page/$tag.events" "$3" "$4" "${browser_pid:-0}"
}
eq() { [ "$1" = "$2" ] || { echo "'$1' is not '$2'"; return 1; }; }

# stream_case BROWSER WxH ENDING [COLOUR]: one browser reads the camera at WxH: label, settings, frames judged, rate;
# with COLOUR, the background is changed to it with matte ctl while the page reads. ENDING: `stop` (the page stops
# the track, the tab stays open) or `close` (the browser exits).
stream_case() {
    local browser=$1 size=$2 ending=$3 colour=${4:-} width height every=400 t0 since
    width=${size%x*} height=${size#*x}
    [ -n "$colour" ] && every=200
    expect "$browser $size: before it opens the camera, matte is idle" state_is idle 10
    browser_start "$browser" "$url_base&mode=stream&w=$width&h=$height&every=$every" "$browser_log"
    expect "$browser $size: getUserMedia gives a track" event_wait "$tag" opened 40
    [ "${attempt_status[-1]}" = 0 ] || attempt_dead=1
    if [ "$size" = 640x360 ]; then
        expect "$browser: the track is labelled \"Matte\"" eq "$(event_field "$tag" opened "e['label']" 2>&1)" Matte
        expect "$browser: enumerateDevices lists a camera \"Matte\"" \
            eq "$(event_field "$tag" opened "'Matte' in e['devices']" 2>&1)" True
    fi
    expect "$browser $size: the track's settings say $width x $height" \
        eq "$(event_field "$tag" opened "'%s x %s' % (e['settings'].get('width'), e['settings'].get('height'))" 2>&1)" \
        "$width x $height"
    echo "browsers: $browser $size: $(event_field "$tag" opened \
        "'getUserMedia %.0f ms, settings %s' % (e['gum'] * 1000, {k: v for k, v in e['settings'].items() if k in ('width', 'height', 'frameRate', 'resizeMode')})" 2>&1)"
    expect "$browser $size: while the browser reads, matte streams" state_is live 10
    t0=$(event_field "$tag" opened "e['t0']" 2>/dev/null || echo "$EPOCHREALTIME")
    # From 2 s after getUserMedia: matte opened its source and has its first person masks by then.
    since=$(echo "$t0 + 2" | bc)
    expect "$browser $size: the frame: ${size}, background replaced, person kept, not sheared" \
        frames_wait "$size" 0,192,0 "$since" 12
    local fps
    fps=$(python3 -c '
import json, sys
e = [e for e in map(json.loads, open(sys.argv[1])) if "frame" in e][-1]
print("%.1f" % float(e["fps"]))' "$page/$tag.events" 2>/dev/null || echo 0)
    echo "browsers: $browser $size: $fps frames a second presented"
    expect "$browser $size: frames keep coming ($fps a second presented, at least 5)" le 5 "$fps"
    if [ -n "$colour" ]; then
        local rgb
        IFS=, read -r -a rgb <<<"$colour"
        "$matte" ctl background "#$(printf '%02x%02x%02x' "${rgb[@]}")" >>"$logs/ctl.log" 2>&1
        since=$EPOCHREALTIME
        expect "$browser $size: a background changed with matte ctl shows in the open page within 3 s" \
            frames_wait "$size" "$colour" "$since" 3
        "$matte" ctl background '#00c000' >>"$logs/ctl.log" 2>&1
    fi
    if [ "$ending" = stop ]; then
        echo '{"stop": true}' >"$page/$tag.cmd"
        expect "$browser $size: the page stops the track" event_wait "$tag" stopped 10
        expect "$browser $size: after the page stops the track (the tab open), matte is idle again" state_is idle 10
    else
        browser_stop
        expect "$browser $size: after the browser closes, matte is idle again" state_is idle 10
    fi
}

# cycles BROWSER COUNT: COUNT open/close cycles in one page; a launch that dies with libwebrtc's abort is started
# again from the cycle it was in. Accounted by cycles.py, each cycle's frame judged.
cycles() {
    local browser=$1 count=$2 from=1 launch=0 launches=$work/$1-launches cycle out
    : >"$launches"
    while [ "$launch" -lt 5 ]; do
        launch=$((launch + 1))
        tag=$browser-cycles-$launch
        browser_log=$logs/$tag.log
        browser_start "$browser" "${page_url}?tag=$tag&mode=cycles&w=640&h=360&n=$count&from=$from&gap=300" \
            "$browser_log"
        out=$(bounded 200 event_wait "$tag" "done" 180)
        local died=0
        if ! grep -q '"kind": "done"' "$page/$tag.events" 2>/dev/null && ! browser_running \
            && aborted "$browser_log"; then
            died=1
        fi
        browser_stop
        abort_times "$browser_log" >"$browser_log.aborts"
        aborts[$browser]=$((aborts[$browser] + $(abort_count "$browser_log")))
        echo "$page/$tag.events $browser_log.aborts $died" >>"$launches"
        # Done, or a failure that is not the abort (cycles.py reports it).
        [ "$died" = 1 ] || { grep -q '"kind": "done"' "$page/$tag.events" 2>/dev/null || echo "$out"; break; }
        retried[$browser]=$((retried[$browser] + 1))
        cycle=$(grep '"kind": "attempt"' "$page/$tag.events" 2>/dev/null | tail -n 1 \
            | python3 -c 'import json, sys; print(json.loads(sys.stdin.read() or "{}").get("cycle", 1))')
        echo "browsers: $browser cycles: died with libwebrtc's abort in cycle $cycle; starting it again from there"
        from=$cycle
    done
    python3 "$repo/Tests/e2e/browser-page/cycles.py" "$count" "$launches" >"$work/$browser-cycles.txt"
    local accounted=$?
    check "$browser: $count open/close cycles in one page, each with a 640x360 frame (retries only after the abort)" \
        bash -c "grep -v '^frame ' '$work/$browser-cycles.txt'; exit $accounted"
    grep '^retries' "$work/$browser-cycles.txt" | sed "s/^/browsers: $browser cycles: /"
    mapfile -t frames < <(sed -n 's/^frame //p' "$work/$browser-cycles.txt")
    check "$browser: every cycle's frame is correct (${#frames[@]} judged)" \
        "${judge[@]}" 640x360 "$photo" "$mask" 0,192,0 "${frames[@]}"
    check "$browser: after the cycles matte still runs" alive
    check "$browser: and PipeWire still lists its node" node_published
}

# ---- set-up --------------------------------------------------------------------------------------------------------------
echo "browsers: $(/usr/lib/chromium/chromium --version 2>/dev/null), $(firefox-esr --version 2>/dev/null)," \
    "xdg-desktop-portal $(dpkg-query -W -f '${Version}' xdg-desktop-portal 2>/dev/null)," \
    "$(pipewire --version | tail -n 1), $matte_source"
start_daemons "$logs" || { fail "the private PipeWire daemon starts"; summary; exit; }
start_portal >"$logs/setup.txt" 2>&1 || { fail "xdg-desktop-portal starts: $(cat "$logs/setup.txt")"; summary; exit; }
start_page_server >"$logs/setup.txt" 2>&1 || { fail "the page server starts: $(cat "$logs/setup.txt")"; summary; exit; }

for size in 640x360 854x480 1280x720 1920x1080; do
    matte_start "$size"
    check "$size: matte publishes its node, and PipeWire lists it" node_published
    check "$size: before any browser, matte says it is idle" wait_log "$matte_log" "idle: no application is reading" 10
    for browser in "${browsers[@]}"; do
        case $size in
        640x360) run_case "$browser" "$size" stream_case "$size" stop 192,0,0 ;;
        854x480 | 1920x1080) run_case "$browser" "$size" stream_case "$size" close ;;
        *) run_case "$browser" "$size" stream_case "$size" stop ;;
        esac
    done
    if [ "$size" = 640x360 ]; then
        for browser in "${browsers[@]}"; do cycles "$browser" 20; done
    fi
    check "$size: matte still runs" alive
    matte_stop
    status=$?
    check "$size: matte stops on SIGTERM (status $status)" test "$status" -eq 0
done

for browser in "${browsers[@]}"; do
    echo "browsers: $browser: libwebrtc's abort seen ${aborts[$browser]} times, ${retried[$browser]} attempts tried again"
done
echo "browsers: wall time $(printf '%.0f' "$(echo "$EPOCHREALTIME - $started" | bc)") s"
summary
