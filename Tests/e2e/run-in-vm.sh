#!/usr/bin/env bash
# Boots a QEMU VM (TCG, microvm, Debian's kernel) whose root is this machine's root (read-only 9p +
# tmpfs overlay), loads vivid (/dev/video0, a YUYV "webcam") and v4l2loopback (/dev/video20, the
# virtual camera "Matte"), runs GUEST_SCRIPT with ARGS inside it, and exits with the script's status.
#
# Usage: Tests/e2e/run-in-vm.sh [options] GUEST_SCRIPT [ARGS...]
#   --loopback 0.12|0.15   v4l2loopback version (default 0.12: bookworm's 0.12.7; 0.15: trixie's)
#   --timeout SECONDS      kill QEMU after this long (default 300; exit status 124)
#   --results DIR          read-write directory shared with the guest at the same path and at /results
#                          (default $REPO/.build-vm/results; emptied at the start of each run)
#   --memory MB            guest memory (default 2048; the overlay's tmpfs lives in it)
#   --cpus N               guest CPUs (default 1, single-threaded TCG; 2 uses multi-threaded TCG so two
#                          guest threads really run at once, as Matte's pipeline needs)
#   --nice N               QEMU's niceness, -20 to 19 (default $MATTE_VM_NICE, else -10 as root and 0 otherwise): the
#                          guest's timing checks (frame gaps, rates) and its whole run need the CPU when the host is
#                          busy with other work, such as builds, which can wait
#   --vivid-opts "..."     default "n_devs=1 node_types=0x1"
#   --loopback-opts "..."  default 'devices=1 video_nr=20 exclusive_caps=1 card_label="Matte" max_buffers=4'
#   --no-modules           load neither driver (the guest script does it)
#   --no-prepare           do not run prepare-vm.sh first (it must have run before)
#   --quiet                do not stream the console; print its last lines only on failure
# In the guest: the script runs as root with cwd $REPO, stdin /dev/null, and MATTE_E2E_GUEST=1,
# MATTE_REPO, MATTE_RESULTS, MATTE_LOOPBACK, MATTE_VIVID_OPTS, MATTE_LOOPBACK_OPTS in its environment.
# Host-side files: console log $RESULTS/console.log, exit status $RESULTS/.vm/exit-status.
# Exit status: the guest script's; 124 on timeout; 125 when the VM ended without a status (boot or
# init failure, kernel panic: see the console log); 2 on a usage error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${MATTE_VM_CACHE:-$repo/.build-vm}

loopback=0.12
timeout_s=300
results=$cache/results
memory=2048
cpus=1
nice_n=${MATTE_VM_NICE:-$([ "$(id -u)" = 0 ] && echo -10 || echo 0)}
vivid_opts="n_devs=1 node_types=0x1"
loopback_opts='devices=1 video_nr=20 exclusive_caps=1 card_label="Matte" max_buffers=4'
load_modules=1
prepare=1
quiet=0

usage() { echo "usage: run-in-vm.sh [--loopback 0.12|0.15] [--timeout SECONDS] [--results DIR] [--memory MB] [--cpus N] [--nice N] [--vivid-opts OPTS] [--loopback-opts OPTS] [--no-modules] [--no-prepare] [--quiet] GUEST_SCRIPT [ARGS...]" >&2; exit 2; }
die() { echo "run-in-vm: error: $1" >&2; exit "${2:-1}"; }
need_value() { [ "$2" -ge 2 ] || { echo "run-in-vm: error: $1 needs a value" >&2; usage; }; }

while [ $# -gt 0 ]; do
    case "$1" in
        --loopback) need_value "$1" $#; loopback=$2; shift 2 ;;
        --timeout) need_value "$1" $#; timeout_s=$2; shift 2 ;;
        --results) need_value "$1" $#; results=$2; shift 2 ;;
        --memory) need_value "$1" $#; memory=$2; shift 2 ;;
        --cpus) need_value "$1" $#; cpus=$2; shift 2 ;;
        --nice) need_value "$1" $#; nice_n=$2; shift 2 ;;
        --vivid-opts) need_value "$1" $#; vivid_opts=$2; shift 2 ;;
        --loopback-opts) need_value "$1" $#; loopback_opts=$2; shift 2 ;;
        --no-modules) load_modules=0; shift ;;
        --no-prepare) prepare=0; shift ;;
        --quiet) quiet=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "run-in-vm: error: unknown option '$1'" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
case "$loopback" in 0.12|0.15) ;; 0.12.*) loopback=0.12 ;; 0.15.*) loopback=0.15 ;;
    *) die "--loopback must be 0.12 or 0.15, not '$loopback'" 2 ;; esac
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a whole number of seconds, not '$timeout_s'" 2
[[ "$memory" =~ ^[1-9][0-9]*$ ]] || die "--memory must be a whole number of MB, not '$memory'" 2
[[ "$nice_n" =~ ^-?[0-9]+$ ]] && [ "$nice_n" -ge -20 ] && [ "$nice_n" -le 19 ] || die "--nice must be a whole number from -20 to 19, not '$nice_n'" 2
[ "$nice_n" -ge 0 ] || [ "$(id -u)" = 0 ] || die "--nice $nice_n needs root (a negative niceness)" 2
[ -f "$1" ] || die "guest script '$1' does not exist" 2
script=$(realpath "$1"); shift
case "$script" in /run/*|/dev/*|/proc/*|/sys/*)
    die "guest script $script is under a directory the guest mounts afresh (/run, /dev, /proc, /sys): put it elsewhere" 2 ;; esac

if [ "$prepare" = 1 ]; then
    "$here/prepare-vm.sh" --loopback "$loopback" || die "prepare-vm.sh --loopback $loopback failed"
fi
[ -f "$cache/vm.env" ] || die "$cache/vm.env is missing: run Tests/e2e/prepare-vm.sh first"
# shellcheck source=/dev/null
. "$cache/vm.env"
tree=$MATTE_VM_KDIR/modules-$loopback
[ -e "$tree/.done" ] || die "v4l2loopback $loopback is not prepared: run Tests/e2e/prepare-vm.sh --loopback $loopback"
[ -f "$MATTE_VM_KERNEL" ] && [ -f "$MATTE_VM_INITRD" ] || die "the prepared kernel or initramfs is missing: run Tests/e2e/prepare-vm.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed: run Tests/e2e/prepare-vm.sh"

# ---- the run's directory, shared read-write with the guest -------------------------------------------
mkdir -p "$results"
results=$(realpath "$results")
case "$results" in /|"$repo"|"$cache") die "--results must be a directory of its own, not $results" 2 ;; esac
# Two runs sharing one results directory would clobber each other: the second waits.
exec 8>"$results.lock"
flock -w "$timeout_s" 8 || die "another run-in-vm.sh has used $results for ${timeout_s}s (use --results to run in parallel)"
# Only a directory that is empty or was a results directory before is emptied.
if [ -n "$(ls -A "$results")" ] && [ ! -d "$results/.vm" ]; then
    die "--results $results is not empty and not a previous results directory: refusing to empty it" 2
fi
find "$results" -mindepth 1 -delete
mkdir -p "$results/.vm"
log=$results/console.log

shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }  # POSIX-sh single quoting
{
    echo "RESULTS_PATH=$(shq "$results")"
    echo "MODULES_PATH=$(shq "$tree/lib/modules/$MATTE_VM_ABI")"
    echo "GUEST_MAIN=$(shq "$here/vm-guest-main.sh")"
    echo "TMPFS_SIZE=$(shq "$((memory / 2))m")"
} >"$results/.vm/init.conf"
{
    printf 'MATTE_REPO=%q\nMATTE_RESULTS=%q\nMATTE_LOOPBACK=%q\nMATTE_LOOPBACK_VERSION=%q\n' \
        "$repo" "$results" "$loopback" "$(cat "$tree/v4l2loopback.version")"
    printf 'MATTE_VIVID_OPTS=%q\nMATTE_LOOPBACK_OPTS=%q\nMATTE_LOAD_MODULES=%q\n' "$vivid_opts" "$loopback_opts" "$load_modules"
    printf 'GUEST_SCRIPT=%q\nGUEST_ARGS=(' "$script"
    [ $# -eq 0 ] || printf ' %q' "$@"
    printf ' )\n'
} >"$results/.vm/run.conf"

# ---- QEMU --------------------------------------------------------------------------------------------
# The guest's TSC under TCG runs at the host's TSC rate; telling the kernel avoids a calibration that
# hangs ~30 % of microvm boots.
tsc_khz=${MATTE_VM_TSC_KHZ:-$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)}
[[ "$tsc_khz" =~ ^[1-9][0-9]+$ ]] || die "cannot read the host's TSC rate from /proc/cpuinfo (set MATTE_VM_TSC_KHZ)"
append="console=ttyS0 loglevel=4 panic=-1 oops=panic reboot=t tsc_early_khz=$tsc_khz tsc=reliable"
append+=" mitigations=off random.trust_cpu=on nowatchdog rdinit=/init"
# shellcheck disable=SC2054  # the commas are inside QEMU option values
qemu=(qemu-system-x86_64
    -machine microvm,pit=on,pic=on,rtc=on,isa-serial=on
    -accel "tcg,thread=$([ "$cpus" -gt 1 ] && echo multi || echo single)" -cpu max -smp "$cpus" -m "$memory"
    -nodefaults -no-user-config -display none -no-reboot
    -kernel "$MATTE_VM_KERNEL" -initrd "$MATTE_VM_INITRD" -append "$append"
    -serial "file:$log"
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
    -device virtio-9p-device,fsdev=hostroot,mount_tag=hostroot
    -fsdev "local,id=results,path=$results,security_model=none,multidevs=remap"
    -device virtio-9p-device,fsdev=results,mount_tag=results)

: >"$log"
start=$(date +%s.%N)
echo "run-in-vm: booting (v4l2loopback $(cat "$tree/v4l2loopback.version"), kernel $MATTE_VM_ABI, timeout ${timeout_s}s, nice $nice_n): $(basename "$script") $*" >&2
timeout --kill-after=10 "$timeout_s" nice -n "$nice_n" "${qemu[@]}" </dev/null >"$results/.vm/qemu.log" 2>&1 &
qemu_pid=$!
tail_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    kill "$qemu_pid" 2>/dev/null || true
    [ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo "run-in-vm: interrupted; QEMU stopped" >&2; exit 130' INT TERM
if [ "$quiet" = 0 ]; then
    # The serial console ends kernel lines with \r\n: strip the \r so test summaries stand alone.
    tail -n +1 -f --pid="$qemu_pid" "$log" | sed -u 's/\r$//' &
    tail_pid=$!
fi
set +e
wait "$qemu_pid"
qemu_status=$?
set -e
[ -z "$tail_pid" ] || wait "$tail_pid" 2>/dev/null || true
tail_pid=""
sed -i 's/\r$//' "$log"
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

show_tail() { [ "$quiet" = 0 ] || { echo "---- last lines of $log ----" >&2; tail -n 40 "$log" >&2; }; }
# where_guest_was: which check (or step) the guest script was in, from the lines guest-lib.sh appends to
# .vm/progress ("check TIME NAME" when a check begins, "done TIME NAME" when it ends, "step TIME NAME"), and for how
# long (by the host's clock: the file's last change).
where_guest_was() {
    local progress=$results/.vm/progress last kind name since
    [ -s "$progress" ] || { echo "before its first check (no progress lines: see the console log)"; return; }
    last=$(tail -n 1 "$progress")
    kind=${last%% *} name=${last#* } name=${name#* }
    since=$(($(date +%s) - $(stat -c %Y "$progress")))
    case $kind in
        check) echo "during check: $name (begun ${since} s before)" ;;
        step) echo "in step: $name (begun ${since} s before)" ;;
        *) echo "after check: $name (ended ${since} s before; nothing was marked since)" ;;
    esac
}
if [ "$qemu_status" -eq 137 ] || [ "$qemu_status" -eq 124 ]; then
    # The console's end again (it was streamed above, unless --quiet), so the report stands together at the end.
    echo "---- last lines of $log ----" >&2
    tail -n "$([ "$quiet" = 1 ] && echo 40 || echo 15)" "$log" >&2
    echo "run-in-vm: timed out after ${timeout_s} s in $(basename "$script"), $(where_guest_was)" >&2
    die "the guest did not finish within ${timeout_s}s; QEMU was killed (console log: $log)" 124
fi
if [ ! -s "$results/.vm/exit-status" ]; then
    show_tail
    [ ! -s "$results/.vm/qemu.log" ] || { echo "---- QEMU said: ----" >&2; cat "$results/.vm/qemu.log" >&2; }
    die "the VM stopped after ${elapsed}s without the guest script's exit status (QEMU exit $qemu_status; boot failure or kernel panic? console log: $log)" 125
fi
status=$(cat "$results/.vm/exit-status")
boot=$(cat "$results/.vm/boot-seconds" 2>/dev/null || echo '?')
[ "$status" -eq 0 ] || show_tail
echo "run-in-vm: guest script exited $status; VM ran ${elapsed}s (guest root ready after ${boot}s of guest time); console log: $log" >&2
exit "$status"
