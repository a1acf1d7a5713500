import Logging
import MatteCore
import MatteImaging
import MattePipeline
import MatteTestSupport

/// A live pipeline as the tests run it: a model-free mask maker, 15 masks a second at most, the sink at the
/// source's size, and the source reopened as itself unless `reopen` says otherwise.
func testPipeline(
    source: FrameSource,
    reopen: (() throws(PipelineError) -> FrameSource)? = nil,
    sink: FrameSink,
    settings: ProcessingSettings = ProcessingSettings(),
    maker: PersonMaskMaker = BrightnessMaskMaker(),
    inferenceRate: Double? = 15,
    logger: Logger = Logger(label: "test")
) throws -> LivePipeline {
    try LivePipeline(
        source: source,
        reopen: reopen ?? { source },
        sink: sink,
        outputSize: nil,
        maker: maker,
        settings: settings,
        inferenceRate: inferenceRate,
        logger: logger
    )
}
