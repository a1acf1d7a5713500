import Foundation
import MatteSegmentation
import Testing

@Suite struct ModelLocatorTests {
    @Test func searchOrderIsExplicitThenXDGThenSystem() {
        #expect(
            ModelLocator.searchDirectories(environment: ["MATTE_MODELS_DIR": "/m", "XDG_DATA_HOME": "/x", "HOME": "/h"])
                == ["/m", "/x/matte/models", "/usr/local/share/matte/models", "/usr/share/matte/models"]
        )
        #expect(
            ModelLocator.searchDirectories(environment: ["HOME": "/h"])
                == ["/h/.local/share/matte/models", "/usr/local/share/matte/models", "/usr/share/matte/models"]
        )
    }

    @Test func findsAnInstalledModelByName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matte-locator-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("selfie_segmentation_landscape.tflite")
        try Data([1]).write(to: file)
        #expect(try ModelLocator.path(for: .landscape, environment: ["MATTE_MODELS_DIR": directory.path]) == file.path)
    }

    // Whatever this machine has installed in /usr/share/matte (scripts/install.sh puts the package's models
    // there), the system directories searched are the test's own.
    @Test func missingModelSaysHowToInstallIt() {
        let error = #expect(throws: ModelNotInstalled.self) {
            try ModelLocator.path(
                for: .general,
                environment: ["MATTE_MODELS_DIR": "/nonexistent", "HOME": "/nonexistent"],
                system: ["/nonexistent-system/models"]
            )
        }
        #expect(error?.description.hasPrefix("model 'general' is not installed (looked in /nonexistent,") == true)
        #expect(error?.description.contains("/nonexistent-system/models") == true)
        #expect(error?.description.hasSuffix("install it with scripts/setup-models.sh") == true)
    }

    @Test func automaticChoiceFollowsTheFrameShape() {
        #expect(ModelChoice.automatic.resolved(frameWidth: 1280, frameHeight: 720) == .landscape)
        #expect(ModelChoice.automatic.resolved(frameWidth: 640, frameHeight: 480) == .general)
        #expect(ModelChoice.automatic.resolved(frameWidth: 512, frameHeight: 512) == .general)
        #expect(ModelChoice.general.resolved(frameWidth: 1280, frameHeight: 720) == .general)
        #expect(ModelChoice(argument: "/tmp/x.tflite") == .file("/tmp/x.tflite"))
    }
}
