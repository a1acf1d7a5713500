// libpipewire-0.3 for Swift. The SPA POD builders and the core, registry and loop methods are macros and inline
// functions over callback tables, which Swift cannot call; each is wrapped here in one small function.
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/buffers.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>

// One EnumFormat: raw video in `format` at exactly this size and rate, BT.601 limited range (what Matte's YUV is).
static inline const struct spa_pod *matte_pw_video_format(
    uint8_t *buffer, uint32_t size, uint32_t format, uint32_t width, uint32_t height, uint32_t rate_num,
    uint32_t rate_denom) {
    struct spa_pod_builder builder = SPA_POD_BUILDER_INIT(buffer, size);
    struct spa_video_info_raw info = {
        .format = format,
        .size = SPA_RECTANGLE(width, height),
        .framerate = SPA_FRACTION(rate_num, rate_denom),
        .color_range = SPA_VIDEO_COLOR_RANGE_16_235,
        .color_matrix = SPA_VIDEO_COLOR_MATRIX_BT601,
    };
    return spa_format_video_raw_build(&builder, SPA_PARAM_EnumFormat, &info);
}

// The negotiated format's pixel format and size; 0 when `param` is not raw video.
static inline int matte_pw_parse_video_format(
    const struct spa_pod *param, uint32_t *format, uint32_t *width, uint32_t *height) {
    uint32_t media_type, media_subtype;
    struct spa_video_info_raw info = {0};
    if (spa_format_parse(param, &media_type, &media_subtype) < 0 || media_type != SPA_MEDIA_TYPE_video
        || media_subtype != SPA_MEDIA_SUBTYPE_raw || spa_format_video_raw_parse(param, &info) < 0)
        return 0;
    *format = info.format;
    *width = info.size.width;
    *height = info.size.height;
    return 1;
}

// The buffer parameters for a negotiated format (`count` buffers of one block each, mapped memory) and the
// header metadata that carries each frame's timestamp; writes two params to `params`.
static inline void matte_pw_buffer_params(
    uint8_t *buffer, uint32_t size, uint32_t frame_bytes, uint32_t stride, uint32_t count,
    const struct spa_pod **params) {
    struct spa_pod_builder builder = SPA_POD_BUILDER_INIT(buffer, size);
    params[0] = spa_pod_builder_add_object(&builder, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
        SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(count, 2, count),
        SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
        SPA_PARAM_BUFFERS_size, SPA_POD_Int(frame_bytes),
        SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
        SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemPtr) | (1 << SPA_DATA_MemFd)));
    params[1] = spa_pod_builder_add_object(&builder, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
        SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
        SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
}

static inline struct spa_meta_header *matte_pw_header(struct spa_buffer *buffer) {
    return (struct spa_meta_header *)spa_buffer_find_meta_data(buffer, SPA_META_Header, sizeof(struct spa_meta_header));
}

static inline int matte_pw_core_add_listener(
    struct pw_core *core, struct spa_hook *hook, const struct pw_core_events *events, void *data) {
    return pw_core_add_listener(core, hook, events, data);
}

static inline int matte_pw_core_sync(struct pw_core *core, int seq) { return pw_core_sync(core, PW_ID_CORE, seq); }

static inline struct pw_registry *matte_pw_core_get_registry(struct pw_core *core) {
    return pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
}

static inline int matte_pw_registry_add_listener(
    struct pw_registry *registry, struct spa_hook *hook, const struct pw_registry_events *events, void *data) {
    return pw_registry_add_listener(registry, hook, events, data);
}

static inline struct spa_source *matte_pw_loop_add_timer(struct pw_loop *loop, spa_source_timer_func_t func, void *data) {
    return pw_loop_add_timer(loop, func, data);
}

// Fires once, `milliseconds` from now.
static inline int matte_pw_loop_arm_timer(struct pw_loop *loop, struct spa_source *timer, uint64_t milliseconds) {
    struct timespec value = {(time_t)(milliseconds / 1000), (long)(milliseconds % 1000) * 1000000L};
    return pw_loop_update_timer(loop, timer, &value, NULL, false);
}

static inline void matte_pw_loop_destroy_source(struct pw_loop *loop, struct spa_source *source) {
    pw_loop_destroy_source(loop, source);
}
