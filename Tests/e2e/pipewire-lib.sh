# shellcheck shell=bash disable=SC2034  # pipewire_pid and wireplumber_pid are read by the scripts that source this
# A private PipeWire daemon and its session manager for the tests on the host (Tests/e2e/pipewire.sh and
# Tests/e2e/browser-lib.sh). Set XDG_RUNTIME_DIR to a private directory first, under a D-Bus session bus of the
# test's own (WirePlumber needs one).
# start_daemons LOGDIR: pipewire, then, once its socket is there, wireplumber (it links consumers to nodes); their
#   output in LOGDIR/pipewire.log and LOGDIR/wireplumber.log; sets pipewire_pid and wireplumber_pid.
# stop_daemons: stops both and removes the socket.

pipewire_pid="" wireplumber_pid=""
start_daemons() {
    pipewire >>"$1/pipewire.log" 2>&1 &
    pipewire_pid=$!
    local deadline=$((SECONDS + 10))
    until [ -S "$XDG_RUNTIME_DIR/pipewire-0" ]; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.1; done
    wireplumber >>"$1/wireplumber.log" 2>&1 &
    wireplumber_pid=$!
    sleep 1
}
stop_daemons() {
    kill -TERM "$wireplumber_pid" "$pipewire_pid" 2>/dev/null
    wait "$wireplumber_pid" "$pipewire_pid" 2>/dev/null
    rm -f "$XDG_RUNTIME_DIR"/pipewire-0*
}
