#include <errno.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

// VIDIOC_* and V4L2_PIX_FMT_* are built with function-like macros Swift cannot import.
static const unsigned long matte_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long matte_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long matte_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long matte_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long matte_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long matte_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long matte_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long matte_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long matte_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long matte_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long matte_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long matte_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long matte_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long matte_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;
static const unsigned long matte_VIDIOC_SUBSCRIBE_EVENT = VIDIOC_SUBSCRIBE_EVENT;
static const unsigned long matte_VIDIOC_DQEVENT = VIDIOC_DQEVENT;

static const unsigned int matte_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const unsigned int matte_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const unsigned int matte_V4L2_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
static const unsigned int matte_V4L2_PIX_FMT_NV12 = V4L2_PIX_FMT_NV12;
static const unsigned int matte_V4L2_PIX_FMT_YUV420 = V4L2_PIX_FMT_YUV420;

// v4l2loopback's "a reader started or stopped streaming" event (0.12.8 and later; not in its uapi header).
static const unsigned int matte_V4L2_EVENT_PRI_CLIENT_USAGE = V4L2_EVENT_PRIVATE_START + 0x08E00000 + 1;

// ioctl is variadic in C; a fixed signature imports cleanly, and EINTR is retried here once for all.
static inline int matte_ioctl(int fd, unsigned long request, void *argument) {
    int result;
    do { result = ioctl(fd, request, argument); } while (result == -1 && errno == EINTR);
    return result;
}
