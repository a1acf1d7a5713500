#!/usr/bin/env bash
# End-to-end test of `matte doctor` with real kernel drivers, run inside the VM:
#     Tests/e2e/run-in-vm.sh --cpus 2 --timeout 900 [--loopback 0.12|0.15] Tests/e2e/doctor.sh [MATTE_BINARY]
# Starts from a healthy set-up (vivid as /dev/video0, v4l2loopback with exclusive_caps=1 as /dev/video20, root:video
# 0660, the models, `matte live --always-on` writing to the virtual camera), where `matte doctor` must exit 0 with no
# "problem:" line; then breaks it on purpose one way at a time, checks that doctor names the expected problem (ID),
# exits 1 and gives the fix command, and repairs it; at the end the healthy state must pass again.
# The contract (one line per check):
#     ok: ID: detail | warning: ID: what | problem: ID: what is wrong, then one or more "  fix: COMMAND" lines
#     (a warning may carry fix lines too);
#     exit status 0 only when there is no problem line, 1 otherwise.
# Every doctor run's stdout, stderr and status are kept in $MATTE_RESULTS/doctor/NAME.{out,err,status}.
# The guest's root is the host's under a tmpfs overlay, so /etc and /lib/modules are writable here (in guest memory
# only): a test user is made with useradd, the module tree and system model directories are hidden with bind mounts.
# Two things a desktop has are set up first: the loopback network interface (doctor hung without 127.0.0.1) and a
# systemctl that does not know it runs in a chroot (SYSTEMD_IGNORE_CHROOT=1; see below).
# Not simulated: Secure Boot refusing the module (secure-boot), a camera without a usable format (camera-format),
# a CPU without AVX2/FMA (cpu), and a running systemd user manager (service; the guest's init is a script).
# Ends with "doctor: N passed, M failed" and a non-zero status on failure.
set -uo pipefail
[ "${MATTE_E2E_GUEST:-}" = 1 ] || { echo "doctor: error: run me inside the VM: Tests/e2e/run-in-vm.sh --cpus 2 --timeout 900 Tests/e2e/doctor.sh" >&2; exit 2; }
# shellcheck disable=SC2034  # read by guest-lib.sh
e2e_name=doctor
# shellcheck source=Tests/e2e/guest-lib.sh
. "$MATTE_REPO/Tests/e2e/guest-lib.sh"

matte=${1:-$MATTE_REPO/.build/release/matte}
camera=/dev/video0
virtual=/dev/video20
width=320 height=180 fps=5
logs=$MATTE_RESULTS/doctor
work=$(mktemp -d)
chmod 0755 "$work"   # the test user reads the models and its home below it
mkdir -p "$logs"
abi=$(uname -r)
path_env=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo "doctor: v4l2loopback $MATTE_LOOPBACK_VERSION ($MATTE_LOOPBACK_OPTS), $(nproc) CPUs, $matte"
if timeout -k 5 60 "$matte" doctor --help 2>&1 | grep -q 'USAGE: matte doctor'; then has_doctor=1; else
    has_doctor=0; echo "doctor: warning: this matte has no doctor command (matte doctor --help shows no 'USAGE: matte doctor')"; fi

# ---- the healthy baseline's pieces ------------------------------------------------------------------------------------
case " $MATTE_LOOPBACK_OPTS " in *" exclusive_caps=1 "*) ;; *)
    echo "doctor: error: the run's loopback options must include exclusive_caps=1, not: $MATTE_LOOPBACK_OPTS"; exit 2 ;; esac
# The models: the first directory holding both, copied where every user can read them (MATTE_MODELS_DIR).
models=$work/models
mkdir -p "$models"
for dir in "${MATTE_MODELS_DIR:-}" "${XDG_DATA_HOME:-$HOME/.local/share}/matte/models" /root/.local/share/matte/models \
    /usr/local/share/matte/models /usr/share/matte/models; do
    if [ -n "$dir" ] && [ -r "$dir/selfie_segmentation.tflite" ] && [ -r "$dir/selfie_segmentation_landscape.tflite" ]; then
        cp "$dir"/selfie_segmentation.tflite "$dir"/selfie_segmentation_landscape.tflite "$models/"; break
    fi
done
chmod 0755 "$models"; chmod 0644 "$models"/* 2>/dev/null
[ -s "$models/selfie_segmentation.tflite" ] || { echo "doctor: error: no models found (run scripts/setup-models.sh on the host)"; exit 2; }
# System directories doctor (and matte) also search; hidden with an empty directory where a test needs "no models".
system_model_dirs=()
for dir in /usr/local/share/matte/models /usr/share/matte/models; do
    [ -d "$dir" ] && system_model_dirs+=("$dir")
done
[ ${#system_model_dirs[@]} -eq 0 ] || echo "doctor: the host has ${system_model_dirs[*]}: hidden while models are meant to be missing"
mkdir -p "$work/empty"
# /etc/matte from the host would make every run depend on it: an empty one for this run (a bind mount, guest only).
if [ -e /etc/matte ]; then
    echo "doctor: the host has /etc/matte: replaced by an empty directory in the guest"
    mkdir -p "$work/etc-matte"; mount --bind "$work/etc-matte" /etc/matte
fi
root_home=$work/root-home
mkdir -p "$root_home"
# systemctl must not think it runs in a chroot (vm-init chroots into the shared root; systemctl then ignores every
# command and exits 0). SYSTEMD_IGNORE_CHROOT=1 makes it answer as on a machine with no user manager. The guest's
# loopback network interface stays down: doctor runs systemctl with posix_spawn, which needs none (Foundation's
# Process needed 127.0.0.1 and hung without it).
# (Bounded: systemctl waits up to D-Bus's 25 s default for a bus that may never answer.)
if SYSTEMD_IGNORE_CHROOT=1 timeout -k 5 60 systemctl --user is-active --quiet matte.service 2>/dev/null; then
    echo "doctor: warning: systemctl --user is-active matte.service succeeds here: 'running' cannot be tested"
fi

# The test user (non-root): made with useradd (the overlay makes /etc writable); else nobody, video by gid.
video_gid=$(getent group video | cut -d: -f3)
user_home=$work/user-home
if useradd -M -d "$user_home" -s /bin/sh -U -G video matte-e2e >"$logs/useradd.log" 2>&1; then
    user=matte-e2e; as_user_groups=(--init-groups)
else
    echo "doctor: useradd failed ($(head -n 1 "$logs/useradd.log")): the test user is nobody"
    user=nobody; as_user_groups=(--groups="$video_gid")
fi
user_uid=$(id -u "$user") user_gid=$(id -g "$user")
mkdir -p "$user_home"; chown "$user_uid:$user_gid" "$user_home"
echo "doctor: test user $user ($(id "$user"))"

# runner arrays (set by as_root / as_user / as_user_without_video): how a doctor or live process is started.
as_root() { runner=(env -i PATH="$path_env" LANG=C.UTF-8 SYSTEMD_IGNORE_CHROOT=1 USER=root LOGNAME=root HOME="$root_home" MATTE_MODELS_DIR="$models"); }
as_user() {
    runner=(setpriv --reuid="$user_uid" --regid="$user_gid" "${as_user_groups[@]}"
        env -i PATH="$path_env" LANG=C.UTF-8 SYSTEMD_IGNORE_CHROOT=1 USER="$user" LOGNAME="$user" HOME="$user_home" MATTE_MODELS_DIR="$models")
}
as_user_without_video() {
    runner=(setpriv --reuid="$user_uid" --regid="$user_gid" --clear-groups
        env -i PATH="$path_env" LANG=C.UTF-8 SYSTEMD_IGNORE_CHROOT=1 USER="$user" LOGNAME="$user" HOME="$user_home" MATTE_MODELS_DIR="$models")
}

# ---- matte live in the background ------------------------------------------------------------------------------------
live_pid=""
# live_start NAME: matte live as the current runner (always on, so it writes to the virtual camera all the time).
live_start() {
    "${runner[@]}" "$matte" live --camera "$camera" --output "$virtual" --size "${width}x${height}" --fps "$fps" \
        --always-on >"$logs/live-$1.log" 2>&1 &
    live_pid=$!
    live_log=$logs/live-$1.log
}
# live_ready: matte runs and writes to the virtual camera.
live_ready() {
    local deadline=$((SECONDS + 90))
    until grep -q "readers detected" "$live_log" 2>/dev/null; do
        kill -0 "$live_pid" 2>/dev/null || { echo "matte live exited:"; tail -n 5 "$live_log"; return 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "matte live did not start within 90 s:"; tail -n 5 "$live_log"; return 1; }
        sleep 0.2
    done
}
# live_stop: SIGTERM; its exit status (124 if it had to be killed after 20 s; stop_pid, guest-lib.sh).
live_stop() {
    [ -n "$live_pid" ] || return 0
    local pid=$live_pid
    live_pid=""
    stop_pid "$pid" 20
}

# ---- doctor and its output -------------------------------------------------------------------------------------------
known_ids="loopback-module secure-boot loopback-loaded loopback-options loopback-device loopback-access loopback-producer
camera camera-access camera-busy camera-format models cpu config running service pipewire"
# IDs whose problem line the contract gives a fix for.
ids_with_fix="loopback-module loopback-loaded loopback-options loopback-access loopback-producer camera-access camera-busy
models config running"
# doctor NAME [VAR=VALUE...] [-- ARGS...]: runs `matte doctor ARGS` (default: --camera /dev/video0 --output
# /dev/video20) as the current runner with VAR=VALUE added to its environment; sets doc_out (the stdout file) and status
# (not "out": guest-lib's check() has a local of that name).
doctor() {
    local name=$1 vars=() args=(--camera "$camera" --output "$virtual") t0=$EPOCHREALTIME; shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    [ $# -eq 0 ] || { shift; args=("$@"); }
    doc_out=$logs/$name.out
    timeout -k 10 120 "${runner[@]}" ${vars[@]+"${vars[@]}"} "$matte" doctor "${args[@]}" >"$doc_out" 2>"$logs/$name.err"
    status=$?
    echo "$status" >"$logs/$name.status"
    echo "doctor: [$name] exit $status after $(printf %.1f "$(echo "$EPOCHREALTIME - $t0" | bc)") s:"
    sed 's/^/    | /' "$doc_out"
    [ ! -s "$logs/$name.err" ] || sed 's/^/    stderr| /' "$logs/$name.err" | head -n 10
}
# well_formed: every line of the last output has the contract's form, IDs are known, each problem the contract
# gives a fix for has "  fix:" lines, service and secure-boot are never problems here, and the exit status is 0
# exactly when there is no problem line.
well_formed() {
    awk -v status="$status" -v known="$known_ids" -v withfix="$ids_with_fix" '
        BEGIN { n = split(known, k); for (i = 1; i <= n; i++) ok[k[i]] = 1
                n = split(withfix, f); for (i = 1; i <= n; i++) needs[f[i]] = 1 }
        function close_problem() { if (pid != "" && needs[pid] && fixes == 0) { print "no fix line after problem " pid; bad++ } pid = "" }
        /^(ok|warning|problem): [a-z0-9-]+: ./ {
            close_problem()
            id = $2; sub(/:$/, "", id)
            if (!(id in ok)) { print "unknown ID: " $0; bad++ }
            lines++
            if ($1 == "problem:") { problems++; pid = id; fixes = 0
                if (id == "service" || id == "secure-boot") { print "never a problem here: " $0; bad++ } }
            last = $1; next }
        /^  fix: [^ ]/ { if (last != "problem:" && last != "warning:" && last != "fix") { print "fix line not after a problem or warning: " $0; bad++ }
                         last = "fix"; fixes++; next }
        { print "line not in the contract form: [" $0 "]"; bad++; last = "" }
        END { close_problem()
              if (lines == 0) { print "no check lines at all"; bad++ }
              if (status != (problems > 0 ? 1 : 0)) { print "exit status " status " with " problems + 0 " problem line(s)"; bad++ }
              exit bad > 0 }' "$doc_out"
}
problem_ids() { sed -n 's/^problem: \([a-z0-9-]*\): .*/\1/p' "$doc_out" | sort -u | xargs; }
# fixes ID: the fix commands given after problem ID.
fixes() {
    awk -v id="$1" '/^(ok|warning|problem): / { cur = ($1 == "problem:" && $2 == id ":"); next }
                    /^  fix: / { if (cur) { sub(/^  fix: /, ""); print } }' "$doc_out"
}
# has_problem ID [PATTERN]: a "problem: ID:" line (whose text matches the extended regex PATTERN) and exit status 1.
has_problem() {
    local line
    line=$(grep -E "^problem: $1: " "$doc_out") || { echo "no 'problem: $1:' line"; return 1; }
    [ -z "${2:-}" ] || grep -qE -- "$2" <<<"$line" || { echo "the problem line does not match /$2/: $line"; return 1; }
    [ "$status" -eq 1 ] || { echo "exit status $status, not 1"; return 1; }
}
# has_fix ID REGEX: one of the fix commands after problem ID matches REGEX (extended, whole line; a trailing shell
# comment, "  # then log in again", is allowed).
has_fix() {
    fixes "$1" | grep -qxE -- "($2)( +#.*)?" || { echo "no fix matching /^$2\$/ after problem $1; fixes given:"; fixes "$1" | sed 's/^/  fix: /'; return 1; }
}
# only_problems ID...: no problem lines but these.
only_problems() {
    local id extra=""
    for id in $(problem_ids); do case " $* " in *" $id "*) ;; *) extra+=" $id" ;; esac; done
    [ -z "$extra" ] || { extra=${extra# }; echo "unexpected problem(s): $extra"; grep -E "^problem: (${extra// /|}): " "$doc_out"; return 1; }
}
# every_check_reported: each ID has a line (secure-boot may be left out when the module loaded, and loopback-loaded
# when "ok: loopback-module:" says it is loaded).
every_check_reported() {
    local id missing=""
    for id in $known_ids; do
        [ "$id" = secure-boot ] && continue
        [ "$id" = loopback-loaded ] && grep -qE '^ok: loopback-module: .*loaded' "$doc_out" && continue
        grep -qE "^(ok|warning|problem): $id: " "$doc_out" || missing+=" $id"
    done
    [ -z "$missing" ] || { echo "no line for:$missing"; return 1; }
}
no_problem() { [ "$status" -eq 0 ] && ! grep -q '^problem:' "$doc_out" || { echo "exit status $status; problems: $(problem_ids)"; return 1; }; }
rx() { sed 's/[][\.*^$(){}?+|]/\\&/g' <<<"$1"; }   # a literal string as an extended regex
# healthy NAME: the healthy-state checks on the last run.
healthy() {
    check "$1: output in the contract's form" well_formed
    check "$1: exit status 0 and no problem line" no_problem
    check "$1: every check has a line" every_check_reported
    check "$1: camera-busy does not flag matte's own hold on the camera" grep -qE '^ok: camera-busy: ' "$doc_out"
    check "$1: running is ok (matte live writes to the virtual camera)" grep -qE '^ok: running: ' "$doc_out"
}
# broken NAME ID FIX-REGEX [LINE-REGEX [ALSO-ALLOWED-IDS]]: the checks of a broken state.
broken() {
    local name=$1 id=$2 fix=$3 pattern=${4:-} also=${5:-}
    check "$name: output in the contract's form" well_formed
    check "$name: 'problem: $id:' and exit status 1" has_problem "$id" "$pattern"
    [ -z "$fix" ] || check "$name: fix: $fix" has_fix "$id" "$fix"
    check "$name: no other problem${also:+ than $also}" only_problems "$id" $also
}
holds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "$2"; }   # holds PID DEVICE
# wait_holds PID DEVICE: until PID has DEVICE open (30 s).
wait_holds() {
    local deadline=$((SECONDS + 30))
    until holds "$1" "$2"; do
        kill -0 "$1" 2>/dev/null || { echo "pid $1 exited"; return 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "pid $1 did not open $2 within 30 s"; return 1; }
        sleep 0.2
    done
}
loopback_load() {  # loopback_load [OPTION=VALUE...]: v4l2loopback with the run's options, some replaced
    local opts o r out=()
    eval "opts=($MATTE_LOOPBACK_OPTS)"
    for o in "${opts[@]}"; do for r in "$@"; do [ "${o%%=*}" != "${r%%=*}" ] || o=$r; done; out+=("$o"); done
    modprobe v4l2loopback "${out[@]}" && wait_for "$virtual" 10 && video_perms
}
loopback_unload() { modprobe -r v4l2loopback && wait_gone "$virtual" 10; }

# ==== 1. healthy, as root ==============================================================================================
as_root
live_start root
check "matte live starts (as root, always on)" live_ready
sleep 2
doctor healthy
healthy "healthy (root)"
doctor healthy-defaults --
check "healthy, no --camera/--output: exit status 0 and no problem line" no_problem
check "healthy, no --camera/--output: output in the contract's form" well_formed
grep -E '^(ok|warning): service: ' "$logs/healthy.out" | sed 's/^/doctor: (service, no user manager here) /'

# ==== 2. config files ==================================================================================================
cfg=$work/config-good
mkdir -p "$cfg/matte"
printf '# Matte settings\n--background #00ff00\n\n  # indented comment\n--effect sepia\n--mirror --fit contain\n' >"$cfg/matte/config"
doctor config-good XDG_CONFIG_HOME="$cfg"
check "a valid config file: exit 0, no problem" no_problem
check "a valid config file: 'ok: config:'" grep -qE '^ok: config: ' "$doc_out"
# Not in the contract, reported only: a comment after an option on the same line.
printf -- '--effect sepia   # a comment after an option\n' >"$cfg/matte/config"
doctor config-trailing-comment XDG_CONFIG_HOME="$cfg"
echo "doctor: note: a '# comment' after an option on the same line is $([ "$status" -eq 0 ] && echo accepted || echo rejected)"
cfg=$work/config-bad
mkdir -p "$cfg/matte"
printf '# line 1\n--background #00ff00\n--no-such-option 3\n--effect sepia\n' >"$cfg/matte/config"
doctor config-user XDG_CONFIG_HOME="$cfg"
broken "bad option on line 3 of \$XDG_CONFIG_HOME/matte/config" config 'matte config --edit( .*)?' \
    "^problem: config: (.* )?$(rx "$cfg/matte/config"):3: ."
# Without XDG_CONFIG_HOME: ~/.config/matte/config.
mkdir -p "$root_home/.config/matte"
printf '\n--fit sideways\n' >"$root_home/.config/matte/config"
doctor config-home
broken "bad value on line 2 of ~/.config/matte/config" config 'matte config --edit( .*)?' \
    "^problem: config: (.* )?$(rx "$root_home/.config/matte/config"):2: ."
rm -rf "$root_home/.config"
# The system-wide one.
mkdir -p /etc/matte
printf '# system-wide\n# defaults\n\n--threshold not-a-number\n' >/etc/matte/config
doctor config-etc
broken "bad value on line 4 of /etc/matte/config" config '' "^problem: config: (.* )?/etc/matte/config:4: ."
check "/etc/matte/config: a fix line (matte config --edit or editing the file)" has_fix config '.+'
rm -f /etc/matte/config

# ==== 3. models ========================================================================================================
for dir in ${system_model_dirs[@]+"${system_model_dirs[@]}"}; do mount --bind "$work/empty" "$dir"; done
mkdir -p "$work/no-models" "$work/no-data" "$work/no-home"
doctor models-missing MATTE_MODELS_DIR="$work/no-models" XDG_DATA_HOME="$work/no-data" HOME="$work/no-home"
models_fix='(.*/)?scripts/setup-models\.sh( .*)?|sudo apt install --reinstall matte'
broken "no models anywhere" models "$models_fix"
doctor models-missing-home MATTE_MODELS_DIR= HOME="$work/no-home"
broken "no models (MATTE_MODELS_DIR empty, no XDG_DATA_HOME, empty HOME)" models "$models_fix"
mkdir -p "$work/truncated"
for file in "$models"/*.tflite; do head -c $(($(stat -c %s "$file") / 2)) "$file" >"$work/truncated/$(basename "$file")"; done
doctor models-truncated MATTE_MODELS_DIR="$work/truncated" XDG_DATA_HOME="$work/no-data" HOME="$work/no-home"
broken "truncated models" models "$models_fix"
mkdir -p "$work/flipped"
cp "$models"/*.tflite "$work/flipped/"
for file in "$work/flipped"/*.tflite; do
    offset=$(($(stat -c %s "$file") / 2))
    byte=$(od -An -tu1 -j "$offset" -N 1 "$file" | tr -d ' ')
    printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
done
doctor models-flipped MATTE_MODELS_DIR="$work/flipped" XDG_DATA_HOME="$work/no-data" HOME="$work/no-home"
broken "models of the right size with one byte changed (sha256 wrong)" models "$models_fix"
mkdir -p "$work/one-model/matte/models"
cp "$models/selfie_segmentation.tflite" "$work/one-model/matte/models/"
doctor models-one MATTE_MODELS_DIR= XDG_DATA_HOME="$work/one-model" HOME="$work/no-home"
broken "the landscape model missing (general one in \$XDG_DATA_HOME)" models "$models_fix"
# The models in XDG_DATA_HOME alone are found.
mkdir -p "$work/data/matte"
cp -r "$models" "$work/data/matte/models"
doctor models-xdg MATTE_MODELS_DIR= XDG_DATA_HOME="$work/data" HOME="$work/no-home"
check "models in \$XDG_DATA_HOME/matte/models: exit 0, 'ok: models:'" bash -c "[ $status -eq 0 ] && grep -q '^ok: models: ' '$doc_out'"
for dir in ${system_model_dirs[@]+"${system_model_dirs[@]}"}; do umount "$dir"; done

# ==== 4. a non-root user =============================================================================================
live_stop; st=$?
check "matte live (root) stops with status 0 (got $st)" test "$st" -eq 0
as_user
live_start user
check "matte live starts as $user" live_ready
sleep 2
doctor user-healthy
healthy "healthy ($user, in group video)"
as_user_without_video
doctor user-no-video
usermod_fix="sudo usermod -aG video $(rx "$user")( .*)?"
broken "$user not in group video (devices root:video 0660)" loopback-access "$usermod_fix" '' "camera-access"
check "$user not in group video: 'problem: camera-access:'" has_problem camera-access
check "$user not in group video: camera-access fix: sudo usermod -aG video $user" has_fix camera-access "$usermod_fix"
chmod 0600 "$camera" "$virtual"
as_user
doctor user-0600
broken "devices root-owned 0600 ($user in group video)" loopback-access '.+' '' "camera-access"
check "devices 0600: 'problem: camera-access:'" has_problem camera-access
check "devices 0600: camera-access has a fix line" has_fix camera-access '.+'
video_perms
live_stop; st=$?
check "matte live ($user) stops with status 0 (got $st)" test "$st" -eq 0
as_root

# ==== 5. nothing writes to the virtual camera ========================================================================
doctor not-running
broken "matte not running" running 'systemctl --user enable --now matte(\.service)?'

# ==== 6. the camera held by another program ==========================================================================
# (--stream-count and -t below bound the two background programs in case stop_pid is never reached: ~10 minutes.)
v4l2-ctl -d "$camera" --stream-mmap --stream-count=15000 --stream-to=/dev/null >"$logs/holder.log" 2>&1 &
holder=$!
check "v4l2-ctl holds the camera (pid $holder)" wait_holds "$holder" "$camera"
sleep 1
doctor camera-busy
broken "camera held by v4l2-ctl" camera-busy "kill $holder" "v4l2-ctl \\(pid $holder\\)" running
stop_pid "$holder" 10

# ==== 7. another producer on the virtual camera =======================================================================
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi -i "testsrc=size=${width}x${height}:rate=$fps" -t 600 \
    -pix_fmt yuyv422 -f v4l2 "$virtual" >"$logs/producer.log" 2>&1 &
producer=$!
check "ffmpeg writes to the virtual camera (pid $producer)" wait_holds "$producer" "$virtual"
sleep 2
doctor producer
broken "ffmpeg already writes to the virtual camera" loopback-producer "kill $producer" "ffmpeg \\(pid $producer\\)" running
stop_pid "$producer" 10
check "v4l2loopback reloaded after the producer" loopback_reload   # 0.12.7 is stuck after a write()-only producer

# ==== 8. exclusive_caps=0 =============================================================================================
loopback_unload && loopback_load exclusive_caps=0
check "v4l2loopback reloaded with exclusive_caps=0" grep -q . /sys/module/v4l2loopback/parameters/exclusive_caps
echo "doctor: exclusive_caps now reads $(cat /sys/module/v4l2loopback/parameters/exclusive_caps 2>/dev/null)"
doctor exclusive-caps
broken "exclusive_caps=0" loopback-options \
    'sudo modprobe -r v4l2loopback && sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=Matte exclusive_caps=1 max_buffers=4' \
    '' running
loopback_unload && loopback_load

# ==== 9. no camera; a module with no device; the module not loaded, then not installed ===============================
check "vivid unloaded (no camera at all)" camera_unplug
doctor no-camera -- --output "$virtual"
broken "no camera (vivid unloaded, no --camera)" camera '' '' running
check "vivid loads again" camera_plug
loopback_unload && modprobe v4l2loopback devices=0
echo "doctor: v4l2loopback loaded with devices=0: $(ls /sys/devices/virtual/video4linux 2>/dev/null | xargs)"
doctor no-device -- --camera "$camera"
broken "v4l2loopback loaded with no device (devices=0, no --output)" loopback-device '' ''
check "v4l2loopback unloaded" loopback_unload
doctor not-loaded
broken "v4l2loopback not loaded" loopback-loaded 'sudo modprobe v4l2loopback( .*)?' '' "loopback-device running"
# Not installed: an empty module tree over /lib/modules/$abi (a bind mount; vivid stays loaded).
tree=$work/modtree/lib/modules/$abi
mkdir -p "$tree"
cp /lib/modules/"$abi"/modules.builtin /lib/modules/"$abi"/modules.builtin.modinfo "$tree/"
: >"$tree/modules.order"
if depmod -b "$work/modtree" "$abi" && mount --bind "$tree" "/lib/modules/$abi"; then
    if modinfo v4l2loopback >/dev/null 2>&1; then
        echo "doctor: SKIP: modinfo still finds v4l2loopback with an empty module tree; loopback-module not tested"
    else
        pass "modinfo no longer finds v4l2loopback (empty module tree over /lib/modules/$abi)"
        doctor not-installed
        broken "v4l2loopback not installed" loopback-module 'sudo apt install v4l2loopback-dkms' '' "loopback-device running"
    fi
    umount "/lib/modules/$abi"
else
    echo "doctor: SKIP: could not make an empty module tree; loopback-module not tested"
fi
check "v4l2loopback loads again" loopback_load

# ==== 10. healthy again ===============================================================================================
live_start again
check "matte live starts again" live_ready
sleep 2
doctor healthy-again
healthy "healthy again"
live_stop; st=$?
check "matte live stops with status 0 (got $st)" test "$st" -eq 0

[ "$has_doctor" = 1 ] || echo "doctor: (no doctor command in this binary: the failures above are expected)"
[ ! -e "$work/etc-matte" ] || umount /etc/matte
rm -rf "$work"
summary
