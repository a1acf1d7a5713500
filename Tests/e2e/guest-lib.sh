# shellcheck shell=bash
# Helpers for guest scripts run by Tests/e2e/run-in-vm.sh (source it: . "$MATTE_REPO/Tests/e2e/guest-lib.sh").
# Bash only. Counts checks and prints the closing line "NAME: N passed, M failed". Also: the webcam unplugged and
# back (camera_pull, camera_unplug, camera_plug), and a reader that records when each frame arrives (reader_start,
# reader_stop, frame_stats).

e2e_name=${e2e_name:-e2e}
e2e_passed=0
e2e_failed=0

# pass/fail MESSAGE: record one check.
pass() { e2e_passed=$((e2e_passed + 1)); echo "PASS: $*"; }
fail() { e2e_failed=$((e2e_failed + 1)); echo "FAIL: $*"; }

# Progress for run-in-vm.sh: when the VM's time runs out it names the check (or step) the guest was in, from the
# last lines of $MATTE_RESULTS/.vm/progress ("check TIME SCRIPT: NAME" when one begins, "done ..." when it ends,
# "step ..."; TIME is the guest's clock, so the file also says where a slow run spent its time). Written with
# builtins only (no process start); outside the VM (pipewire.sh on the host) there is no such file.
e2e_progress=""
[ "${MATTE_E2E_GUEST:-}" != 1 ] || [ ! -d "${MATTE_RESULTS:-}/.vm" ] || e2e_progress=$MATTE_RESULTS/.vm/progress
progress() { [ -z "$e2e_progress" ] || printf '%s %s %s: %s\n' "$1" "$EPOCHREALTIME" "$e2e_name" "$2" >>"$e2e_progress"; }
# step NAME: marks a stretch of a script that is not one check (e.g. fifty reader cycles), for the progress above.
step() { progress step "$*"; }

# check MESSAGE COMMAND...: pass if COMMAND succeeds (its output is shown only on failure). COMMAND may be a function.
# A hang fails the check instead of eating the VM's whole time: COMMAND is stopped after $check_limit seconds (default
# 300, beyond every bound the scripts give their own waits; set check_limit=N for one check that needs longer).
check() {
    local message=$1 out; shift
    progress check "$message"
    if out=$(bounded "${check_limit:-300}" "$@" 2>&1); then pass "$message"; else fail "$message"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'; fi
    progress done "$message"
}
# bounded SECONDS COMMAND...: runs COMMAND (a function too) and returns its status; after SECONDS it is stopped
# (SIGTERM, SIGKILL 5 s later) with "timed out after SECONDS s" on stdout and status 143 or 137. Only in a subshell
# (as check calls it): job control (set -m) puts COMMAND in a process group of its own, so the programs it started
# are stopped with it and none keeps a command substitution's pipe open.
# No timer process: this shell polls COMMAND, sleeping with `read -t` on a pipe that never has data (no process
# start; backing off from 5 ms to 0.2 s, so a quick check costs a few ms). A timer process raced under load: a
# `sleep` timer killed while being forked, or not seen to lose against a command that had already ended (`wait -n`),
# held check's pipe for its whole 300 s, twice in a run of `test` checks.
# Its locals have names of their own: COMMAND sees the caller's variables (doctor.sh's functions read a global
# $status), and a local of the same name would hide them.
bounded() {
    local e2e_limit=$1 e2e_pid e2e_until e2e_nap=0.005; shift
    [ "$BASH_SUBSHELL" -gt 0 ] || { echo "bounded: run me in a subshell"; return 2; }
    set -m
    "$@" &
    e2e_pid=$!
    e2e_until=$((SECONDS + e2e_limit + 1))   # SECONDS counts whole seconds: at least the limit
    while kill -0 "$e2e_pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$e2e_until" ]; then
            echo "timed out after $e2e_limit s"
            kill -TERM -- -"$e2e_pid" 2>/dev/null
            e2e_until=$((SECONDS + 5))
            while kill -0 "$e2e_pid" 2>/dev/null && [ "$SECONDS" -lt "$e2e_until" ]; do nap 0.2; done
            kill -KILL -- -"$e2e_pid" 2>/dev/null
            break
        fi
        nap "$e2e_nap"
        case $e2e_nap in 0.005) e2e_nap=0.02 ;; 0.02) e2e_nap=0.05 ;; *) e2e_nap=0.2 ;; esac
    done
    wait "$e2e_pid"
}
# e2e_never: a pipe nobody writes to, open for reading and writing so it never ends: `read -t` on it is a sleep
# without starting a process. (A FIFO made and unlinked at once; the descriptor keeps it.)
e2e_fifo=$(mktemp -u "${TMPDIR:-/tmp}/e2e-never.XXXXXX")
e2e_never=""
mkfifo -m 600 "$e2e_fifo" && exec {e2e_never}<>"$e2e_fifo"
rm -f "$e2e_fifo"
# nap SECONDS: sleeps (fractions too) without a process; with sleep(1) if the pipe could not be made.
nap() { if [ -n "$e2e_never" ]; then read -r -t "$1" -u "$e2e_never" _; else sleep "$1"; fi; return 0; }
# wait_exit PID SECONDS: waits until PID (a child) has exited, then returns its exit status; when it is still there
# after SECONDS, says so and returns 124 without waiting longer (a bare `wait` blocks for good on a process stuck in
# the kernel, which no signal ends).
wait_exit() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "pid $1 ($(cat "/proc/$1/comm" 2>/dev/null), state $(awk '/^State/ { print $2 }' "/proc/$1/status" 2>/dev/null)) still runs after $2 s"
            return 124
        fi
        sleep 0.2
    done
    wait "$1" 2>/dev/null
}
# stop_pid PID [SECONDS [SIGNAL]]: SIGNAL (default TERM); SIGKILL when PID (a child) has not exited after SECONDS
# (default 20). Returns PID's exit status; 124 when it had to be killed, 125 when it outlived SIGKILL by 10 s (stuck
# in the kernel: left behind).
stop_pid() {
    local status
    kill -"${3:-TERM}" "$1" 2>/dev/null
    wait_exit "$1" "${2:-20}" >/dev/null; status=$?
    kill -0 "$1" 2>/dev/null || return "$status"
    kill -KILL "$1" 2>/dev/null
    wait_exit "$1" 10 >/dev/null
    kill -0 "$1" 2>/dev/null && return 125
    return 124
}

# unblocked_threads PID: the threads of PID that let SIGHUP, SIGINT or SIGTERM through (bits 0, 1 and 14 of SigBlk).
# matte live reads them from a signalfd; a thread that does not block them dies of them, and the process with it.
unblocked_threads() {
    local task mask
    for task in /proc/"$1"/task/*; do
        mask=$(awk '/^SigBlk/ { print $2 }' "$task/status" 2>/dev/null) || continue
        [ -n "$mask" ] && (((16#$mask & 0x4003) != 0x4003)) && echo "$(cat "$task/comm") (SigBlk $mask)"
    done
}

# summary: print the closing line and return non-zero when a check failed (or none ran).
summary() {
    echo "$e2e_name: $e2e_passed passed, $e2e_failed failed"
    [ "$e2e_failed" -eq 0 ] && [ "$e2e_passed" -gt 0 ]
}

# wait_for PATH [SECONDS]: wait until PATH exists (device nodes appear via devtmpfs; there is no udev).
wait_for() {
    local path=$1 deadline=$((SECONDS + ${2:-10}))
    until [ -e "$path" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1; done
}

# wait_gone PATH [SECONDS]: wait until PATH no longer exists.
wait_gone() {
    local path=$1 deadline=$((SECONDS + ${2:-10}))
    while [ -e "$path" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1; done
}

# driver_of DEVICE: the V4L2 driver name of DEVICE (vivid, "v4l2 loopback"), empty if none.
driver_of() { v4l2-ctl -d "$1" --info 2>/dev/null | sed -n 's/^[[:space:]]*Driver name[[:space:]]*: //p' | head -n 1; }

# video_perms: what udev's rule does on a desktop (root:video, 0660); there is no udev in the VM.
video_perms() { chgrp video /dev/video* 2>/dev/null; chmod 0660 /dev/video* 2>/dev/null; return 0; }

# camera_unplug / camera_plug: unload and reload vivid (the webcam at /dev/video0) with the run's options.
camera_unplug() { modprobe -r vivid && wait_gone /dev/video0 10; }
# shellcheck disable=SC2086  # MATTE_VIVID_OPTS are words by design
camera_plug() { modprobe vivid $MATTE_VIVID_OPTS && wait_for /dev/video0 10 && video_perms; }

# camera_pull [SECONDS]: a USB unplug as far as vivid allows: its "disconnect" control (the node fails under its
# users' descriptors), then the module unloaded as soon as nobody holds it. vivid re-registers a disconnected device
# when its last user closes it, so the camera is really back at once; a program that reopens it before the unload
# (matte retries 2 s after a loss) gets it: then it is disconnected again. Sets camera_pull_retries (how often).
camera_pull() {
    local deadline=$((SECONDS + ${1:-30}))
    camera_pull_retries=0
    v4l2-ctl -d /dev/video0 --set-ctrl disconnect=1 >/dev/null 2>&1 || return 1
    until modprobe -r vivid 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "vivid is still in use after ${1:-30} s"; return 1; }
        # Reconnected and held by someone again (open succeeds only on a registered node): unplug again.
        if v4l2-ctl -d /dev/video0 --set-ctrl disconnect=1 >/dev/null 2>&1; then
            camera_pull_retries=$((camera_pull_retries + 1))
        fi
        sleep 0.1
    done
    wait_gone /dev/video0 10
}

# loopback_reload: unload and reload v4l2loopback with the run's options (clears 0.12.7's stuck state).
loopback_reload() {
    local opts
    eval "opts=($MATTE_LOOPBACK_OPTS)"
    modprobe -r v4l2loopback && modprobe v4l2loopback "${opts[@]}" && video_perms
}

# ---- a call app that records when each frame arrives ------------------------------------------------------------
# reader_start TIMES [COUNT] [FILE] [DEVICE]: reads DEVICE (default /dev/video20) in the background as a call app
# would (v4l2-ctl, mmap streaming, COUNT frames, default: until reader_stop) and appends one line per frame to
# TIMES as it arrives: "ARRIVAL SEQUENCE", ARRIVAL the guest's wall clock in seconds (bash's $EPOCHREALTIME, taken
# when v4l2-ctl reports the dequeued buffer, so it is the reader's time, not the driver's timestamp), SEQUENCE
# the driver's. Frames go to FILE (default /dev/null). One reader at a time: sets reader_pid and reader_stamp_pid.
reader_start() {
    local times=$1 count=${2:-100000000} to=${3:-/dev/null} device=${4:-/dev/video20}
    : >"$times"; rm -f "$times.pid"
    # --kill-after: timeout passes reader_stop's SIGTERM on, and kills v4l2-ctl if that did not end it in 5 s.
    { timeout --kill-after=5 "${reader_timeout:-7200}" v4l2-ctl -d "$device" --verbose --stream-mmap \
          --stream-count="$count" --stream-to="$to" 2>&1 & echo $! >"$times.pid"; wait $!; } | reader_stamp >"$times" &
    reader_stamp_pid=$!
    local deadline=$((SECONDS + 30))
    until [ -s "$times.pid" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "reader_start: the reader did not start within 30 s"; reader_pid=""; return 1; }
        sleep 0.05
    done
    reader_pid=$(<"$times.pid")
}
# reader_stamp: v4l2-ctl --verbose's output on stdin, "ARRIVAL SEQUENCE" per dequeued buffer on stdout (a bash
# builtin loop, so no process start delays a line).
reader_stamp() {
    local line seq
    while IFS= read -r line; do
        case $line in *"cap dqbuf:"*"seq:"*)
            seq=${line#*seq:}; seq=${seq%%bytesused*}
            echo "$EPOCHREALTIME $((seq))" ;;
        esac
    done
}
# reader_running: the reader started by reader_start is still reading.
reader_running() { [ -n "${reader_pid:-}" ] && kill -0 "$reader_pid" 2>/dev/null; }
# reader_stop: stops the reader (if still running) and waits until TIMES is complete; non-zero (and says so) when the
# reader was still there after 20 s (v4l2-ctl stuck in the driver: then it is left behind and TIMES may be short).
reader_stop() {
    [ -n "${reader_pid:-}" ] || return 0
    local stamp_pid=$reader_stamp_pid
    kill -TERM "$reader_pid" 2>/dev/null
    reader_pid="" reader_stamp_pid=""
    wait_exit "$stamp_pid" 20 >/dev/null
    ! kill -0 "$stamp_pid" 2>/dev/null || { echo "reader_stop: the reader still runs 20 s after SIGTERM"; return 1; }
}
# frame_stats TIMES [FROM [TO]]: "FRAMES MAXGAP GAPAT" for the frames that arrived between FROM and TO (wall-clock
# seconds; default: first to last frame). MAXGAP is the longest time in seconds without a frame, counting the
# edges (FROM to the first frame, the last frame to TO); GAPAT is when that gap began.
frame_stats() {
    awk -v from="${2:-}" -v to="${3:-}" '
        from != "" && $1 < from { next }
        to != "" && $1 > to { next }
        { if (n == 0) { prev = (from != "") ? from : $1 }
          if ($1 - prev > gap) { gap = $1 - prev; at = prev }
          prev = $1; n++ }
        END { if (to != "") { if (n == 0) prev = from; if (to - prev > gap) { gap = to - prev; at = prev } }
              printf "%d %.3f %.3f\n", n, gap, at }' "$1"
}
# le A B: A <= B for decimal numbers (false when either is not a number).
le() {
    awk -v a="$1" -v b="$2" 'BEGIN { n = "^-?([0-9]+[.]?[0-9]*|[.][0-9]+)$"; exit !(a ~ n && b ~ n && a + 0 <= b + 0) }' \
        || { echo "not $1 <= $2"; return 1; }
}

# Shared by the live-camera scripts (they set $virtual, the virtual camera).
# wait_log LOG PATTERN SECONDS [COUNT]: waits until PATTERN appears COUNT times (default 1) in LOG.
wait_log() {
    local deadline=$((SECONDS + $3)) count=${4:-1}
    until [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -ge "$count" ] 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no '$2' in $1 after $3 s:"; tail -n 5 "$1"; return 1; }
        sleep 0.2
    done
}
# read_frames COUNT FILE: reads COUNT frames from the virtual camera as a call app would (mmap streaming).
read_frames() { timeout -k 5 60 v4l2-ctl -d "$virtual" --stream-mmap --stream-count="$1" --stream-to="$2" >/dev/null 2>&1; }
# pixel FILE N X Y: "R G B" of pixel (X, Y) in frame N of a raw YUYV file, converted by ffmpeg.
pixel() {
    ffmpeg -hide_banner -nostdin -loglevel error -y -f rawvideo -pix_fmt yuyv422 -s "$5" -i "$1" -vf "select=eq(n\\,$2),crop=1:1:$3:$4" -frames:v 1 \
        -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | xargs
}
near() {  # near "R G B" "R G B" TOLERANCE
    local a=($1) b=($2) i
    [ ${#a[@]} -eq 3 ] && [ ${#b[@]} -eq 3 ] || { echo "bad pixels '$1' '$2'"; return 1; }
    for i in 0 1 2; do
        [ $((a[i] - b[i])) -le "$3" ] && [ $((b[i] - a[i])) -le "$3" ] || { echo "'$1' is not within $3 of '$2'"; return 1; }
    done
}
# gst_private_registry DIR PLUGIN...: GStreamer sees only these plugins, in a registry of its own under DIR: no scan
# of every installed plugin (slow under TCG), and no dependence on a registry cached on the host.
gst_private_registry() {
    local dir=$1 plugin; shift
    mkdir -p "$dir/gst-plugins"
    for plugin in "$@"; do
        ln -s "$(ls /usr/lib/*/gstreamer-1.0/libgst$plugin.so | head -n 1)" "$dir/gst-plugins/"
    done
    export GST_PLUGIN_SYSTEM_PATH_1_0=$dir/gst-plugins GST_PLUGIN_PATH_1_0="" GST_REGISTRY_1_0=$dir/gst-registry.bin
}
# status_field EXPRESSION: EXPRESSION of `s`, the running matte's `ctl status` (JSON), e.g. "s['state']" ($matte is
# the binary).
status_field() { "$matte" ctl status | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
