import CFFmpeg

/// Turns interlaced pictures (two fields woven into one frame, from TV and camcorders) into progressive ones,
/// one frame out per frame in, with FFmpeg's `bwdif` filter. Segmentation, blur and the encoder all treat a
/// frame as one moment; fed woven fields they see (and bake in) combing on everything that moves. Frames not
/// flagged interlaced pass through untouched (`deint=interlaced`), so a stream that mixes both is fine.
///
/// `bwdif` looks at the next picture too: it holds one back, so `pull` says EAGAIN until the next `push`,
/// and `push(nil)` at the end lets the last one out.
final class Deinterlacer {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    private(set) var flushed = false

    /// A graph for pictures like `first` (size, pixel format, aspect), timed in `timeBase`.
    init(first: UnsafeMutablePointer<AVFrame>, timeBase: AVRational, path: String) throws(MediaError) {
        guard let graph = avfilter_graph_alloc() else { throw MediaError(path, "not enough memory to deinterlace") }
        self.graph = graph
        let base = timeBase.num > 0 && timeBase.den > 0 ? timeBase : AVRational(num: 1, den: 90_000)
        let aspect = first.pointee.sample_aspect_ratio
        let arguments =
            "video_size=\(first.pointee.width)x\(first.pointee.height):pix_fmt=\(first.pointee.format)"
            + ":time_base=\(base.num)/\(base.den)"
            + ":pixel_aspect=\(max(aspect.num, 0))/\(aspect.den > 0 ? aspect.den : 1)"
        var source: UnsafeMutablePointer<AVFilterContext>? = nil
        var sink: UnsafeMutablePointer<AVFilterContext>? = nil
        var deinterlace: UnsafeMutablePointer<AVFilterContext>? = nil
        var status = avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", arguments, nil, graph)
        if status >= 0 {
            status = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, graph)
        }
        if status >= 0 {
            // send_frame: one frame per frame, so the frame count and timestamps stay the input's.
            status = avfilter_graph_create_filter(
                &deinterlace,
                avfilter_get_by_name("bwdif"),
                "deinterlace",
                "mode=send_frame:parity=auto:deint=interlaced",
                nil,
                graph
            )
        }
        if status >= 0 { status = avfilter_link(source, 0, deinterlace, 0) }
        if status >= 0 { status = avfilter_link(deinterlace, 0, sink, 0) }
        if status >= 0 { status = avfilter_graph_config(graph, nil) }
        guard status >= 0, let source, let sink else {
            avfilter_graph_free(&self.graph)
            throw MediaError(path, "cannot deinterlace it", code: status)
        }
        self.source = source
        self.sink = sink
    }

    deinit { avfilter_graph_free(&graph) }

    /// Hands a decoded picture over (its buffers are referenced, not taken), or nil at the end of the stream.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) -> Int32 {
        if frame == nil { flushed = true }
        return av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF))
    }

    /// The next progressive picture into `frame`: 0, EAGAIN (push more first) or EOF (after the flush).
    func pull(into frame: UnsafeMutablePointer<AVFrame>) -> Int32 {
        av_buffersink_get_frame(sink, frame)
    }
}
