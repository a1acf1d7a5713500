#!/usr/bin/env bash
# Soak test of `matte` (live) with real kernel drivers, run inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 --timeout $((SECONDS_ + 400)) [--loopback 0.12|0.15] Tests/e2e/soak.sh \
#         [SECONDS_ [MATTE_BINARY [FPS]]]
# SECONDS_ (default 600) is the measured period, after a warm-up of ~100 s (matte's start-up and two cycles of the
# events below). MATTE_BINARY defaults to .build/release/matte; FPS (default 4) is the camera's rate, see below.
# Throughout, one call app (v4l2-ctl, mmap streaming) reads the virtual camera without a break and records when each
# frame arrives, while in turn (a cycle: unplug, reload, reload, unplug, reload, reload; 4 s of plain streaming
# before each event):
#   - the webcam is unplugged and comes back: vivid's "disconnect" control (a simulated USB unplug), module
#     unload (camera_pull in guest-lib.sh), a second later module reload;
#   - the settings file changes and matte gets SIGHUP: a blur with an effect; a picture with a foreground; a looping
#     video, mirrored; back to the start-up colour.
# Checks: every unplug and reload is noticed; no gap between two frames reaching the reader is longer than 3 frame
# intervals, placeholders included while the camera is away (reloads that read a picture or a video are checked
# on their own: they run on matte's output thread); frames keep >= 70 % of the camera's rate (apart from file
# reloads); matte's RSS is flat after the warm-up (growth < 2 MB, or < 5 %); the reader and matte run throughout
# and matte stops cleanly.
# Figures: "soak: ..." lines on the console; in $MATTE_RESULTS/soak/: frames.txt (arrival time and sequence of every
# frame), events.txt (when each event began and ended), file-reloads.txt (their windows), rss.txt (time, RSS in kB,
# every 5 s and at each cycle's start), matte.log, and unplug-stuck.txt (matte's threads, if vivid stayed in use).
#
# The rate. Under TCG (the VM emulates the CPU) Matte's float code runs ~100-300x slower than on the host. Measured
# here (2 emulated CPUs on a 2-core host that was also building and testing, load 3-7; compositing 60-130 ms a
# frame, inference 0.75-1.2 s): at 10 fps matte put out 6.6 fps with gaps to 0.43 s, over that rate's 0.3 s
# limit. At 5 fps it put out 4.3-5.0 fps while streaming, but in three 600 s runs the longest gaps apart from file
# reloads were 0.59, 0.75 and 0.63 s (of ~2,400 gaps each, 2-20 were over 0.5 s): at the 0.6 s limit when the host
# is busy. At 4 fps (250 ms a frame; the default) it put out 3.76 fps apart from file reloads and the longest such
# gap in 600 s was 0.64 s (3 of ~2,000 over 0.6 s, none over 0.75 s). So the longest allowed gap is
# 3 x 250 ms = 750 ms. The host runs 30 fps with room to spare (`matte bench pipeline`).
# Ends with "soak: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "soak: error: run me inside the VM: Tests/e2e/run-in-vm.sh --cpus 2 Tests/e2e/soak.sh [SECONDS]" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=soak
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

duration=${1:-600}
matte=${2:-$MATTE_REPO/.build/release/matte}
fps=${3:-4}
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || { echo "soak: error: the duration must be a whole number of seconds, not '$duration'" >&2; exit 2; }
[[ "$fps" =~ ^[1-9][0-9]?$ ]] || { echo "soak: error: the frame rate must be a whole number from 1 to 99, not '$fps'" >&2; exit 2; }
camera=/dev/video0
virtual=/dev/video20
width=320 height=180
max_gap=$(echo "3 / $fps" | bc -l)       # 3 frame intervals
pause=4                                  # seconds of plain streaming between two events
logs=$MATTE_RESULTS/soak
work=$(mktemp -d)
mkdir -p "$logs"
log=$logs/matte.log
frames=$logs/frames.txt
events=$logs/events.txt
rss_file=$logs/rss.txt
: >"$events"; : >"$rss_file"
now() { echo "$EPOCHREALTIME"; }
echo "soak: v4l2loopback $MATTE_LOOPBACK_VERSION, $(nproc) CPUs, ${duration} s measured, camera ${width}x${height} at $fps fps, longest gap allowed $(printf %.3f "$max_gap") s, $matte"

# ---- what the reloads switch between -------------------------------------------------------------------------------
clip=$work/clip.mp4
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "testsrc2=size=${width}x${height}:rate=$fps" -t 2 \
    -c:v mpeg4 -q:v 5 "$clip"
settings_variants=(
    "--background #00c000"
    "--background blur:40
--effect hologram"
    "--background $MATTE_REPO/Tests/Fixtures/astronaut.jpg
--fit contain
--foreground $MATTE_REPO/Tests/Fixtures/astronaut.png
--foreground-opacity 0.3"
    "--background $clip
--mirror"
)
settings=$work/settings
printf '%s\n' "${settings_variants[0]}" >"$settings"

# ---- helpers ---------------------------------------------------------------------------------------------------------
count_log() { grep -c -- "$1" "$log" 2>/dev/null; }
# wait_log PATTERN COUNT SECONDS: waits until PATTERN appears COUNT times in matte's log.
wait_log() {
    local deadline=$((SECONDS + $3))
    until [ "$(count_log "$1")" -ge "$2" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no '$1' (x$2) in $log after $3 s:"; tail -n 5 "$log"; return 1; }
        sleep 0.2
    done
}
rss_kb() {  # bash builtins only
    local key value _
    while read -r key value _; do [ "$key" != VmRSS: ] || { echo "$value"; return; }; done <"/proc/$matte_pid/status"
}
sample_rss() { echo "$EPOCHREALTIME $(rss_kb) ${1:-}" >>"$rss_file"; }
unplugs=0 unplug_failures=0 reloads=0 reload_failures=0 refused=0 variant=0
# unplug: simulated USB unplug (camera_pull: disconnect, unload), back after a second; matte must notice the loss
# and reopen the camera.
pull_retries=0
unplug() {
    local lost opened why=""
    lost=$(($(count_log "camera lost") + 1))
    echo "$(now) unplug" >>"$events"
    unplugs=$((unplugs + 1))
    if ! camera_pull 30 >/dev/null; then why="vivid could not be unloaded within 30 s ($(holders))"
    elif ! wait_log "camera lost" "$lost" 20 >/dev/null; then why="matte did not log the loss"
    fi
    pull_retries=$((pull_retries + camera_pull_retries))
    sleep 1
    echo "$(now) replug" >>"$events"
    opened=$(($(count_log "camera opened") + 1))
    if ! camera_plug; then why="${why:+$why; }vivid did not come back"
    elif ! wait_log "camera opened" "$opened" 30 >/dev/null; then why="${why:+$why; }matte did not reopen the camera within 30 s"
    fi
    [ -z "$why" ] || { echo "soak: unplug $unplugs failed: $why"; unplug_failures=$((unplug_failures + 1)); }
    echo "$(now) reopened" >>"$events"
}
holders() {  # why vivid stays loaded: its use count, matte's descriptors and threads (those go to unplug-stuck.txt)
    local fds
    fds=$(ls -l "/proc/$matte_pid/fd" 2>/dev/null | grep -c -- "$camera")
    echo "use count $(cat /sys/module/vivid/refcnt 2>/dev/null); matte has $fds descriptor(s) of $camera open"
    {   echo "---- $(now): vivid stays loaded; matte's threads:"
        for task in /proc/"$matte_pid"/task/*; do
            echo "$(cat "$task/comm") state $(awk '/^State/ { print $2 }' "$task/status") wchan $(cat "$task/wchan" 2>/dev/null)"
            sed 's/^/    /' "$task/stack" 2>/dev/null | head -n 12
        done; } >>"$logs/unplug-stuck.txt"
}
# reload [VARIANT]: writes settings variant VARIANT (default: the next one) and sends SIGHUP; matte must say
# "settings reloaded". Variants 2 and 3 read files (picture, video): their windows go to file-reloads.txt.
reload() {
    local want started
    variant=${1:-$(((variant + 1) % ${#settings_variants[@]}))}
    want=$(($(count_log "settings reloaded") + 1))
    printf '# soak reload %d\n%s\n' "$((reloads + 1))" "${settings_variants[$variant]}" >"$settings"
    started=$(now)
    echo "$started reload-$variant" >>"$events"
    reloads=$((reloads + 1))
    kill -HUP "$matte_pid"
    if ! wait_log "settings reloaded" "$want" 30; then
        echo "soak: reload $reloads (variant $variant) was not applied"; reload_failures=$((reload_failures + 1))
    fi
    if [ "$(count_log "reload failed\|keeping the current settings")" -gt "$refused" ]; then
        echo "soak: matte refused reload $reloads (variant $variant)"; reload_failures=$((reload_failures + 1))
        refused=$(count_log "reload failed\|keeping the current settings")
    fi
    echo "$(now) reloaded" >>"$events"
    # The reload happens on matte's output thread between two frames: a gap that begins up to 1 s after
    # "settings reloaded" was seen belongs to it.
    [ "$variant" -lt 2 ] || echo "$started $(echo "$(now) + 1" | bc)" >>"$logs/file-reloads.txt"
}
# next_event: a cycle of six: unplug, colour -> blur, picture, unplug, video, colour. A cycle ends on the
# start-up settings, where the RSS is sampled ("cycle"), so the samples compare like with like.
step=0
next_event() {
    [ $((step % 6)) -ne 0 ] || [ "$step" -eq 0 ] || sample_rss cycle
    case $((step % 3)) in 0) unplug ;; *) reload ;; esac
    step=$((step + 1))
}
stream_for() {  # stream_for SECONDS: plain streaming, sampling RSS every 5 s (few processes: each costs ~50 ms of CPU here)
    local until_t=$((SECONDS + $1)) left
    while left=$((until_t - SECONDS)); [ "$left" -gt 0 ]; do
        sleep $((left < 5 ? left : 5))
        sample_rss
    done
}

# ---- start-up ----------------------------------------------------------------------------------------------------------
: >"$logs/file-reloads.txt"
"$matte" --output "$virtual" --camera "$camera" --size "${width}x${height}" --fps "$fps" --settings "$settings" >"$log" 2>&1 &
matte_pid=$!
check "matte starts" wait_log "readers detected" 1 60
reader_start "$frames"
check "the reader starts getting frames" wait_log "first person mask ready" 1 120
start_t=$(now)
# Warm-up: two cycles (every event twice, so every path has made what it keeps: matte's RSS rose by ~4 MB in the
# first cycle and ~2 MB in the second, then stayed within +-1.5 MB for 20 more), then plain streaming.
step "warm-up: two cycles of unplugs and reloads"
for _ in $(seq 1 12); do stream_for "$pause"; next_event; done
stream_for "$pause"
warm_t=$(now)
sample_rss warm
rss_start=$(rss_kb)
echo "soak: warm-up took $(printf %.0f "$(echo "$warm_t - $start_t" | bc)") s; RSS ${rss_start} kB; now ${duration} s measured"

# ---- the soak: events until the time is up, then back to the start-up settings ------------------------------------
end_at=$((SECONDS + duration))
step "the measured ${duration} s of unplugs and reloads"
while [ $((SECONDS + pause)) -lt "$end_at" ]; do
    stream_for "$pause"
    next_event
done
[ "$variant" -eq 0 ] || { stream_for "$pause"; reload 0; }
stream_for $((end_at - SECONDS > pause ? end_at - SECONDS : pause))
end_t=$(now)
sample_rss end
rss_end=$(rss_kb)
reader_alive=0; reader_running && reader_alive=1
matte_alive=0; kill -0 "$matte_pid" 2>/dev/null && matte_alive=1
step "stopping the reader"
reader_stop

# ---- figures and checks --------------------------------------------------------------------------------------------------
# gaps FROM TO: "FRAMES MAXGAP GAPAT MAXFILEGAP FILEGAPAT RATE": the longest gap (edges counted) apart from and
# during file reloads (a gap is a file reload's when the two overlap: the stall can begin just before the SIGHUP is
# sent), and the frame rate apart from them.
gaps() {
    awk -v from="$1" -v to="$2" '
        FNR == NR { ws[++w] = $1; we[w] = $2; next }
        function note(start, len,   i) {  # 1 when the gap belongs to a file reload
            for (i = 1; i <= w; i++) if (start <= we[i] && start + len >= ws[i]) { if (len > fgap) { fgap = len; fat = start }; return 1 }
            if (len > gap) { gap = len; at = start }
            time += len
            return 0
        }
        $1 < from || $1 > to { next }
        { if (!note(n ? prev : from, $1 - (n ? prev : from))) frames++; prev = $1; n++ }
        END { note(n ? prev : from, to - (n ? prev : from))
              printf "%d %.3f %.3f %.3f %.3f %.3f\n", n, gap, at, fgap, fat, (time > 0 ? frames / time : 0) }
    ' "$logs/file-reloads.txt" "$frames"
}
# after TIME: the event that came last before TIME, and how long before.
after() { awk -v at="$1" '$1 <= at { name = $2; t = $1 } END { if (name == "") print "start-up"; else printf "%s +%.1f s", name, at - t }' "$events"; }
read -r n_all gap_all gap_at file_gap file_gap_at <<<"$(gaps "$start_t" "$end_t")"
read -r n_soak gap_soak _ file_gap_soak _ rate <<<"$(gaps "$warm_t" "$end_t")"
soak_s=$(echo "$end_t - $warm_t" | bc)
rss_peak=$(awk -v from="$warm_t" '$1 >= from && $2 > peak { peak = $2 } END { print peak + 0 }' "$rss_file")
growth=$((rss_end - rss_start))
cycles=$(awk '$3 == "warm" || $3 == "cycle" || $3 == "end" { printf "%s%s", sep, $2; sep = " " }' "$rss_file")
over=$(awk -v lim="$(echo "2 / $fps" | bc -l)" -v from="$start_t" '$1 >= from { if (n++ && $1 - prev > lim) c++; prev = $1 } END { print c + 0 }' "$frames")
event_counts=$(awk '{ print $2 }' "$events" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
echo "soak: measured $(printf %.0f "$soak_s") s: $n_soak frames ($(printf %.2f "$rate") fps apart from file reloads), longest gap $(printf %.3f "$gap_soak") s, $(printf %.3f "$file_gap_soak") s around file reloads"
echo "soak: since the first mask: $n_all frames; longest gap $(printf %.3f "$gap_all") s ($(after "$gap_at")), around file reloads $(printf %.3f "$file_gap") s ($(after "$file_gap_at")); $over gaps over 2 frame intervals"
echo "soak: events: $event_counts; matte reopened the reconnected camera before the unload $pull_retries time(s) (disconnected again)"
echo "soak: RSS ${rss_start} kB after warm-up, ${rss_end} kB at the end ($( [ $growth -ge 0 ] && echo +)${growth} kB), peak ${rss_peak} kB; at each cycle's start (kB): $cycles"
check "the reader's record holds the frames since the first mask (${n_all:-0})" test "${n_all:-0}" -gt 0
check "every unplug was noticed and the camera reopened ($unplugs unplugs, $unplug_failures failures)" test "$unplug_failures" -eq 0
check "every reload was applied ($reloads reloads, $reload_failures failures)" test "$reload_failures" -eq 0
check "the measured period had an unplug and reloads of every kind" test "$step" -ge 18
check "the reader read without a break (still running at the end)" test "$reader_alive" -eq 1
check "no gap between frames longer than 3 intervals while streaming, unplugging and reloading in-memory settings ($(printf %.3f "$gap_all") s ≤ $(printf %.3f "$max_gap") s)" le "$gap_all" "$max_gap"
check "no gap longer than 3 intervals around reloads that read a picture or a video ($(printf %.3f "$file_gap") s ≤ $(printf %.3f "$max_gap") s)" le "$file_gap" "$max_gap"
check "frames kept the camera's rate apart from file reloads ($(printf %.2f "$rate") fps ≥ 0.7 × $fps)" le "$(echo "0.7 * $fps" | bc -l)" "$rate"
check "RSS is flat after the warm-up ($( [ $growth -ge 0 ] && echo +)${growth} kB: < 2048 kB or < 5 %)" \
    bash -c "[ $growth -lt 2048 ] || [ $((growth * 100)) -lt $((rss_start * 5)) ]"
check "matte ran throughout" test "$matte_alive" -eq 1
stop_pid "$matte_pid" 20; status=$?   # SIGKILL after 20 s (124), guest-lib.sh
check "matte stops on SIGTERM with status 0 (got $status)" test "$status" -eq 0
grep "stopped:" "$log" | sed 's/^.*matte:/soak: matte:/'
rm -rf "$work"
summary
