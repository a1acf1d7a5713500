/// Numbers a kernel works on — coefficients, rows, lookup tables — allocated once (64-byte aligned, every
/// element initialised) and freed with their owner, so no type keeps a hand-written list of buffers to
/// release. `pointer` stays valid, `count` elements long, for as long as the plane lives: keep the plane,
/// not the pointer.
public final class Plane<Element: BitwiseCopyable> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public init(count: Int, repeating value: Element) {
        precondition(count >= 0, "a plane has a size")
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Element>.stride,
            alignment: max(64, MemoryLayout<Element>.alignment)
        )
        pointer = raw.initializeMemory(as: Element.self, repeating: value, count: max(count, 1))
        self.count = count
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    @inlinable
    public subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
