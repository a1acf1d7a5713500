#!/usr/bin/env python3
"""What systemd's notify socket sees, for Tests/e2e/service.sh (runs in the e2e VM; standard library only).

Usage: notify-listener.py SOCKET LOGFILE [--ready-check DEVICE]

Binds a unix datagram socket at SOCKET (a leading '@' means the abstract namespace, as in $NOTIFY_SOCKET),
with SO_PASSCRED so every datagram carries its sender's pid (as systemd checks it), and appends one line per
assignment in each datagram to LOGFILE:

    MONOTONIC REALTIME PID ASSIGNMENT        e.g. "1234.567890 1764690000.123456 812 WATCHDOG=1"

MONOTONIC is time.monotonic(), REALTIME time.time() (comparable with bash's $EPOCHREALTIME), PID the sender's
(0 if the kernel gave no credentials). LOGFILE is created (empty) only once the socket is bound, so a caller can
wait for it before starting the sender. Runs until SIGTERM/SIGINT.

--ready-check DEVICE: on READY=1, stop the sender at once (SIGSTOP), ask DEVICE (the v4l2loopback node) for its
capabilities, let the sender go on (SIGCONT), and log "READY-CHECK device_caps=0xNNNNNNNN capture=0|1 state=S".
With exclusive_caps=1 the loopback offers capture only once a producer has written a frame, so capture=1 means
the virtual camera already had its first frame when READY=1 was sent (the sender is frozen while we look).
"""
import array
import fcntl
import os
import signal
import socket
import struct
import sys
import time

VIDIOC_QUERYCAP = 0x80685600  # _IOR('V', 0, struct v4l2_capability), 104 bytes
V4L2_CAP_VIDEO_CAPTURE = 0x00000001


def device_caps(path):
    """device_caps of V4L2 node PATH (0 on failure, with the error in the second value)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError as error:
        return 0, str(error)
    try:
        buffer = array.array("B", bytes(104))
        fcntl.ioctl(fd, VIDIOC_QUERYCAP, buffer, True)
        raw = buffer.tobytes()
        capabilities, caps = struct.unpack_from("<II", raw, 84)
        # device_caps is valid when V4L2_CAP_DEVICE_CAPS (0x80000000) is set; else use capabilities.
        return (caps if capabilities & 0x80000000 else capabilities), ""
    except OSError as error:
        return 0, str(error)
    finally:
        os.close(fd)


def process_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def ready_check(pid, device):
    """Freezes PID, queries DEVICE, thaws PID; returns the log text."""
    stopped = False
    if pid > 0:
        try:
            os.kill(pid, signal.SIGSTOP)
            stopped = True
            deadline = time.monotonic() + 2
            while process_state(pid) not in ("T", "t") and time.monotonic() < deadline:
                time.sleep(0.001)
        except OSError:
            pass
    state = process_state(pid) if pid > 0 else "?"
    caps, error = device_caps(device)
    if stopped:
        os.kill(pid, signal.SIGCONT)
    capture = 1 if caps & V4L2_CAP_VIDEO_CAPTURE else 0
    text = f"READY-CHECK device_caps=0x{caps:08x} capture={capture} state={state}"
    return text + (f" error={error.replace(' ', '_')}" if error else "")


def main():
    args = sys.argv[1:]
    check_device = None
    if len(args) == 4 and args[2] == "--ready-check":
        check_device = args[3]
        args = args[:2]
    if len(args) != 2:
        sys.stderr.write("usage: notify-listener.py SOCKET LOGFILE [--ready-check DEVICE]\n")
        return 2
    address, logfile = args
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if address.startswith("@"):
        sock.bind("\0" + address[1:])
    else:
        try:
            os.unlink(address)
        except FileNotFoundError:
            pass
        sock.bind(address)
        os.chmod(address, 0o777)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ucred_size = struct.calcsize("3i")
    with open(logfile, "a", buffering=1) as log:
        while True:
            data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(ucred_size))
            mono, real = time.monotonic(), time.time()
            pid = 0
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= ucred_size:
                    pid = struct.unpack("3i", payload[:ucred_size])[0]
            lines = data.decode("utf-8", "replace").split("\n")
            for line in lines:
                if line:
                    log.write(f"{mono:.6f} {real:.6f} {pid} {line.replace(' ', '_')}\n")
            if check_device and "READY=1" in lines:
                check_device_now, check_device = check_device, None  # once
                text = ready_check(pid, check_device_now)
                log.write(f"{time.monotonic():.6f} {time.time():.6f} {pid} {text}\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
