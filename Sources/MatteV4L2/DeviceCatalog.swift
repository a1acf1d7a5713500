#if canImport(Glibc)
import Glibc
#endif

/// What `matte devices` shows: the cameras and the v4l2loopback devices on this machine.
public struct DeviceInfo: Sendable {
    public struct Mode: Sendable {
        public let format: FourCC
        public let formatName: String
        public let width: Int
        public let height: Int
        public let rates: [Double]

        public init(format: FourCC, formatName: String, width: Int, height: Int, rates: [Double]) {
            (self.format, self.formatName, self.width, self.height, self.rates) = (
                format, formatName, width, height, rates
            )
        }
    }

    public let path: String
    public let card: String
    public let driver: String
    public let isLoopback: Bool
    public let modes: [Mode]
}

public enum DeviceCatalog {
    /// /dev/video* in numeric order.
    public static func nodes(directory: String = "/dev") -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var numbers: [Int] = []
        while let entry = readdir(handle) {
            let name = cString(entry.pointee.d_name)
            if name.hasPrefix("video"), let number = Int(name.dropFirst(5)) { numbers.append(number) }
        }
        return numbers.sorted().map { "\(directory)/video\($0)" }
    }

    /// Every capture node (cameras) and every v4l2loopback node, with their capture modes.
    public static func scan() -> [DeviceInfo] {
        nodes().compactMap { path -> DeviceInfo? in
            guard let device = try? VideoDevice(path: path), let caps = try? device.capabilities() else { return nil }
            if caps.isLoopback {
                return DeviceInfo(path: path, card: caps.card, driver: caps.driver, isLoopback: true, modes: [])
            }
            // Metadata nodes of UVC cameras have no video capture capability.
            guard caps.canCapture, caps.canStream else { return nil }
            var modes: [DeviceInfo.Mode] = []
            for (format, name) in device.formats() {
                for size in device.frameSizes(format) {
                    modes.append(
                        .init(
                            format: format,
                            formatName: name,
                            width: size.width,
                            height: size.height,
                            rates: device.frameRates(format, width: size.width, height: size.height)
                        )
                    )
                }
            }
            return DeviceInfo(path: path, card: caps.card, driver: caps.driver, isLoopback: false, modes: modes)
        }
    }

    /// The first real camera, if any.
    public static func firstCamera() -> String? { scan().first { !$0.isLoopback }?.path }

    /// The first v4l2loopback device, if any.
    public static func firstLoopback() -> String? { scan().first { $0.isLoopback }?.path }
}
