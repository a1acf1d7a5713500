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

// AVERROR(...) and friends are function-like macros that Swift cannot import.
static inline int matte_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int matte_averror_eof(void) { return AVERROR_EOF; }
static inline int matte_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t matte_av_nopts_value(void) { return AV_NOPTS_VALUE; }
