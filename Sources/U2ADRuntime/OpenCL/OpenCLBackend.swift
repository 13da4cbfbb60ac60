import COpenCL
import Foundation

/// The OpenCL backend: every op is a kernel from its op folder, run on one device with one in-order queue.
///
/// Kernels are built on an op's first use (or all at once by ``prepare(headDims:)``) with the `-D` defines of the
/// device's tuning entry, and their handles kept per op (``OpenCLKernelSet``).
public final class OpenCLBackend: Device {
    public let kind = BackendKind.openCL
    public let device: OpenCLDevice
    public let pool: BufferPool
    public let settings: RuntimeSettings
    let context: OpenCLContext
    let compiler: OpenCLCompiler
    private var kernelSets: [ObjectIdentifier: OpenCLKernelSet] = [:]

    public var deviceName: String { device.name }
    public var memory: DeviceMemory { DeviceMemory(total: device.globalMemory, largestAllocation: device.maxAllocation) }

    public init(device: OpenCLDevice, settings: RuntimeSettings = .current) throws {
        self.device = device
        self.settings = settings
        let context = try OpenCLContext(device: device, profiling: Profiler.shared.isEnabled)
        self.context = context
        compiler = OpenCLCompiler(context: context, settings: settings)
        let allocator = OpenCLAllocator(context: context)
        pool = BufferPool { try allocator.allocate(bytes: $0) }
    }

    /// The kernels of one op, created on first use.
    func kernels<Set: OpenCLKernelSet>(_ type: Set.Type) throws -> Set {
        if let set = kernelSets[ObjectIdentifier(type)] { return set as! Set }
        let set = try Set(self)
        kernelSets[ObjectIdentifier(type)] = set
        return set
    }

    /// Builds every op's kernels now (attention for each of `headDims`), so that a build failure is an error before
    /// any work starts. The list comes from ``allOps``.
    public func prepare(headDims: [Int] = [8]) throws {
        for op in allOps { try op.prepare(self, headDims: headDims) }
    }

    @inline(__always)
    func memory(_ buffer: Buffer) -> cl_mem { (buffer.storage as! DeviceStorage).memory }

    public func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer {
        let storage = try pool.take(bytes: max(count, 1) * 4)
        return Buffer(storage: storage, count: count, shape: shape ?? [count], elementType: elementType, pool: pool)
    }

    public func upload(_ values: [Float], to buffer: Buffer, offset: Int) throws {
        precondition(offset >= 0 && offset + values.count <= buffer.count, "upload of \(values.count) values at \(offset) into a buffer of \(buffer.count)")
        try values.withUnsafeBytes { try context.write($0, to: memory(buffer), offset: 4 * offset) }
    }

    public func upload(_ values: [Int32], to buffer: Buffer, offset: Int) throws {
        precondition(offset >= 0 && offset + values.count <= buffer.count, "upload of \(values.count) values at \(offset) into a buffer of \(buffer.count)")
        try values.withUnsafeBytes { try context.write($0, to: memory(buffer), offset: 4 * offset) }
    }

    public func download(_ buffer: Buffer) throws -> [Float] {
        var values = [Float](repeating: 0, count: buffer.count)
        try values.withUnsafeMutableBytes { try read(buffer, into: $0) }
        return values
    }

    public func downloadInts(_ buffer: Buffer) throws -> [Int32] {
        var values = [Int32](repeating: 0, count: buffer.count)
        try values.withUnsafeMutableBytes { try read(buffer, into: $0) }
        return values
    }

    private func read(_ buffer: Buffer, into raw: UnsafeMutableRawBufferPointer) throws {
        try context.read(memory(buffer), into: raw, blocking: true)
    }

    public func startDownload(_ buffer: Buffer) throws -> PendingDownload {
        let download = OpenCLDownload(count: buffer.count)
        download.event = try context.read(memory(buffer), into: UnsafeMutableRawBufferPointer(download.storage), blocking: false)
        return download
    }

    public var traffic: DeviceTraffic { context.traffic }

    public func synchronize() throws { try context.finish() }

    public func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int], elementType: ElementType) throws -> Buffer {
        precondition(offset % viewAlignment == 0 && offset + count <= buffer.count, "view [\(offset), +\(count)) of a buffer of \(buffer.count)")
        var region = cl_buffer_region(origin: offset * 4, size: max(count, 1) * 4)
        var code: cl_int = 0
        guard let memory = clCreateSubBuffer(memory(buffer), cl_mem_flags(CL_MEM_READ_WRITE), cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION), &region, &code) else {
            throw RuntimeError.openCL(call: "clCreateSubBuffer(offset \(offset * 4) bytes)", code: code)
        }
        return Buffer(viewOf: buffer, storage: DeviceStorage(memory: memory, byteCount: count * 4), count: count, shape: shape, elementType: elementType)
    }
}

/// A read enqueued without waiting; the host array it fills stays alive with this object.
final class OpenCLDownload: PendingDownload {
    let storage: UnsafeMutableBufferPointer<Float>
    var event: cl_event?

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
    }

    deinit {
        if event != nil {
            clWaitForEvents(1, &event)
            clReleaseEvent(event)
        }
        storage.deallocate()
    }

    func values() throws -> [Float] {
        if event != nil {
            try check(clWaitForEvents(1, &event), "clWaitForEvents(download)")
            clReleaseEvent(event)
            event = nil
        }
        return Array(storage)
    }
}
