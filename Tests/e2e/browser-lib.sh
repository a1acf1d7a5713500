# shellcheck shell=bash disable=SC2034  # matte_env, page_url and the like are read by the scripts that source this
# Real browsers reading a PipeWire camera through xdg-desktop-portal, headless, nothing of the desktop's touched
# (source it from a script already running under dbus-run-session: Tests/e2e/browsers.sh,
# scripts/browser-abort-rate.sh). Needs chromium, firefox-esr, xdg-desktop-portal, xdg-desktop-portal-gtk, xvfb,
# xauth, libglib2.0-bin (gdbus), pipewire, wireplumber.
#
# browser_env DIR: a private XDG_RUNTIME_DIR, XDG_DATA_HOME (the portal's permission store), XDG_CONFIG_HOME and
#   XDG_CACHE_HOME under DIR, given to D-Bus-activated services too; sets bl_work, bl_logs and bl_data_home (the
#   caller's XDG_DATA_HOME, where matte finds its models: run matte under "${matte_env[@]}").
# start_daemons LOGDIR / stop_daemons (Tests/e2e/pipewire-lib.sh): pipewire, then wireplumber (it links consumers to
#   the node and, with its stock access script, hands camera nodes to the portal's unsandboxed clients).
# start_portal: Xvfb on a free display, xdg-desktop-portal-gtk on it (started by hand: D-Bus activation gives it no
#   DISPLAY), the permission store seeded with camera = yes (1.16 asks even unsandboxed apps), xdg-desktop-portal.
# start_page_server: Tests/e2e/browser-page/server.py writing to $bl_work/page; sets page_url.
# browser_start chromium|firefox URL LOG: one browser on URL, output to LOG; sets browser_pid.
# browser_stop: ends it (SIGTERM, then SIGKILL) and waits.
# aborted LOG: LOG shows libwebrtc's known abort when a PipeWire stream connects (below).
# bl_cleanup: stops everything started here (call it from the EXIT trap).

# libwebrtc's PipeWire capture (video_capture_pipewire.cc, in Chromium and Firefox alike) sometimes aborts just
# after a stream connects: "Check failed: !race_checker301.RaceDetected()" (line 301 in Chromium 156 and Firefox
# 153). Chromium's capture service dies (getUserMedia fails with NotReadableError, or the track shows 2x2 black
# frames), Firefox dies. It happens with GStreamer's pipewiresink as the camera too (scripts/browser-abort-rate.sh:
# about 1 connect in 40 to 100 on 2 busy cores). Only this exact signature may excuse a retry.
aborted() {
    grep -aq 'video_capture_pipewire\.cc' "$1" 2>/dev/null \
        && grep -aqE 'Check failed: !race_checker[0-9]*\.RaceDetected\(\)' "$1"
}
# abort_count LOG: how many times the abort is in LOG.
abort_count() {
    if grep -aq 'video_capture_pipewire\.cc' "$1" 2>/dev/null; then
        grep -acE 'Check failed: !race_checker[0-9]*\.RaceDetected\(\)' "$1"
    else
        echo 0
    fi
}
# abort_times LOG: the wall-clock times (seconds) of Chromium's aborts in LOG, one a line. Chromium logs
#   [PID:TID:MMDD/HHMMSS.UUUUUU:FATAL:third_party/webrtc/.../video_capture_pipewire.cc:LINE]
#   # Fatal error in: ../../third_party/webrtc/.../video_capture_pipewire.cc, line LINE
#   # last system error: N
#   # Check failed: !race_checkerLINE.RaceDetected()
# (Firefox's lines have no time.)
abort_times() {
    local stamp
    awk '/^\[[0-9]+:[0-9]+:[0-9]+\/[0-9]+\.[0-9]+:FATAL:/ && /video_capture_pipewire\.cc/ {
             split($0, f, ":"); stamp = f[3]; lines = 0; next }
         stamp != "" && /Check failed: !race_checker[0-9]*\.RaceDetected\(\)/ { print stamp; stamp = "" }
         stamp != "" && ++lines > 8 { stamp = "" }' "$1" 2>/dev/null \
        | while IFS= read -r stamp; do
            # MMDD/HHMMSS.UUUUUU, local time, this year.
            echo "$(date -d "$(date +%Y)-${stamp:0:2}-${stamp:2:2} ${stamp:5:2}:${stamp:7:2}:${stamp:9:2}" +%s).${stamp:12}"
        done
}

bl_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bl_pids=()
browser_pid=""
matte_env=() page_url=""

browser_env() {
    bl_work=$1
    bl_logs=$bl_work/logs
    bl_data_home=${XDG_DATA_HOME:-}
    mkdir -p "$bl_logs" "$bl_work/runtime" "$bl_work/data" "$bl_work/config/matte" "$bl_work/cache" "$bl_work/page"
    chmod 700 "$bl_work/runtime"
    export XDG_RUNTIME_DIR=$bl_work/runtime XDG_DATA_HOME=$bl_work/data XDG_CONFIG_HOME=$bl_work/config \
        XDG_CACHE_HOME=$bl_work/cache XDG_CURRENT_DESKTOP=GNOME
    unset PIPEWIRE_REMOTE PIPEWIRE_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY
    # matte finds its models under the caller's XDG_DATA_HOME (or ~/.local/share).
    if [ -n "$bl_data_home" ]; then matte_env=(env XDG_DATA_HOME="$bl_data_home"); else matte_env=(env -u XDG_DATA_HOME); fi
    # The session bus was started before these were set: services it activates (the permission store) get them now.
    dbus-update-activation-environment XDG_RUNTIME_DIR XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_CURRENT_DESKTOP
}

# shellcheck source=Tests/e2e/pipewire-lib.sh
. "$bl_repo/Tests/e2e/pipewire-lib.sh"

# bus_has NAME: NAME has an owner on the session bus.
bus_has() {
    gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}
# wait_bus NAME [SECONDS]
wait_bus() {
    local deadline=$((SECONDS + ${2:-10}))
    until bus_has "$1"; do [ "$SECONDS" -lt "$deadline" ] || { echo "$1 is not on the bus after ${2:-10} s"; return 1; }; sleep 0.1; done
}

start_portal() {
    local display_file=$bl_work/display
    Xvfb -displayfd 3 -nolisten tcp -screen 0 640x480x24 3>"$display_file" >>"$bl_logs/xvfb.log" 2>&1 &
    bl_pids+=($!)
    local deadline=$((SECONDS + 10))
    until [ -s "$display_file" ]; do [ "$SECONDS" -lt "$deadline" ] || { echo "Xvfb gave no display"; return 1; }; sleep 0.1; done
    bl_display=:$(head -n 1 "$display_file")
    DISPLAY=$bl_display NO_AT_BRIDGE=1 GTK_A11Y=none /usr/libexec/xdg-desktop-portal-gtk >>"$bl_logs/portal-gtk.log" 2>&1 &
    bl_pids+=($!)
    wait_bus org.freedesktop.impl.portal.desktop.gtk || return 1
    gdbus call --session --dest org.freedesktop.impl.portal.PermissionStore \
        --object-path /org/freedesktop/impl/portal/PermissionStore \
        --method org.freedesktop.impl.portal.PermissionStore.SetPermission devices true camera "" "['yes']" \
        >>"$bl_logs/portal.log" 2>&1 || return 1
    /usr/libexec/xdg-desktop-portal -r >>"$bl_logs/portal.log" 2>&1 &
    bl_pids+=($!)
    wait_bus org.freedesktop.portal.Desktop
}

start_page_server() {
    python3 "$bl_repo/Tests/e2e/browser-page/server.py" "$bl_work/page" 2>>"$bl_logs/server.log" &
    bl_pids+=($!)
    local deadline=$((SECONDS + 10))
    until [ -s "$bl_work/page/port" ]; do [ "$SECONDS" -lt "$deadline" ] || { echo "the page server did not start"; return 1; }; sleep 0.1; done
    page_url=http://127.0.0.1:$(<"$bl_work/page/port")/
}

bl_profiles=0 bl_wrapper=""
browser_start() {
    local kind=$1 url=$2 log=$3 profile command
    bl_profiles=$((bl_profiles + 1))
    profile=$bl_work/profile-$kind-$bl_profiles
    mkdir -p "$profile"
    case $kind in
    chromium)
        command=(/usr/lib/chromium/chromium --headless=new --no-sandbox --user-data-dir="$profile"
            --enable-features=WebRtcPipeWireCamera --use-fake-ui-for-media-stream
            --no-first-run --disable-background-networking --disable-component-update --disable-sync
            --autoplay-policy=no-user-gesture-required "$url")
        ;;
    firefox)
        cat >"$profile/user.js" <<'EOF2'
user_pref("media.webrtc.camera.allow-pipewire", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.autoplay.default", 0);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
EOF2
        # No crash reporter (it wants a display): an abort shows in the log, which is what counts.
        command=(env MOZ_CRASHREPORTER_DISABLE=1 firefox-esr --headless --no-remote --profile "$profile" "$url")
        ;;
    *) echo "browser_start: unknown browser $kind"; return 2 ;;
    esac
    # In a process group of its own (setsid), so browser_stop ends all of its processes; under a subshell that
    # waits for it, so a browser dying of a signal (Firefox's abort) is reported there, to /dev/null, not by the
    # script's shell on its stderr.
    rm -f "$bl_work/browser.pid"
    ( setsid "${command[@]}" >"$log" 2>&1 & echo $! >"$bl_work/browser.pid"; wait ) 2>/dev/null &
    bl_wrapper=$!
    local deadline=$((SECONDS + 10))
    until [ -s "$bl_work/browser.pid" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.01; done
    browser_pid=$(<"$bl_work/browser.pid")
}
browser_running() { [ -n "$browser_pid" ] && kill -0 "$browser_pid" 2>/dev/null; }
# browser_stop: the browser and every process it started.
browser_stop() {
    [ -n "$browser_pid" ] || return 0
    local pid=$browser_pid kids
    browser_pid=""
    kids=$(bl_descendants "$pid")
    kill -TERM -- -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    # shellcheck disable=SC2086  # pids
    kill -KILL -- -"$pid" $kids 2>/dev/null
    wait "$bl_wrapper" 2>/dev/null
    return 0
}
# bl_descendants PID: every process under PID.
bl_descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$child"; bl_descendants "$child"; done
}

# bus_pid NAME: the process that owns NAME on the session bus.
bus_pid() {
    gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID "$1" 2>/dev/null | sed -n 's/^(uint32 \([0-9]*\),)$/\1/p'
}

bl_cleanup() {
    browser_stop
    local pid name activated=()
    # The services the bus started for the portal: the document portal holds a FUSE mount in XDG_RUNTIME_DIR/doc
    # (which would keep the directory from being removed) until it stops.
    for name in org.freedesktop.portal.Documents org.freedesktop.impl.portal.PermissionStore; do
        pid=$(bus_pid "$name")
        [ -n "$pid" ] && activated+=("$pid")
    done
    for pid in "${bl_pids[@]}" "${activated[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    stop_daemons
    for pid in "${bl_pids[@]}"; do wait "$pid" 2>/dev/null; done
    local deadline=$((SECONDS + 5))
    for pid in "${activated[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    done
    if mountpoint -q "$XDG_RUNTIME_DIR/doc" 2>/dev/null; then
        fusermount3 -u "$XDG_RUNTIME_DIR/doc" 2>/dev/null || fusermount -u "$XDG_RUNTIME_DIR/doc" 2>/dev/null
    fi
    return 0
}
