import U2ADData
import U2ADRuntime

/// Refuses, with one line, what would not fit in the memory a backend has left, before it is allocated.
public enum MemoryCheck {
    /// Bytes `backend` can still give: on the CPU what the host has available (nil when unknown), on an OpenCL
    /// device its global memory less what its buffer pool holds.
    public static func available(on backend: Backend) -> Int? {
        switch backend.kind {
        case .cpu: return MemoryBudget.available
        case .openCL: return max(backend.memory.total - backend.pool.bytesInUse, 0)
        }
    }

    /// Throws when `bytes` exceed ``available(on:)``; `what` says what needs them.
    public static func check(_ bytes: Int, for what: String, backend: Backend) throws {
        guard let available = available(on: backend), bytes > available else { return }
        throw ModelError.badInput("\(what) needs \(formatBytes(bytes)) of memory, \(formatBytes(available)) is available on \(backend.kind.rawValue) \(backend.deviceName)")
    }
}
