import Foundation
import U2ADModel
import U2ADRuntime

/// How many MC passes run in one batch, and why.
public struct BatchPlan: Codable, Equatable, Sendable {
    /// Passes per batch (the workspace's batch capacity).
    public var capacity: Int
    /// Device bytes one more pass in the batch costs (workspace and index buffers).
    public var bytesPerPass: Int
    /// Bytes the plan allows for per-pass buffers.
    public var budgetBytes: Int
    public var reason: String

    public init(capacity: Int, bytesPerPass: Int, budgetBytes: Int, reason: String) {
        self.capacity = capacity
        self.bytesPerPass = bytesPerPass
        self.budgetBytes = budgetBytes
        self.reason = reason
    }

    /// No batches ran (maps computed without the network).
    public static let none = BatchPlan(capacity: 0, bytesPerPass: 0, budgetBytes: 0, reason: "no network inference")
}

/// Plans the batch of MC passes from the device's limits.
public enum BatchPlanner {
    /// Largest batch on the CPU backend.
    public static let cpuBatchLimit = 32
    /// Fraction of an OpenCL device's global memory the plan may use.
    public static let deviceMemoryFraction = 0.8
    /// Fraction of physical memory the CPU plan may use.
    public static let hostMemoryFraction = 0.25

    /// Device bytes one more pass in a batch costs: the workspace arena's growth from a batch of one to two
    /// (plain arithmetic over ``UGMAE/Workspace/layout(_:batch:training:)``, the mask's row maps included) and, for
    /// inference, one slice slot (moments and region, ``SliceSlots``).
    public static func bytesPerPass(_ c: UGMAEConfiguration, training: Bool) -> Int {
        let arena = UGMAE.Workspace.bytes(c, batch: 2, training: training) - UGMAE.Workspace.bytes(c, batch: 1, training: training)
        return max(1, arena) + (training ? 0 : SliceSlots.bytesPerSlot(c))
    }

    /// The most passes a batch may hold on an OpenCL device: the kernels index a workspace buffer with 32-bit
    /// integers, and the largest per-pass buffer (the MLP's hidden layer, `(1 + L) x 4 x width`) must keep every
    /// element index below 2^31. A bigger batch is split, never run.
    public static func indexLimit(_ c: UGMAEConfiguration) -> Int {
        Int(Int32.max) / largestBufferElementsPerPass(c)
    }

    private static func largestBufferElementsPerPass(_ c: UGMAEConfiguration) -> Int {
        max((1 + c.patchCount) * max(c.embedDim, c.decoderEmbedDim) * c.mlpRatio, c.pixelCount)
    }

    /// The plan for up to `passesWanted` passes per batch: the backend's memory budget (an OpenCL device's
    /// `0.8 x global memory` less what the pool already holds, no buffer over its largest allocation, and at most
    /// ``indexLimit(_:)`` passes; on the CPU
    /// a quarter of physical memory and at most 32 passes) divided by ``bytesPerPass(_:training:)``.
    public static func plan(model: UGMAE, passesWanted: Int, training: Bool, limit: Int? = nil) throws -> BatchPlan {
        let wanted = max(1, passesWanted)
        let backend = model.backend, memory = backend.memory
        let c = model.configuration
        let perPass = bytesPerPass(c, training: training)
        let largestBufferPerPass = 4 * largestBufferElementsPerPass(c)

        var budget: Int
        var capacity: Int
        var reason: String
        switch backend.kind {
        case .openCL:
            budget = Int(Double(memory.total) * deviceMemoryFraction) - backend.pool.bytesInUse
            let byMemory = max(1, budget / perPass)
            let byAllocation = max(1, memory.largestAllocation / largestBufferPerPass)
            let byIndex = indexLimit(c)
            capacity = min(wanted, byMemory, byAllocation, byIndex)
            reason = "OpenCL \(backend.deviceName): \(byMemory) passes fit in \(megabytes(budget)) at \(megabytes(perPass)) each"
                + (byAllocation < byMemory ? ", \(byAllocation) by the largest allocation \(megabytes(memory.largestAllocation))" : "")
                + (byIndex < min(byMemory, byAllocation) ? ", \(byIndex) by 32-bit element indices" : "")
        case .cpu:
            budget = Int(Double(memory.total) * hostMemoryFraction)
            let byMemory = max(1, budget / perPass)
            capacity = min(wanted, cpuBatchLimit, byMemory)
            reason = "CPU: at most \(cpuBatchLimit) passes, \(byMemory) fit in \(megabytes(budget)) at \(megabytes(perPass)) each"
        }
        if let limit, limit < capacity {
            capacity = max(1, limit)
            reason += "; limited to \(limit) by --max-batch"
        }
        budget = max(budget, 0)
        return BatchPlan(capacity: capacity, bytesPerPass: perPass, budgetBytes: budget, reason: reason)
    }

    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}
