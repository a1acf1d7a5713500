import CV4L2
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// A capture device's mmap buffers, streaming: requested, mapped, queued and started in one step, and stopped and
/// unmapped in one step, so a camera and a reader of the virtual camera stream the same way.
final class StreamingBuffers {
    let device: VideoDevice
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private var streaming = false
    /// The error message when the device fails under us, naming what it is to the user.
    private let goneMessage: String

    init(device: VideoDevice, count: UInt32, goneMessage: String) throws(DeviceError) {
        self.device = device
        self.goneMessage = goneMessage
        var request = v4l2_requestbuffers()
        request.count = count
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try device.control(matte_VIDIOC_REQBUFS, &request, "requesting buffers")
        guard request.count >= 2 else { throw DeviceError(device.path, "gave only \(request.count) buffers") }
        // A failure from here on runs deinit, which unmaps what was mapped.
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            buffer.index = index
            try device.control(matte_VIDIOC_QUERYBUF, &buffer, "querying buffer \(index)")
            let mapped = mmap(
                nil,
                Int(buffer.length),
                PROT_READ | PROT_WRITE,
                MAP_SHARED,
                device.fd,
                off_t(buffer.m.offset)
            )
            guard let mapped, mapped != MAP_FAILED else { throw DeviceError.system(device.path, "mmap") }
            buffers.append(UnsafeMutableRawBufferPointer(start: mapped, count: Int(buffer.length)))
            try device.control(matte_VIDIOC_QBUF, &buffer, "queueing buffer \(index)")
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try device.control(matte_VIDIOC_STREAMON, &type, "starting the stream")
        streaming = true
    }

    deinit { stop() }

    /// Stops streaming and unmaps the buffers; the device closes when its owner releases it.
    func stop() {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = device.tryControl(matte_VIDIOC_STREAMOFF, &type)
            streaming = false
        }
        for buffer in buffers { munmap(buffer.baseAddress, buffer.count) }
        buffers = []
    }

    /// Waits up to `timeout` ms for a filled buffer and hands its bytes and descriptor to `body`, then queues it
    /// again; nil when nothing arrived. Throws when the device is gone (unplugged, unloaded) or failing.
    func next<Result>(
        timeout: Int32,
        _ body: (UnsafeRawBufferPointer, v4l2_buffer) -> Result
    ) throws(DeviceError) -> Result? {
        var poller = pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeout)
        if ready < 0 && errno == EINTR { return nil }
        guard ready >= 0 else { throw DeviceError.system(device.path, "poll") }
        guard ready > 0 else { return nil }
        if poller.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && poller.revents & Int16(POLLIN) == 0 {
            throw DeviceError(device.path, goneMessage, code: ENODEV)
        }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        if device.tryControl(matte_VIDIOC_DQBUF, &buffer) != 0 {
            let code = errno
            if code == EAGAIN { return nil }
            throw DeviceError.system(device.path, "reading a frame", code: code)
        }
        defer { _ = device.tryControl(matte_VIDIOC_QBUF, &buffer) }
        guard Int(buffer.index) < buffers.count else { return nil }
        let mapped = buffers[Int(buffer.index)]
        let used = min(Int(buffer.bytesused), mapped.count)
        return body(UnsafeRawBufferPointer(rebasing: mapped[0..<used]), buffer)
    }
}
