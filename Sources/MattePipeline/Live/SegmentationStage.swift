import Logging
import MatteCore
import MatteImaging

/// The segmentation thread's job: it alone runs the mask maker, on each model input the capture thread hands
/// it, and publishes the mask stamped with the input's frame.
// @unchecked: a stage is used by the one thread `LivePipeline.start` hands it to; what it shares with other
// threads it reaches through `PipelineState`, the mailboxes and `PipelineStatistics`, which lock themselves.
final class SegmentationStage: @unchecked Sendable {
    private let maker: PersonMaskMaker
    private let state: PipelineState
    private let inputs: InputMailbox
    private let masks: Mailbox<PersonMask>
    private let statistics: PipelineStatistics
    private let logger: Logger
    private var input: ModelInput
    private var mask: PersonMask

    init(
        maker: PersonMaskMaker,
        state: PipelineState,
        inputs: InputMailbox,
        masks: Mailbox<PersonMask>,
        statistics: PipelineStatistics,
        logger: Logger
    ) {
        self.maker = maker
        self.state = state
        self.inputs = inputs
        self.masks = masks
        self.statistics = statistics
        self.logger = logger
        input = ModelInput(width: maker.inputWidth, height: maker.inputHeight)
        mask = PersonMask(width: maker.maskWidth, height: maker.maskHeight)
    }

    func run() {
        var announcedFirstMask = false
        var previous: FrameStamp? = nil
        while !state.stopping {
            guard inputs.take(&input, after: input.stamp.sequence, timeout: 0.25) else { continue }
            defer { inputs.finished() }
            // A recurrent network's memory of the scene no longer fits a new stretch of video or a mirrored one.
            if let previous, previous.stretch != input.stamp.stretch || previous.mirrored != input.stamp.mirrored {
                maker.resetState()
            }
            previous = input.stamp
            let start = monotonicMilliseconds()
            do {
                try maker.makeMask(from: input, into: &mask)
            } catch {
                logger.error("\(error)")
                continue
            }
            let took = monotonicMilliseconds() - start
            if !announcedFirstMask {
                logger.info("first person mask ready (inference \(Int(took.rounded())) ms)")
                announcedFirstMask = true
            }
            statistics.inference(took)
            mask.stamp = input.stamp
            masks.publish(&mask)
        }
    }
}
