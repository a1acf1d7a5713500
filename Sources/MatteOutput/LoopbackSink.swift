import MatteCore
import MatteImaging

extension LoopbackOutput: FrameSink {
    public func write(_ frame: PixelBuffer) throws(PipelineError) {
        do { try send(frame) } catch { throw PipelineError(error.description) }
    }
}

extension ReaderMonitor: ReaderCount {}
