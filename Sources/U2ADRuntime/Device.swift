/// Which kind of backend runs the ops.
public enum BackendKind: String, Sendable {
    case cpu
    case openCL = "opencl"
}

/// The memory a device offers, for planning batches by arithmetic rather than by trial.
public struct DeviceMemory: Sendable, Equatable {
    /// Bytes of memory the device has (physical memory for the CPU backend).
    public var total: Int
    /// The largest single buffer the device accepts.
    public var largestAllocation: Int
}

/// What every backend provides beside the ops: buffers, transfers and synchronisation. The ops themselves are one
/// protocol each, in `Ops/<Op>/<Op>.swift`; ``Backend`` is their composition.
///
/// A backend is used from one thread at a time (its launch path takes no lock). Every call that can fail on a device
/// (allocation, transfer, kernel build or launch) throws one line naming what failed; none ends the process.
public protocol Device: AnyObject {
    var kind: BackendKind { get }
    /// Device name as the driver reports it (or the CPU model for the CPU backend).
    var deviceName: String { get }
    var pool: BufferPool { get }
    var memory: DeviceMemory { get }

    /// A buffer of `count` elements from the pool; contents undefined.
    func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer
    /// Writes `values` into `buffer` from element `offset` on; may return before the device has them (later work on the
    /// backend sees them).
    func upload(_ values: [Float], to buffer: Buffer, offset: Int) throws
    func upload(_ values: [Int32], to buffer: Buffer, offset: Int) throws
    func download(_ buffer: Buffer) throws -> [Float]
    func downloadInts(_ buffer: Buffer) throws -> [Int32]
    /// Enqueues a download of `buffer` and returns without waiting for it (the CPU backend copies at once).
    func startDownload(_ buffer: Buffer) throws -> PendingDownload
    /// Bytes moved and kernels launched since the backend was created.
    var traffic: DeviceTraffic { get }
    /// Waits for queued work to finish.
    func synchronize() throws
    /// A buffer aliasing `count` elements of `buffer` from `offset`, which must be a multiple of ``viewAlignment``.
    func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int], elementType: ElementType) throws -> Buffer
    /// Builds whatever the ops need before work starts (OpenCL programs; attention for each of `headDims`), so that a
    /// build failure is an error at start-up rather than mid-run.
    func prepare(headDims: [Int]) throws
}

/// Offsets of buffer views are multiples of this many elements (1 KiB, above every OpenCL device's base-address alignment).
public let viewAlignment = 256

public extension Device {
    func upload(_ values: [Float], to buffer: Buffer) throws { try upload(values, to: buffer, offset: 0) }
    func upload(_ values: [Int32], to buffer: Buffer) throws { try upload(values, to: buffer, offset: 0) }

    /// A float32 buffer of the given shape.
    func makeBuffer(_ shape: [Int]) throws -> Buffer {
        try makeBuffer(count: shape.reduce(1, *), shape: shape, elementType: .float32)
    }

    /// A float32 buffer holding `values`.
    func makeBuffer(_ values: [Float], shape: [Int]? = nil) throws -> Buffer {
        let buffer = try makeBuffer(count: values.count, shape: shape ?? [values.count], elementType: .float32)
        try upload(values, to: buffer)
        return buffer
    }

    /// An int32 buffer holding `values`.
    func makeIndexBuffer(_ values: [Int32]) throws -> Buffer {
        let buffer = try makeBuffer(count: max(values.count, 1), shape: [values.count], elementType: .int32)
        if !values.isEmpty { try upload(values, to: buffer) }
        return buffer
    }

    /// A view with the element type of `buffer`.
    func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int]) throws -> Buffer {
        try view(of: buffer, offset: offset, count: count, shape: shape, elementType: buffer.elementType)
    }
}
