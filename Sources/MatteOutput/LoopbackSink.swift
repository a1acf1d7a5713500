import MatteCore
import MatteImaging

extension LoopbackOutput: FrameSink {
    /// v4l2loopback stamps frames itself when they are written; `captureTime` has nowhere to go.
    public func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        do { try send(frame) } catch { throw PipelineError(error.description) }
        return .written
    }
}

extension ReaderMonitor: ReaderCount {}
