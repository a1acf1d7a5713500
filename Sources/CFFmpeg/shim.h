#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <errno.h>
#include <stdio.h>

// AVERROR(...) and friends are function-like macros that Swift cannot import.
static inline int matte_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int matte_averror_eof(void) { return AVERROR_EOF; }
static inline int matte_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int matte_averror_external(void) { return AVERROR_EXTERNAL; }
static inline int64_t matte_av_nopts_value(void) { return AV_NOPTS_VALUE; }

// FFmpeg's decoders report a frame they could not allocate as damaged data (h264 says "decode_slice_header
// error" and returns AVERROR_INVALIDDATA), so memory running out would pass for a damaged file. Watched, the
// default allocator's failure sets *failed (context->opaque): Matte can then say what really happened.
// Frame threads copy opaque and get_buffer2 from the user's context, so they are watched too.
static int matte_watched_get_buffer2(AVCodecContext *context, AVFrame *frame, int flags) {
    int status = avcodec_default_get_buffer2(context, frame, flags);
    if (status < 0 && context->opaque) __atomic_store_n((int *)context->opaque, 1, __ATOMIC_RELAXED);
    return status;
}
static inline void matte_watch_frame_allocations(AVCodecContext *context, int *failed) {
    context->opaque = failed;
    context->get_buffer2 = matte_watched_get_buffer2;
#if FF_API_THREAD_SAFE_CALLBACKS
    // The callback is thread-safe (an atomic store): say so, or libavcodec 59 hands every frame thread's
    // allocation to the calling thread. (Deprecated because from libavcodec 60 it is always assumed.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    context->thread_safe_callbacks = 1;
#pragma GCC diagnostic pop
#endif
}
static inline int matte_frame_allocation_failed(const int *failed) { return __atomic_load_n(failed, __ATOMIC_RELAXED); }

// libx264 prints its errors (a failed allocation above all) with fprintf on stdio's stderr, not through
// av_log. Pointing stdio's stderr elsewhere while Matte calls into an encoder keeps those lines off the
// terminal and lets Matte read them; returns the stream it replaced, to put back.
static inline FILE *matte_swap_stdio_stderr(FILE *to) {
    FILE *was = stderr;
    stderr = to;
    return was;
}

