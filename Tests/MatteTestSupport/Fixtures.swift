import Foundation
import MatteSegmentation
import Testing

/// Reference data made by scripts/make-golden.sh (see Tests/Fixtures/README.md).
public enum Fixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// A raw little-endian float32 fixture.
    public static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    /// An installed MediaPipe model; tests need scripts/setup-models.sh to have run.
    public static func modelPath(_ choice: ModelChoice) throws -> String {
        try ModelLocator.path(for: choice)
    }

    public static func modelBytes(_ choice: ModelChoice) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try modelPath(choice))))
    }
}

/// A small deterministic generator (SplitMix64), so randomised tests repeat exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

extension Fixtures {
    /// Whether scripts/setup-models.sh has installed both MediaPipe models.
    public static var modelsInstalled: Bool {
        (try? ModelLocator.path(for: .general)) != nil && (try? ModelLocator.path(for: .landscape)) != nil
    }
}

extension Trait where Self == ConditionTrait {
    /// For tests that run or read the MediaPipe models (never committed): where they are not installed the
    /// test is skipped and says why, rather than failing on a missing file.
    public static var needsModels: Self {
        .enabled(if: Fixtures.modelsInstalled, "the MediaPipe models are not installed; run scripts/setup-models.sh")
    }
}

extension Fixtures {
    /// Robust Video Matting's ONNX export (never committed), where models are looked for: the first models
    /// directory (`ModelLocator.searchDirectories()`) that holds it, or nil.
    public static var rvmModelPath: String? {
        ModelLocator.searchDirectories().map { $0 + "/rvm_mobilenetv3_fp32.onnx" }
            .first { FileManager.default.isReadableFile(atPath: $0) }
    }
}

extension Trait where Self == ConditionTrait {
    /// For tests that read Robust Video Matting's ONNX model: skipped, saying why, where it is not installed.
    public static var needsRVMModel: Self {
        .enabled(
            if: Fixtures.rvmModelPath != nil,
            "rvm_mobilenetv3_fp32.onnx is not in any models directory (\(ModelLocator.searchDirectories().joined(separator: ", ")))"
        )
    }
}
