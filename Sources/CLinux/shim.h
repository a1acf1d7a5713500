// Linux and glibc interfaces that Glibc's Swift module does not import: signals read from a descriptor
// (signalfd) and a wake-up counter (eventfd), so one poll() waits for everything; and malloc tuning.
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
