import CBLAS
import Foundation

/// Host memory for the CPU backend, 64-byte aligned.
final class HostStorage: BufferStorage {
    let byteCount: Int
    let pointer: UnsafeMutableRawPointer
    private let owned: Bool

    /// Throws instead of trapping when the system refuses the allocation.
    init(byteCount: Int) throws {
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, 64, max(byteCount, 1)) == 0, let memory else {
            throw RuntimeError.outOfDeviceMemory(requested: byteCount, device: "host", limit: Int(clamping: ProcessInfo.processInfo.physicalMemory))
        }
        self.byteCount = byteCount
        pointer = memory
        owned = true
    }

    /// Aliases memory owned by another storage.
    init(aliasing pointer: UnsafeMutableRawPointer, byteCount: Int) {
        self.pointer = pointer
        self.byteCount = byteCount
        owned = false
    }

    deinit { if owned { free(pointer) } }
}

/// The CPU backend: GEMM through OpenBLAS `cblas_sgemm`, the other ops in vectorised Swift split over
/// ``cpuThreadCount`` workers with fixed chunking (results do not depend on the thread count).
public final class CPUBackend: Device {
    public let kind = BackendKind.cpu
    public let deviceName: String
    public let pool: BufferPool
    public private(set) var traffic = DeviceTraffic()

    public init() {
        deviceName = CPUInfo.modelName
        pool = BufferPool { try HostStorage(byteCount: $0) }
        // The backend splits each GEMM over its own workers, so OpenBLAS runs single-threaded inside them
        // (no second thread pool spinning against the attention workers).
        openblas_set_num_threads(1)
    }

    public var memory: DeviceMemory {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return DeviceMemory(total: physical, largestAllocation: physical)
    }

    @inline(__always)
    func floats(_ buffer: Buffer) -> UnsafeMutablePointer<Float> {
        (buffer.storage as! HostStorage).pointer.assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    func ints(_ buffer: Buffer) -> UnsafeMutablePointer<Int32> {
        (buffer.storage as! HostStorage).pointer.assumingMemoryBound(to: Int32.self)
    }

    public func makeBuffer(count: Int, shape: [Int]?, elementType: ElementType) throws -> Buffer {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: 4)
        guard !overflow, bytes <= memory.total else {
            throw RuntimeError.outOfDeviceMemory(requested: overflow ? Int.max : bytes, device: deviceName, limit: memory.total)
        }
        let storage = try pool.take(bytes: bytes)
        return Buffer(storage: storage, count: count, shape: shape ?? [count], elementType: elementType, pool: pool)
    }

    public func upload(_ values: [Float], to buffer: Buffer, offset: Int) {
        precondition(offset >= 0 && offset + values.count <= buffer.count, "upload of \(values.count) values at \(offset) into a buffer of \(buffer.count)")
        values.withUnsafeBufferPointer { (floats(buffer) + offset).update(from: $0.baseAddress!, count: values.count) }
        traffic.countUpload(4 * values.count)
    }

    public func upload(_ values: [Int32], to buffer: Buffer, offset: Int) {
        precondition(offset >= 0 && offset + values.count <= buffer.count, "upload of \(values.count) values at \(offset) into a buffer of \(buffer.count)")
        values.withUnsafeBufferPointer { (ints(buffer) + offset).update(from: $0.baseAddress!, count: values.count) }
        traffic.countUpload(4 * values.count)
    }

    public func download(_ buffer: Buffer) -> [Float] {
        traffic.countDownload(4 * buffer.count)
        return Array(UnsafeBufferPointer(start: floats(buffer), count: buffer.count))
    }

    public func downloadInts(_ buffer: Buffer) -> [Int32] {
        traffic.countDownload(4 * buffer.count)
        return Array(UnsafeBufferPointer(start: ints(buffer), count: buffer.count))
    }

    public func startDownload(_ buffer: Buffer) -> PendingDownload { CompletedDownload(download(buffer)) }

    public func synchronize() {}

    public func prepare(headDims: [Int]) {}

    public func view(of buffer: Buffer, offset: Int, count: Int, shape: [Int], elementType: ElementType) throws -> Buffer {
        precondition(offset % viewAlignment == 0 && offset + count <= buffer.count, "view [\(offset), +\(count)) of a buffer of \(buffer.count)")
        let base = (buffer.storage as! HostStorage).pointer
        return Buffer(viewOf: buffer, storage: HostStorage(aliasing: base + offset * 4, byteCount: count * 4), count: count, shape: shape,
                      elementType: elementType)
    }
}

/// What the CPU reports about itself.
public enum CPUInfo {
    public static let modelName: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "CPU"
    }()
}
