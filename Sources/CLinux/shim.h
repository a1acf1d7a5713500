// Linux and glibc interfaces that Glibc's Swift module does not import: signals read from a descriptor
// (signalfd) and a wake-up counter (eventfd), so one poll() waits for everything; malloc tuning; and the
// control socket's peer check.
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>

// The peer of a Unix socket (SO_PEERCRED). glibc declares `struct ucred` only under _GNU_SOURCE, which Swift's
// Glibc module does not set, so the kernel's layout is spelled out here.
static inline int matte_peer_credentials(int fd, int *pid, unsigned int *uid) {
    struct { int pid; unsigned int uid; unsigned int gid; } credentials;
    socklen_t size = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return -1;
    *pid = credentials.pid;
    *uid = credentials.uid;
    return 0;
}
