import CV4L2
import MatteV4L2

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// Knows whether any application is reading the virtual camera, so the real camera can be closed when
/// nobody watches. Uses v4l2loopback's client-usage event where the module has it (0.12.8+); otherwise
/// counts opens and closes of the device node with inotify.
public final class ReaderMonitor {
    public enum Method: String, Sendable {
        case clientUsageEvent = "v4l2loopback event"
        case inotify = "inotify"
    }

    public let method: Method
    /// The descriptor to poll: the device itself (POLLPRI) or the inotify instance (POLLIN).
    public let fd: Int32
    public let events: Int16
    private let device: VideoDevice
    private var readers = 0
    private var ownsFD = false

    public init(device: VideoDevice) throws(DeviceError) {
        self.device = device
        var subscription = v4l2_event_subscription()
        subscription.type = matte_V4L2_EVENT_PRI_CLIENT_USAGE
        subscription.flags = UInt32(V4L2_EVENT_SUB_FL_SEND_INITIAL)
        if device.tryControl(matte_VIDIOC_SUBSCRIBE_EVENT, &subscription) == 0 {
            method = .clientUsageEvent
            fd = device.fd
            events = Int16(POLLPRI)
        } else {
            let watcher = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard watcher >= 0,
                FileName.withCString(device.path, { inotify_add_watch(watcher, $0, UInt32(IN_OPEN | IN_CLOSE)) }) >= 0
            else {
                throw DeviceError.system(device.path, "watching for readers")
            }
            method = .inotify
            fd = watcher
            events = Int16(POLLIN)
            ownsFD = true
        }
    }

    deinit { if ownsFD { close(fd) } }

    /// Reads what happened since the last call (call when `fd` polls ready) and returns the number of readers.
    public func update() -> Int {
        switch method {
        case .clientUsageEvent:
            var event = v4l2_event()
            while device.tryControl(matte_VIDIOC_DQEVENT, &event) == 0 {
                if event.type == matte_V4L2_EVENT_PRI_CLIENT_USAGE {
                    // The event's payload starts with a 32-bit reader count.
                    readers = Int(withUnsafeBytes(of: event.u) { $0.load(as: UInt32.self) })
                }
            }
        case .inotify:
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let (mask, length) = buffer.withUnsafeBytes { raw in
                        (
                            raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                            Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                        )
                    }
                    if mask & UInt32(IN_OPEN) != 0 { readers += 1 }
                    if mask & UInt32(IN_CLOSE) != 0 { readers = max(readers - 1, 0) }
                    offset += MemoryLayout<inotify_event>.size + length
                }
            }
        }
        return readers
    }
}
