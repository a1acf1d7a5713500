import ArgumentParser
import MatteBenchmarks
import MatteFileNames
import MatteOutput
import MattePipeWire
import MatteSegmentation
import MatteV4L2

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract:
            "List cameras (with their formats, sizes and frame rates), v4l2loopback devices and PipeWire camera nodes."
    )

    func run() throws {
        let devices = DeviceCatalog.scan()
        var lines: [String] = []
        func print(_ line: String) { lines.append(line) }
        let cameras = devices.filter { !$0.isLoopback }
        let loopbacks = devices.filter(\.isLoopback)
        print("Cameras:")
        if cameras.isEmpty { print("  none found") }
        for camera in cameras {
            print("  \(camera.path)  \(camera.card) (\(camera.driver))")
            var byFormat: [String: [String]] = [:]
            var order: [String] = []
            for mode in camera.modes {
                let key = "\(mode.format) (\(mode.formatName))"
                if byFormat[key] == nil { order.append(key) }
                let rates = mode.rates.map { $0 == $0.rounded() ? "\(Int($0))" : format($0) }.joined(separator: "/")
                byFormat[key, default: []].append("\(mode.width)x\(mode.height)@\(rates)")
            }
            for key in order { print("    \(key): \(byFormat[key]!.joined(separator: " "))") }
        }
        print("Virtual cameras (v4l2loopback):")
        if loopbacks.isEmpty { print("  none found; load the module with: \(LoopbackOutput.recommendedModprobe)") }
        for loopback in loopbacks { print("  \(loopback.path)  \(loopback.card)") }
        print("PipeWire cameras (--output pipewire publishes \"\(PipeWireOutput.nodeDescription)\"):")
        do {
            let cameras = try PipeWireDaemon.cameras()
            if cameras.isEmpty { print("  none") }
            for camera in cameras { print("  node \(camera.id)  \(camera.description) (\(camera.name))") }
        } catch {
            print("  \(error)")
        }
        print("Models (--model):")
        for choice in [ModelChoice.general, .landscape, .rvm] {
            let purpose =
                choice == .rvm
                ? "Robust Video Matting: hair-level alpha at several times the CPU (GPL-3.0, package matte-model-rvm)"
                : "MediaPipe selfie segmentation (\(choice == .general ? "square" : "wide") frames)"
            let place = (try? ModelLocator.path(for: choice)).map { FileName.printable($0) } ?? "not installed"
            print("  \(choice)  \(purpose): \(place)")
        }
        try writeStdout(lines.map { $0 + "\n" }.joined())
    }
}
