// libFuzzer entry point for the .tflite reader (and, with MATTE_FUZZ_ENGINE, the XNNPACK graph builder).
// Built by scripts/fuzz-tflite.sh with `swiftc -sanitize=fuzzer,address` from the module's own sources.

#if canImport(Glibc)
import Glibc
#endif

private let buildEngine = getenv("MATTE_FUZZ_ENGINE") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLiteModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let model = try? TFLiteModel(bytes: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    if buildEngine, let engine = try? InferenceEngine(model: model) {
        try? engine.run()
    }
    return 0
}
