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
}

/// Plans the batch of MC passes from the device's limits.
public enum BatchPlanner {
    /// Largest batch on the CPU backend.
    public static let cpuBatchLimit = 32
    /// Fraction of an OpenCL device's global memory the plan may use.
    public static let deviceMemoryFraction = 0.8
    /// Fraction of physical memory the CPU plan may use.
    public static let hostMemoryFraction = 0.25

    /// The plan for up to `passesWanted` passes per batch. Measures the workspace's bytes per pass on the
    /// backend's pool (a batch of 2 minus a batch of 1), adds the per-pass index buffers, and divides the
    /// budget: for OpenCL `0.8 x global memory` less what the pool already holds, and no buffer over the
    /// device's largest allocation; on the CPU at most 32 passes and a quarter of physical memory.
    public static func plan(model: UGMAE, passesWanted: Int, training: Bool, limit: Int? = nil) throws -> BatchPlan {
        let wanted = max(1, passesWanted)
        let pool = model.backend.pool
        let base = pool.bytesInUse
        let one: Int, two: Int
        do {
            let single = try UGMAE.Workspace(model: model, batch: 1, training: training)
            one = pool.bytesInUse - base
            let double = try UGMAE.Workspace(model: model, batch: 2, training: training)
            two = pool.bytesInUse - base - one
            withExtendedLifetime((single, double)) {}
        }
        pool.releaseCached()
        let c = model.configuration, tokens = 1 + c.patchCount
        let indexBytes = 4 * tokens * (2 * c.embedDim + 3 * c.decoderEmbedDim)
        let perPass = max(1, two - one) + indexBytes
        let largestBufferPerPass = 4 * tokens * max(c.embedDim, c.decoderEmbedDim) * c.mlpRatio

        var budget: Int
        var capacity: Int
        var reason: String
        if let device = (model.backend as? OpenCLBackend)?.device {
            budget = Int(Double(device.globalMemory) * deviceMemoryFraction) - pool.bytesInUse
            let byMemory = max(1, budget / perPass)
            let byAllocation = max(1, device.maxAllocation / largestBufferPerPass)
            capacity = min(wanted, byMemory, byAllocation)
            reason = "OpenCL \(device.name): \(byMemory) passes fit in \(megabytes(budget)) at \(megabytes(perPass)) each"
                + (byAllocation < byMemory ? ", \(byAllocation) by the largest allocation \(megabytes(device.maxAllocation))" : "")
        } else {
            budget = Int(Double(ProcessInfo.processInfo.physicalMemory) * hostMemoryFraction)
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
