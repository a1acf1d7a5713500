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
    /// Robust Video Matting, installed by `scripts/setup-models.sh --rvm` (GPL-3.0, never committed).
    public static var rvmModelPath: String? { try? ModelLocator.path(for: .rvm) }

    /// A raw little-endian uint16 fixture scaled to 0…1 (value ÷ 65535).
    public static func unitValues(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map {
                Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) / 65535
            }
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// For tests that run Robust Video Matting: skipped, saying why, where it is not installed.
    public static var needsRVM: Self {
        .enabled(
            if: Fixtures.rvmModelPath != nil,
            "Robust Video Matting is not installed; run scripts/setup-models.sh --rvm"
        )
    }
}
