import CFFmpeg

#if canImport(Glibc)
import Glibc
#endif

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
    private let filters: FilterLibrary

    init(first: UnsafeMutablePointer<AVFrame>, timeBase: AVRational, path: String) throws(MediaError) {
        switch FilterLibrary.shared {
        case let .success(library): filters = library
        case let .failure(problem):
            throw MediaError(path, "is interlaced, and deinterlacing needs FFmpeg's libavfilter: \(problem)")
        }
        guard let graph = filters.graphAlloc() else { throw MediaError(path, "not enough memory to deinterlace") }
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
        var status = filters.createFilter(&source, filters.filterNamed("buffer"), "in", arguments, nil, graph)
        if status >= 0 {
            status = filters.createFilter(&sink, filters.filterNamed("buffersink"), "out", nil, nil, graph)
        }
        if status >= 0 {
            // send_frame: one frame per frame, so the frame count and timestamps stay the input's.
            status = filters.createFilter(
                &deinterlace,
                filters.filterNamed("bwdif"),
                "deinterlace",
                "mode=send_frame:parity=auto:deint=interlaced",
                nil,
                graph
            )
        }
        if status >= 0 { status = filters.link(source, 0, deinterlace, 0) }
        if status >= 0 { status = filters.link(deinterlace, 0, sink, 0) }
        if status >= 0 { status = filters.graphConfig(graph, nil) }
        guard status >= 0, let source, let sink else {
            filters.graphFree(&self.graph)
            throw MediaError(path, "cannot deinterlace it", code: status)
        }
        self.source = source
        self.sink = sink
    }

    deinit { filters.graphFree(&graph) }

    /// Hands a decoded picture over (its buffers are referenced, not taken), or nil at the end of the stream.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) -> Int32 {
        if frame == nil { flushed = true }
        return filters.addFrame(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF))
    }

    /// The next progressive picture into `frame`: 0, EAGAIN (push more first) or EOF (after the flush).
    func pull(into frame: UnsafeMutablePointer<AVFrame>) -> Int32 {
        filters.getFrame(sink, frame)
    }
}

/// libavfilter's functions, opened the first time a file needs deinterlacing. Linked at start, its dependency
/// tree (speech voices, SVG, Vulkan, audio DSP: 33 libraries) costs every Matte process ~11 MB resident, and only
/// interlaced files use it. The .deb still depends on it (`scripts/package-deb.sh`).
struct FilterLibrary {
    let graphAlloc: @convention(c) () -> UnsafeMutablePointer<AVFilterGraph>?
    let graphFree: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVFilterGraph>?>?) -> Void
    let graphConfig: @convention(c) (UnsafeMutablePointer<AVFilterGraph>?, UnsafeMutableRawPointer?) -> Int32
    let filterNamed: @convention(c) (UnsafePointer<CChar>?) -> UnsafePointer<AVFilter>?
    let createFilter:
        @convention(c) (
            UnsafeMutablePointer<UnsafeMutablePointer<AVFilterContext>?>?, UnsafePointer<AVFilter>?,
            UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<AVFilterGraph>?
        ) -> Int32
    let link:
        @convention(c) (UnsafeMutablePointer<AVFilterContext>?, UInt32, UnsafeMutablePointer<AVFilterContext>?, UInt32)
            -> Int32
    let addFrame:
        @convention(c) (UnsafeMutablePointer<AVFilterContext>?, UnsafeMutablePointer<AVFrame>?, Int32) -> Int32
    let getFrame: @convention(c) (UnsafeMutablePointer<AVFilterContext>?, UnsafeMutablePointer<AVFrame>?) -> Int32

    /// The library Matte was built against (its major version is its ABI), or why it cannot be opened.
    static let shared: Result<FilterLibrary, FilterLibraryProblem> = open(
        "libavfilter.so.\(LIBAVFILTER_VERSION_MAJOR)"
    )

    struct FilterLibraryProblem: Error, CustomStringConvertible {
        let description: String
    }

    static func open(_ name: String) -> Result<FilterLibrary, FilterLibraryProblem> {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(FilterLibraryProblem(description: dlerror().map { String(cString: $0) } ?? name))
        }
        // Kept open for the life of the process: the functions below point into it.
        func function<Function>(_ symbol: String) -> Function? {
            dlsym(handle, symbol).map { unsafeBitCast($0, to: Function.self) }
        }
        guard
            let graphAlloc: @convention(c) () -> UnsafeMutablePointer<AVFilterGraph>? = function(
                "avfilter_graph_alloc"
            ),
            let graphFree: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVFilterGraph>?>?) -> Void =
                function("avfilter_graph_free"),
            let graphConfig: @convention(c) (UnsafeMutablePointer<AVFilterGraph>?, UnsafeMutableRawPointer?) -> Int32 =
                function("avfilter_graph_config"),
            let filterNamed: @convention(c) (UnsafePointer<CChar>?) -> UnsafePointer<AVFilter>? =
                function("avfilter_get_by_name"),
            let createFilter:
                @convention(c) (
                    UnsafeMutablePointer<UnsafeMutablePointer<AVFilterContext>?>?, UnsafePointer<AVFilter>?,
                    UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?,
                    UnsafeMutablePointer<AVFilterGraph>?
                ) -> Int32 = function("avfilter_graph_create_filter"),
            let link:
                @convention(c) (
                    UnsafeMutablePointer<AVFilterContext>?, UInt32, UnsafeMutablePointer<AVFilterContext>?, UInt32
                ) -> Int32 = function("avfilter_link"),
            let addFrame:
                @convention(c) (UnsafeMutablePointer<AVFilterContext>?, UnsafeMutablePointer<AVFrame>?, Int32) -> Int32
                =
                function("av_buffersrc_add_frame_flags"),
            let getFrame:
                @convention(c) (UnsafeMutablePointer<AVFilterContext>?, UnsafeMutablePointer<AVFrame>?) -> Int32 =
                function("av_buffersink_get_frame")
        else {
            return .failure(FilterLibraryProblem(description: "\(name) lacks a function Matte calls"))
        }
        return .success(
            FilterLibrary(
                graphAlloc: graphAlloc,
                graphFree: graphFree,
                graphConfig: graphConfig,
                filterNamed: filterNamed,
                createFilter: createFilter,
                link: link,
                addFrame: addFrame,
                getFrame: getFrame
            )
        )
    }
}
