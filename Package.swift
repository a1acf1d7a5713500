// swift-tools-version:6.2
import PackageDescription

// The data path is capture → segmentation → compositing → output. MatteCore is the root every stage shares: it
// defines FrameSource, FrameSink, PipelineError and the clock, and depends on MatteImaging alone (for PixelBuffer,
// the frame type), so it knows no device, model or compositor. Each device module (MatteCapture, MatteOutput,
// MattePipeWire) brings its adapter on MatteCore, as a GStreamer element brings its pads. MattePipeline joins the
// stages (FrameProcessor, LivePipeline, LiveSession) on MatteCore, MatteControl (the control protocol, server and
// client; no XNNPACK, no compositor, so the preview links it alone) and MatteService (sd_notify, inotify,
// signals). MatteImaging holds the pixel buffer and the kernels every stage shares; MatteInference (TFLite reader
// + XNNPACK) stands alone but for MatteMemory, the one type that owns kernel memory; `matte` only parses and
// prints. MatteFileNames carries file names as bytes (names that are not UTF-8) to every module that hands a
// path to the system.

#if arch(x86_64)
// Hot pixel loops only vectorise to AVX2 when the compiler may assume it (see docs/performance.md).
let pixelKernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let pixelKernelSettings: [SwiftSetting] = []
#endif

// Debian's libpipewire-0.3-dev headers (pkg-config --cflags libpipewire-0.3, without its -D_REENTRANT).
let pipeWireHeaders: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-I/usr/include/pipewire-0.3", "-Xcc", "-I/usr/include/spa-0.2"])
]

// Our own code builds without warnings; a new one fails the build rather than piling up.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Matte",
    products: [
        .executable(name: "matte", targets: ["matte"]),
        .executable(name: "matte-preview", targets: ["matte-preview"]),
        .library(name: "MatteInference", targets: ["MatteInference"]),
    ],
    dependencies: [
        // Exact versions: Package.resolved cannot be committed here (see CONTRIBUTING.md), so the pins live here.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CXNNPACK", path: "Sources/CXNNPACK", providers: [.apt(["libxnnpack-dev"])]),
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            providers: [
                .apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libswscale-dev", "libswresample-dev"])
            ]
        ),
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2", providers: [.apt(["linux-libc-dev"])]),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux", providers: [.apt(["libc6-dev"])]),
        // No pkgConfig: libpipewire-0.3.pc adds -D_REENTRANT, which SwiftPM refuses with a warning; the include
        // paths come from `pipeWireHeaders` instead, in the one module that imports it (internally, so the
        // modules above it need no flags).
        .systemLibrary(name: "CPipeWire", path: "Sources/CPipeWire", providers: [.apt(["libpipewire-0.3-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG",
            path: "Sources/CTurboJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        // No pkgConfig: sdl2.pc adds -D_REENTRANT, which SwiftPM refuses with a warning; <SDL2/SDL.h> needs no flags.
        .systemLibrary(name: "CSDL2", path: "Sources/CSDL2", providers: [.apt(["libsdl2-dev"])]),

        .target(name: "MatteMemory", swiftSettings: strict),
        .target(name: "MatteFileNames", swiftSettings: strict),
        .target(name: "MatteImaging", dependencies: ["MatteMemory"], swiftSettings: pixelKernelSettings + strict),
        .target(
            name: "MatteInference",
            dependencies: ["CXNNPACK", "MatteMemory", "MatteFileNames"],
            swiftSettings: strict
        ),
        .target(
            name: "MatteSegmentation",
            dependencies: ["MatteInference", "MatteImaging", "MatteMemory", "MatteFileNames"],
            swiftSettings: strict
        ),
        .target(
            name: "MatteCompositing",
            dependencies: ["MatteImaging", "MatteMemory"],
            swiftSettings: pixelKernelSettings + strict
        ),
        .target(
            name: "MatteMedia",
            dependencies: ["CFFmpeg", "CTurboJPEG", "MatteImaging", "MatteMemory", "MatteFileNames"],
            swiftSettings: strict
        ),
        // MatteCore's one dependency is MatteImaging (PixelBuffer, the frame type): any stage or device module can
        // depend on it without pulling in models, XNNPACK, the compositor or a device.
        .target(name: "MatteCore", dependencies: ["MatteImaging"], swiftSettings: strict),
        .target(
            name: "MatteControl",
            dependencies: [
                "MatteCore", "MatteImaging", "MatteFileNames", "CLinux",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // MatteControl for UnixSocketAddress: sd_notify's socket is addressed as the control socket is.
        .target(
            name: "MatteService",
            dependencies: ["MatteCore", "MatteControl", "MatteFileNames", "CLinux"],
            swiftSettings: strict
        ),
        .target(
            name: "MattePipeline",
            dependencies: [
                "MatteCore", "MatteControl", "MatteService", "MatteSegmentation", "MatteCompositing", "MatteMedia",
                "MatteImaging", "MatteFileNames", "CLinux", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "MatteV4L2", dependencies: ["CV4L2", "MatteFileNames"], swiftSettings: strict),
        .target(
            name: "MatteCapture",
            dependencies: ["CV4L2", "CTurboJPEG", "MatteV4L2", "MatteImaging", "MatteMemory", "MatteCore"],
            swiftSettings: strict
        ),
        .target(
            name: "MatteOutput",
            dependencies: ["CV4L2", "MatteV4L2", "MatteImaging", "MatteMemory", "MatteCore", "MatteFileNames"],
            swiftSettings: strict
        ),
        .target(
            name: "MattePipeWire",
            dependencies: [
                "CPipeWire", "CLinux", "MatteImaging", "MatteCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: pipeWireHeaders + strict
        ),
        .target(
            name: "MatteDoctor",
            dependencies: [
                "MatteV4L2", "MatteCapture", "MatteOutput", "MattePipeWire", "MatteSegmentation", "MatteFileNames",
                "CV4L2",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MatteBenchmarks",
            dependencies: [
                "MatteImaging", "MatteSegmentation", "MatteCompositing", "MatteMedia", "MatteCore", "MattePipeline",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "matte",
            dependencies: [
                "MatteMemory", "MatteImaging", "MatteSegmentation", "MatteCompositing", "MatteMedia", "MatteCore",
                "MatteControl", "MatteService", "MattePipeline", "MatteV4L2", "MatteCapture", "MatteOutput",
                "MattePipeWire", "MatteBenchmarks", "MatteDoctor", "CLinux", "MatteFileNames",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Apart from `matte`: SDL loads X11, Wayland, PulseAudio and ALSA libraries, which the camera service
        // should not carry (docs/design/control-preview-framing.md, section 5). Nor does the preview carry the
        // pipeline (XNNPACK, the compositor): it needs the control client and the loopback reader, no more
        // (Tests/cli/cli-tests.sh checks its ldd and symbols).
        .target(
            name: "MattePreview",
            dependencies: [
                "CSDL2", "MatteCapture", "MatteV4L2", "MatteImaging", "MatteMedia", "MatteControl", "MatteFileNames",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "matte-preview",
            dependencies: [
                "MattePreview", "MatteControl", "MatteV4L2", "MatteFileNames",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "MatteTestSupport",
            dependencies: ["MatteSegmentation", "MatteCore", "MatteControl"],
            path: "Tests/MatteTestSupport"
        ),
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(name: "MatteFileNamesTests", dependencies: ["MatteFileNames"]),
        .testTarget(name: "MatteInferenceTests", dependencies: ["MatteInference", "MatteTestSupport"]),
        .testTarget(name: "MatteImagingTests", dependencies: ["MatteImaging", "MatteTestSupport"]),
        .testTarget(
            name: "MatteSegmentationTests",
            dependencies: ["MatteSegmentation", "MatteMedia", "MatteTestSupport"]
        ),
        .testTarget(name: "MatteMediaTests", dependencies: ["MatteMedia", "MatteTestSupport"]),
        .testTarget(name: "MatteCompositingTests", dependencies: ["MatteCompositing", "MatteTestSupport"]),
        // The control protocol and the service plumbing are tested without models; MattePipelineTests runs them.
        .testTarget(name: "MatteControlTests", dependencies: ["MatteControl", "MatteTestSupport", "MatteFileNames"]),
        .testTarget(name: "MatteServiceTests", dependencies: ["MatteService", "MatteCore", "MatteTestSupport"]),
        .testTarget(
            name: "MattePipelineTests",
            dependencies: [
                "MattePipeline", "MatteCore", "MatteControl", "MatteService", "MatteCompositing", "MatteImaging",
                "MatteTestSupport", "MatteFileNames",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "MatteCaptureTests", dependencies: ["MatteCapture", "MatteMedia", "MatteTestSupport"]),
        .testTarget(name: "MattePreviewTests", dependencies: ["MattePreview"]),
        .testTarget(name: "MattePipeWireTests", dependencies: ["MattePipeWire", "MatteImaging", "MatteTestSupport"]),
        .testTarget(name: "MatteDoctorTests", dependencies: ["MatteDoctor", "MatteSegmentation", "MatteTestSupport"]),
        .testTarget(name: "MatteCommandLineTests", dependencies: ["matte", "MattePipeline", "MatteTestSupport"]),
        .testTarget(
            name: "MatteBenchmarksTests",
            dependencies: ["MatteBenchmarks", "MatteImaging", "MatteTestSupport", "CAllocationCounter"]
        ),
    ]
)
