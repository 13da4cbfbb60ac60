/// Element types a device buffer can hold. Both are four bytes wide.
public enum ElementType: Sendable {
    case float32
    case int32
}

/// Backend-specific storage behind a ``Buffer``.
public protocol BufferStorage: AnyObject {
    /// Size in bytes.
    var byteCount: Int { get }
}

/// A typed, shaped block of device memory owned by one backend.
///
/// Buffers come from the backend's size-bucketed pool and go back to it when released,
/// so steady-state training allocates nothing.
public final class Buffer {
    public let elementType: ElementType
    public private(set) var shape: [Int]
    public let count: Int
    let storage: BufferStorage
    private weak var pool: BufferPool?

    init(storage: BufferStorage, count: Int, shape: [Int], elementType: ElementType, pool: BufferPool?) {
        self.storage = storage
        self.count = count
        self.shape = shape
        self.elementType = elementType
        self.pool = pool
    }

    /// The buffer a view aliases, kept alive as long as the view.
    private var parent: Buffer?

    /// A view: aliases part of `parent`'s memory and never returns to the pool.
    init(viewOf parent: Buffer, storage: BufferStorage, count: Int, shape: [Int], elementType: ElementType) {
        self.storage = storage
        self.count = count
        self.shape = shape
        self.elementType = elementType
        self.parent = parent
        self.pool = nil
    }

    deinit { if parent == nil { pool?.recycle(storage, bytesInUse: count * 4) } }

    /// Reinterprets the buffer with another shape of the same element count.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape) changes the element count")
        shape = newShape
    }
}

/// Reuses freed device allocations by size bucket (powers of two above 4 KiB, rounded to 256 B below),
/// and tracks bytes in use and the peak.
public final class BufferPool {
    private var free: [Int: [BufferStorage]] = [:]
    public private(set) var bytesInUse = 0
    public private(set) var peakBytesInUse = 0
    /// Bytes held by the pool (in use plus cached for reuse).
    public private(set) var bytesReserved = 0
    private let allocate: (Int) throws -> BufferStorage

    init(allocate: @escaping (Int) throws -> BufferStorage) { self.allocate = allocate }

    static func bucket(for bytes: Int) -> Int {
        let minimum = max(bytes, 4)
        if minimum <= 4096 { return (minimum + 255) / 256 * 256 }
        var size = 4096
        while size < minimum { size <<= 1 }
        return size
    }

    func take(bytes: Int) throws -> BufferStorage {
        let size = BufferPool.bucket(for: bytes)
        let storage: BufferStorage
        if var list = free[size], let reused = list.popLast() {
            free[size] = list
            storage = reused
        } else {
            do { storage = try allocate(size) } catch {
                // Give cached blocks back to the device and try once more before failing.
                releaseCached()
                storage = try allocate(size)
            }
            bytesReserved += size
        }
        bytesInUse += bytes
        peakBytesInUse = max(peakBytesInUse, bytesInUse)
        return storage
    }

    func recycle(_ storage: BufferStorage, bytesInUse bytes: Int) {
        bytesInUse -= bytes
        free[storage.byteCount, default: []].append(storage)
    }

    /// Drops every cached block so its memory returns to the device.
    public func releaseCached() {
        for (size, list) in free { bytesReserved -= size * list.count }
        free.removeAll()
    }
}
