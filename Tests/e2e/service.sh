#!/usr/bin/env bash
# End-to-end test of `matte live` under systemd's notify protocol (Type=notify, WatchdogSec=), run inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 --timeout 600 [--loopback 0.12|0.15] Tests/e2e/service.sh [MATTE_BINARY]
# systemd itself is not the guest's init (vm-init.sh is), so Tests/e2e/notify-listener.py plays its part: it binds
# the $NOTIFY_SOCKET datagram socket and logs every message with its arrival time and sender pid.
# The contract: with $NOTIFY_SOCKET set (a path, or '@' + an abstract name) matte live sends READY=1 once the
# virtual camera has its first (placeholder) frame; with $WATCHDOG_USEC set, WATCHDOG=1 at least every
# WATCHDOG_USEC/2 from its output loop, idle (no reader) or not; none when $WATCHDOG_PID names another process;
# STOPPING=1 when it stops.
# Checks, with WATCHDOG_USEC=2000000 (pings due every 1 s; a gap over 1.0 s fails):
#   1. path socket, WATCHDOG_PID = matte's own pid, camera on demand: READY=1 once, from matte's pid, sent when the
#      loopback already offered capture (the listener freezes matte on READY=1 and looks: with exclusive_caps=1 that
#      means a frame was written); pings every <= 1.0 s for 10 s idle and 10 s with a reader (which gets frames);
#      every thread blocks SIGHUP, SIGINT and SIGTERM;
#      SIGSTOP for 4 s: no ping meanwhile (what systemd's watchdog acts on); SIGCONT: pings every <= 1.0 s again;
#      SIGTERM: STOPPING=1, exit status 0.
#   2. abstract socket (@name), WATCHDOG_PID=1 (another process), --always-on: READY=1, no WATCHDOG=1 at all;
#      SIGHUP reloads the same process; SIGINT: STOPPING=1, exit status 0.
#   3. the camera at 1 fps, idle: pings every <= 1.0 s still (the output loop turns at least every 0.25 s, whatever the rate).
# Not tested: a real systemd user manager (systemctl --user, the unit file): not available in the guest.
# Logs in $MATTE_RESULTS/service/: notify-*.log (MONOTONIC REALTIME PID MESSAGE), matte-*.log, reader.times.
# Ends with "service: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "service: error: run me inside the VM: Tests/e2e/run-in-vm.sh --cpus 2 Tests/e2e/service.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=service
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
camera=/dev/video0
virtual=/dev/video20
width=320 height=180 fps=5
watchdog_usec=2000000
max_gap=1.0      # half of WATCHDOG_USEC, as systemd advises (pings are sent every quarter)
logs=$MATTE_RESULTS/service
work=$(mktemp -d)
mkdir -p "$logs"
listener_script=$MATTE_REPO/Tests/e2e/notify-listener.py
echo "service: v4l2loopback $MATTE_LOOPBACK_VERSION, $(nproc) CPUs, $matte"
if [ -d /run/systemd/system ] && systemctl --user show-environment >/dev/null 2>&1; then
    echo "service: note: a systemd user manager answers here, but this test does not use it"
else
    echo "service: SKIP: no systemd user manager in the guest (its init is vm-init.sh): the unit itself is not tested"
fi

# ---- helpers ----------------------------------------------------------------------------------------------------------
listener_pid=""
# listener_start SOCKET LOG [--ready-check DEVICE]
listener_start() {
    local log=$2
    rm -f "$log"
    python3 "$listener_script" "$@" 2>"$log.err" &
    listener_pid=$!
    wait_for "$log" 20 || { echo "service: error: the notify listener did not start"; cat "$log.err"; exit 1; }
}
listener_stop() { [ -z "$listener_pid" ] || { stop_pid "$listener_pid" 10; listener_pid=""; }; }
# stamps LOG MESSAGE [FROM [TO]]: the arrival times (wall clock) of MESSAGE between FROM and TO.
stamps() {
    awk -v m="$2" -v from="${3:-}" -v to="${4:-}" \
        '$4 == m && (from == "" || $2 >= from) && (to == "" || $2 <= to) { print $2 }' "$1"
}
count() { stamps "$@" | grep -c .; }
# wait_message LOG MESSAGE SECONDS: until MESSAGE has arrived (while matte runs).
wait_message() {
    local deadline=$((SECONDS + $3))
    until [ "$(count "$1" "$2")" -ge 1 ]; do
        kill -0 "$matte_pid" 2>/dev/null || { echo "matte exited before $2:"; tail -n 5 "$matte_log"; return 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "no $2 within $3 s"; return 1; }
        sleep 0.05
    done
}
wait_log() {  # wait_log PATTERN SECONDS
    local deadline=$((SECONDS + $2))
    until grep -q -- "$1" "$matte_log" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no '$1' in $matte_log after $2 s:"; tail -n 5 "$matte_log"; return 1; }
        sleep 0.2
    done
}
# pings FROM TO: "COUNT MAXGAP GAPAT" of WATCHDOG=1 between FROM and TO, the edges counted as gaps.
pings() { stamps "$notify_log" WATCHDOG=1 >"$work/pings"; frame_stats "$work/pings" "$1" "$2"; }
# regular NAME FROM TO: pings at least every max_gap between FROM and TO.
regular() {
    local n gap at
    read -r n gap at <<<"$(pings "$2" "$3")"
    echo "service: $1: $n WATCHDOG=1 in $(printf %.1f "$(echo "$3 - $2" | bc)") s, longest gap $gap s (from $(printf %.1f "$(echo "$at - $2" | bc)") s)"
    check "$1: WATCHDOG=1 at least every $max_gap s ($n pings, longest gap $gap s)" le "$gap" "$max_gap"
}
matte_stop() {  # SIGTERM; sets matte_status (124 if it had to be killed after 30 s; stop_pid, guest-lib.sh)
    stop_pid "$matte_pid" 30; matte_status=$?
}
live_args=(live --camera "$camera" --output "$virtual" --size "${width}x${height}" --fps "$fps")

# ==== 1. a path socket, the watchdog on, camera on demand ==============================================================
notify_log=$logs/notify-path.log
matte_log=$logs/matte-path.log
listener_start "$work/notify.sock" "$notify_log" --ready-check "$virtual"
t_start=$EPOCHREALTIME
# WATCHDOG_PID = matte's own pid: bash execs matte in place, so $$ there is matte's pid.
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=$watchdog_usec \
    bash -c 'export WATCHDOG_PID=$$; exec "$@"' matte "$matte" "${live_args[@]}" >"$matte_log" 2>&1 &
matte_pid=$!
check "READY=1 arrives" wait_message "$notify_log" READY=1 120
t_ready=$(stamps "$notify_log" READY=1 | head -n 1)
[ -z "$t_ready" ] || echo "service: READY=1 $(printf %.2f "$(echo "$t_ready - $t_start" | bc)") s after start"
check "READY=1 comes from matte's own pid ($matte_pid)" \
    bash -c "awk '\$4 == \"READY=1\" { print \$3 }' '$notify_log' | grep -qx '$matte_pid'"
grep 'READY-CHECK' "$notify_log" | sed 's/^/service: /'
check "when READY=1 was sent, the virtual camera already offered capture (had a frame; exclusive_caps=1)" \
    grep -q 'READY-CHECK .*capture=1' "$notify_log"
check "matte is idle (no reader: camera closed)" wait_log "idle: no application" 90
sleep 1
t0=$EPOCHREALTIME; sleep 10; t1=$EPOCHREALTIME
regular "idle, no reader" "$t0" "$t1"

# A reader: the camera opens and frames flow.
reader_start "$work/reader.times"
check "the reader gets frames" bash -c "d=\$((SECONDS + 90)); until [ \$(wc -l <'$work/reader.times') -ge 3 ]; do [ \$SECONDS -lt \$d ] || exit 1; sleep 0.2; done"
t0=$EPOCHREALTIME; sleep 10; t1=$EPOCHREALTIME
read -r n_frames _ _ <<<"$(frame_stats "$work/reader.times" "$t0" "$t1")"
echo "service: the reader got $n_frames frames in those 10 s"
check "with a reader, frames flow ($n_frames frames in 10 s)" test "$n_frames" -ge 10
# Every thread, the capture, segmentation and output threads and FFmpeg's or libjpeg's own included, must leave
# SIGHUP/SIGINT/SIGTERM to matte's signal descriptor: one that does not dies of a reload, and the process with it.
check "every one of matte's $(ls /proc/"$matte_pid"/task | wc -l) threads blocks SIGHUP, SIGINT and SIGTERM ($(unblocked_threads "$matte_pid" | xargs) do not)" \
    test -z "$(unblocked_threads "$matte_pid")"
regular "with a reader" "$t0" "$t1"
reader_stop
cp "$work/reader.times" "$logs/reader.times"
sleep 2

# SIGSTOP: matte hangs; no ping may arrive (systemd would restart it), and pings resume after SIGCONT.
t_stop=$EPOCHREALTIME
kill -STOP "$matte_pid"
sleep 4
t_cont=$EPOCHREALTIME
kill -CONT "$matte_pid"
sleep 6
t_after=$EPOCHREALTIME
during=$(count "$notify_log" WATCHDOG=1 "$(echo "$t_stop + 0.1" | bc)" "$t_cont")
last_before=$(stamps "$notify_log" WATCHDOG=1 "" "$t_stop" | tail -n 1)
echo "service: last ping $(printf %.2f "$(echo "$t_stop - ${last_before:-0}" | bc)") s before SIGSTOP; $during during the 4 s stop"
check "no WATCHDOG=1 while matte is stopped (SIGSTOP, 4 s; got $during)" test "$during" -eq 0
regular "after SIGCONT" "$t_cont" "$t_after"

# SIGTERM: STOPPING=1 and a clean exit.
t_term=$EPOCHREALTIME
matte_stop
sleep 0.5
check "matte stops on SIGTERM with status 0 (got $matte_status)" test "$matte_status" -eq 0
check "STOPPING=1 arrives after SIGTERM" test "$(count "$notify_log" STOPPING=1 "$t_term")" -ge 1
check "READY=1 was sent once ($(count "$notify_log" READY=1))" test "$(count "$notify_log" READY=1)" -eq 1
others=$(awk -v pid="$matte_pid" '$3 != pid' "$notify_log" | grep -c .)
check "every message came from matte's pid ($others did not)" test "$others" -eq 0
after_stopping=$(count "$notify_log" WATCHDOG=1 "$(stamps "$notify_log" STOPPING=1 | head -n 1)")
echo "service: messages: $(awk '{ print $4 }' "$notify_log" | grep -v READY-CHECK | sort | uniq -c | xargs); WATCHDOG=1 after STOPPING=1: $after_stopping"
listener_stop

# ==== 2. an abstract socket; WATCHDOG_PID names another process ========================================================
notify_log=$logs/notify-abstract.log
matte_log=$logs/matte-abstract.log
listener_start "@matte-e2e-$$" "$notify_log"
NOTIFY_SOCKET=@matte-e2e-$$ WATCHDOG_USEC=$watchdog_usec WATCHDOG_PID=1 \
    "$matte" "${live_args[@]}" --always-on >"$matte_log" 2>&1 &
matte_pid=$!
check "abstract socket (@name): READY=1 arrives" wait_message "$notify_log" READY=1 120
check "abstract socket: matte writes frames" wait_log "readers detected" 60
sleep 6
check "WATCHDOG_PID=1 (not matte): no WATCHDOG=1 ($(count "$notify_log" WATCHDOG=1))" test "$(count "$notify_log" WATCHDOG=1)" -eq 0
# systemctl --user reload sends SIGHUP: the same process rereads its settings and goes on.
kill -HUP "$matte_pid"
check "SIGHUP: matte reloads the settings" wait_log "settings reloaded" 60
check "SIGHUP: the same matte runs on" kill -0 "$matte_pid"
t_int=$EPOCHREALTIME
stop_pid "$matte_pid" 30 INT; matte_status=$?
sleep 0.5
check "matte stops on SIGINT with status 0 (got $matte_status)" test "$matte_status" -eq 0
check "abstract socket: STOPPING=1 arrives after SIGINT" test "$(count "$notify_log" STOPPING=1 "$t_int")" -ge 1
listener_stop

# ==== 3. a slow camera (1 fps): the output loop waits longer for each frame; pings must still keep time ============
notify_log=$logs/notify-slow.log
matte_log=$logs/matte-slow.log
listener_start "$work/notify-slow.sock" "$notify_log"
NOTIFY_SOCKET=$work/notify-slow.sock WATCHDOG_USEC=$watchdog_usec \
    "$matte" live --camera "$camera" --output "$virtual" --size "${width}x${height}" --fps 1 >"$matte_log" 2>&1 &
matte_pid=$!
check "1 fps: READY=1 arrives" wait_message "$notify_log" READY=1 120
check "1 fps: matte is idle" wait_log "idle: no application" 90
sleep 1
t0=$EPOCHREALTIME; sleep 8; t1=$EPOCHREALTIME
regular "1 fps, idle" "$t0" "$t1"
matte_stop
check "1 fps: matte stops on SIGTERM with status 0 (got $matte_status)" test "$matte_status" -eq 0
listener_stop

rm -rf "$work"
summary
