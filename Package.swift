// swift-tools-version:6.0
import PackageDescription

// The data path is capture → segmentation → compositing → output; each stage is a module, the
// inference engine (TFLite reader + XNNPACK) stands alone, and `matte` is a thin CLI over them.
let pixelKernelSettings: [SwiftSetting] = [
    // Hot pixel loops only vectorise to AVX2 when the compiler may assume it (see docs/performance.md).
    .unsafeFlags(["-target-cpu", "haswell"])
]

let package = Package(
    name: "Matte",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "matte", targets: ["matte"]),
        .library(name: "MatteInference", targets: ["MatteInference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CXNNPACK", path: "Sources/CXNNPACK"),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg"),
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),

        .target(name: "MatteInference", dependencies: ["CXNNPACK"]),
        .target(name: "MatteV4L2", dependencies: ["CV4L2"]),
        .target(
            name: "MatteCapture",
            dependencies: ["CV4L2", "CTurboJPEG", "MatteV4L2", "MatteImaging"],
            swiftSettings: pixelKernelSettings
        ),
        .target(name: "MatteOutput", dependencies: ["CV4L2", "MatteV4L2", "MatteCapture", "MatteImaging"]),
        .target(name: "MatteImaging", swiftSettings: pixelKernelSettings),
        .target(name: "MatteSegmentation", dependencies: ["MatteInference", "MatteImaging"]),
        .target(name: "MatteCompositing", dependencies: ["MatteImaging"], swiftSettings: pixelKernelSettings),
        .target(name: "MatteMedia", dependencies: ["CFFmpeg", "CTurboJPEG", "MatteImaging"]),
        .target(
            name: "MattePipeline",
            dependencies: [
                "MatteCapture", "MatteSegmentation", "MatteCompositing", "MatteMedia", "MatteOutput",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "matte",
            dependencies: [
                "MatteInference", "MatteImaging", "MatteSegmentation", "MatteCompositing", "MatteMedia",
                "MattePipeline",
                "MatteV4L2", "MatteCapture", "MatteOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(name: "MatteTestSupport", dependencies: ["MatteSegmentation"], path: "Tests/MatteTestSupport"),
        .testTarget(name: "MatteInferenceTests", dependencies: ["MatteInference", "MatteTestSupport"]),
        .testTarget(name: "MatteImagingTests", dependencies: ["MatteImaging", "MatteTestSupport"]),
        .testTarget(
            name: "MatteSegmentationTests",
            dependencies: ["MatteSegmentation", "MatteMedia", "MatteTestSupport"]
        ),
        .testTarget(name: "MatteMediaTests", dependencies: ["MatteMedia", "MatteTestSupport"]),
        .testTarget(name: "MatteCompositingTests", dependencies: ["MatteCompositing", "MatteTestSupport"]),
        .testTarget(
            name: "MattePipelineTests",
            dependencies: [
                "MattePipeline", "MatteCompositing", "MatteImaging", "MatteTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "MatteCaptureTests", dependencies: ["MatteCapture", "MatteMedia", "MatteTestSupport"]),
    ]
)
