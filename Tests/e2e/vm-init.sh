#!/bin/busybox sh
# shellcheck shell=dash
# /init of the e2e VM's initramfs (copied in by prepare-vm.sh; runs under busybox, not on the host).
# Mounts the host's root read-only over 9p with a tmpfs overlay on top, the results directory
# read-write, the prepared module tree at /lib/modules/$(uname -r); then runs the generated
# guest-main.sh (chrooted into the host's root) and writes its exit status for run-in-vm.sh.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /results
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

stop() { # stop: leave QEMU (-no-reboot turns the reboot into QEMU's exit)
    sync
    reboot -f
    sleep 5; echo o >/proc/sysrq-trigger
}
fail() {
    echo "vm-init: error: $*"
    stop
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stty -onlcr 2>/dev/null   # plain \n line ends from user space on the serial console
echo "vm-init: kernel up after $(cut -d' ' -f1 /proc/uptime) s"

for module in $(cat /mods/order); do
    insmod "/mods/$module" || fail "insmod $module failed"
done

# msize: 9p's per-message payload; bigger is faster for the many shared-library reads.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro,cache=loose hostroot /lower \
    || fail "cannot mount the host's root (9p tag hostroot)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=none results /results \
    || fail "cannot mount the results directory (9p tag results)"
[ -f /results/.vm/init.conf ] || fail "no /results/.vm/init.conf (run-in-vm.sh writes it)"
. /results/.vm/init.conf   # RESULTS_PATH MODULES_PATH GUEST_MAIN TMPFS_SIZE

mount -t tmpfs -o "mode=755,size=$TMPFS_SIZE" tmpfs /rw || fail "cannot mount the overlay's tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
    || fail "cannot mount the overlay over the host's root"

n=/newroot
mount -t proc proc "$n/proc"
mount -t sysfs sysfs "$n/sys"
mount -t devtmpfs devtmpfs "$n/dev"
# What udev/systemd would add (bash's <(...) needs /dev/fd).
ln -sf /proc/self/fd "$n/dev/fd"
ln -sf /proc/self/fd/0 "$n/dev/stdin"
ln -sf /proc/self/fd/1 "$n/dev/stdout"
ln -sf /proc/self/fd/2 "$n/dev/stderr"
mkdir -p "$n/dev/pts" "$n/dev/shm"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$n/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$n/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$n/run"
# /tmp is left as the overlay has it (the host's, writable, writes kept in the guest): the repo may
# live under /tmp (a CI clone), and a fresh tmpfs would hide it.
# The results directory, at the host's path and at /results.
mkdir -p "$n$RESULTS_PATH" "$n/results"
mount -o bind /results "$n$RESULTS_PATH" || fail "cannot bind the results directory to $RESULTS_PATH"
mount -o bind /results "$n/results"
# The prepared module tree (kernel modules + the chosen v4l2loopback) where modprobe looks.
release=$(uname -r)
mkdir -p "$n/lib/modules/$release"
mount -o bind "$n$MODULES_PATH" "$n/lib/modules/$release" || fail "cannot bind the module tree $MODULES_PATH"

cut -d' ' -f1 /proc/uptime >/results/.vm/boot-seconds
echo "vm-init: root ready after $(cat /results/.vm/boot-seconds) s; running the guest script"
chroot "$n" /bin/bash "$GUEST_MAIN" </dev/null
status=$?
echo "$status" >/results/.vm/exit-status
echo "vm-init: guest script exited $status after $(cut -d' ' -f1 /proc/uptime) s"
stop
