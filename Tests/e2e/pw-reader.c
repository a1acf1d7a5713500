// A PipeWire camera consumer for the tests, written against libpipewire alone (none of Matte's code), in the two
// ways consumers read a single-block raw video buffer:
//
//   pw-reader NODE FORMAT WIDTH HEIGHT MODE SKIP OUT
//     FORMAT  yuy2 | i420 | nv12
//     MODE    unpadded: asks for rows of exactly the width, as libwebrtc (Chromium, Firefox) does, and reads the
//                       planes back to back at that row length, as it does;
//             chunk:    asks for no row length and reads the layout from the buffer: the first plane's rows from
//                       the chunk's stride, the chroma planes' from what the chunk's size leaves after it.
//     SKIP    frames to let pass first (the producer's mask settling), then one frame is written to OUT with
//             unpadded planes (yuyv422, yuv420p or nv12 as ffmpeg names them).
// Exits 0 when the frame is written; 1 with one line on stderr when the buffer disagrees with the layout read
// (a chunk shorter than the planes, a stride below the width); 3 after 20 s without a frame.
//
// Built by the test that uses it: cc -O1 pw-reader.c $(pkg-config --cflags --libs libpipewire-0.3)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>

struct reader {
    struct pw_main_loop *loop;
    struct pw_stream *stream;
    uint32_t format, width, height;
    int unpadded, skip, status;
    const char *out;
};

static int fail(struct reader *r, const char *message, long a, long b) {
    fprintf(stderr, "pw-reader: ");
    fprintf(stderr, message, a, b);
    fprintf(stderr, "\n");
    r->status = 1;
    pw_main_loop_quit(r->loop);
    return -1;
}

// Bytes of one unpadded row of the first plane.
static uint32_t row_bytes(const struct reader *r) { return r->format == SPA_VIDEO_FORMAT_YUY2 ? r->width * 2 : r->width; }

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param) {
    struct reader *r = data;
    if (param == NULL || id != SPA_PARAM_Format) return;
    uint8_t buffer[512];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[2];
    struct spa_pod_frame frame;
    spa_pod_builder_push_object(&b, &frame, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers);
    if (r->unpadded) spa_pod_builder_add(&b, SPA_PARAM_BUFFERS_stride, SPA_POD_Int(row_bytes(r)), 0);
    spa_pod_builder_add(&b, SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(8, 1, 32),
        SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)), 0);
    params[0] = spa_pod_builder_pop(&b, &frame);
    params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
        SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header), SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
    pw_stream_update_params(r->stream, params, 2);
}

// Copies `rows` rows of `bytes` from `from` (rows `stride` apart) to `to`, unpadded.
static void copy_rows(FILE *to, const uint8_t *from, uint32_t stride, uint32_t bytes, uint32_t rows) {
    for (uint32_t row = 0; row < rows; row++) fwrite(from + (size_t)row * stride, 1, bytes, to);
}

static void write_frame(struct reader *r, const uint8_t *base, uint32_t size, int32_t chunk_stride) {
    uint32_t width = r->width, height = r->height, chroma_rows = (height + 1) / 2;
    uint32_t stride = row_bytes(r), chroma_stride = 0, chroma_bytes = 0;
    int planes = r->format == SPA_VIDEO_FORMAT_I420 ? 2 : 1;  // chroma planes
    if (r->format == SPA_VIDEO_FORMAT_I420) chroma_bytes = (width + 1) / 2;
    if (r->format == SPA_VIDEO_FORMAT_NV12) chroma_bytes = (width + 1) / 2 * 2;
    if (r->unpadded) {
        chroma_stride = chroma_bytes;
    } else {
        if (chunk_stride < (int32_t)stride) { fail(r, "chunk stride %ld is below a row of %ld bytes", chunk_stride, stride); return; }
        stride = (uint32_t)chunk_stride;
        if (chroma_bytes) {
            if (size < stride * height) { fail(r, "chunk of %ld bytes is shorter than the first plane (%ld)", size, stride * height); return; }
            chroma_stride = (size - stride * height) / (planes * chroma_rows);
        }
    }
    uint32_t needed = stride * height + planes * chroma_stride * chroma_rows;
    if (size < needed || (chroma_bytes && chroma_stride < chroma_bytes)) {
        fail(r, "chunk of %ld bytes does not hold the planes (%ld bytes)", size, needed);
        return;
    }
    FILE *to = fopen(r->out, "wb");
    if (to == NULL) { fail(r, "cannot write the frame (errno %ld)", errno, 0); return; }
    copy_rows(to, base, stride, row_bytes(r), height);
    for (int plane = 0; plane < planes && chroma_bytes; plane++)
        copy_rows(to, base + stride * height + plane * chroma_stride * chroma_rows, chroma_stride, chroma_bytes, chroma_rows);
    fclose(to);
    r->status = 0;
    pw_main_loop_quit(r->loop);
}

static void on_process(void *data) {
    struct reader *r = data;
    struct pw_buffer *buffer;
    while ((buffer = pw_stream_dequeue_buffer(r->stream)) != NULL) {
        struct spa_data *d = &buffer->buffer->datas[0];
        if (d->data != NULL && d->chunk->size > 0 && r->status == 3 && r->skip-- <= 0)
            write_frame(r, (const uint8_t *)d->data + d->chunk->offset, d->chunk->size, d->chunk->stride);
        pw_stream_queue_buffer(r->stream, buffer);
    }
}

static void on_timeout(void *data, uint64_t expirations) {
    (void)expirations;
    pw_main_loop_quit(((struct reader *)data)->loop);
}

static const struct pw_stream_events stream_events = {
    PW_VERSION_STREAM_EVENTS,
    .param_changed = on_param_changed,
    .process = on_process,
};

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: pw-reader NODE yuy2|i420|nv12 WIDTH HEIGHT unpadded|chunk SKIP OUT\n");
        return 2;
    }
    struct reader r = {.width = atoi(argv[3]), .height = atoi(argv[4]), .unpadded = strcmp(argv[5], "unpadded") == 0,
        .skip = atoi(argv[6]), .status = 3, .out = argv[7]};
    r.format = strcmp(argv[2], "i420") == 0 ? SPA_VIDEO_FORMAT_I420
        : strcmp(argv[2], "nv12") == 0     ? SPA_VIDEO_FORMAT_NV12
                                           : SPA_VIDEO_FORMAT_YUY2;
    pw_init(&argc, &argv);
    r.loop = pw_main_loop_new(NULL);
    r.stream = pw_stream_new_simple(pw_main_loop_get_loop(r.loop), "pw-reader",
        pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Camera", NULL),
        &stream_events, &r);
    uint8_t buffer[512];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
    const struct spa_pod *params[1];
    params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
        SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video), SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
        SPA_FORMAT_VIDEO_format, SPA_POD_Id(r.format),
        SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE(r.width, r.height)),
        SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(30, 1), &SPA_FRACTION(0, 1), &SPA_FRACTION(1000, 1)));
    pw_stream_connect(r.stream, PW_DIRECTION_INPUT, (uint32_t)atoi(argv[1]),
        PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 1);
    struct spa_source *timer = pw_loop_add_timer(pw_main_loop_get_loop(r.loop), on_timeout, &r);
    struct timespec twenty = {20, 0};
    pw_loop_update_timer(pw_main_loop_get_loop(r.loop), timer, &twenty, NULL, false);
    pw_main_loop_run(r.loop);
    if (r.status == 3) fprintf(stderr, "pw-reader: no frame from node %s within 20 s\n", argv[1]);
    pw_stream_destroy(r.stream);
    pw_main_loop_destroy(r.loop);
    pw_deinit();
    return r.status;
}
