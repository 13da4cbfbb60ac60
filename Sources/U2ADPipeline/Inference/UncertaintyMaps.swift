import Foundation
import U2ADModel
import U2ADRandom
import U2ADRuntime

/// What one MC inference run did, beside its maps.
public struct UncertaintyRun: Sendable {
    public var maps: [SliceMaps]
    /// Passes run over all slices.
    public var passes: Int
    public var batches: Int
    public var plan: BatchPlan
    public var seconds: Double
    /// Bytes moved each way and kernels launched by the run (``DeviceTraffic``).
    public var traffic: DeviceTraffic
}

/// Monte Carlo inference: masked (and optionally dropout) passes of the model over each slice, reduced to
/// a mean reconstruction, an epistemic map (variance over the passes) and an aleatoric map (error).
///
/// The reduction stays on the device: a slice takes a slot while its passes run (its image in the workspace's image
/// store, its region, its per-pixel moments, ``PixelMomentsOps``), each batch uploads only its masks as patch orders
/// and a small table of sampled patches, and only the three finished maps of a slice come back. Nothing waits on the
/// device inside the loop (uploads and the maps' downloads are enqueued without blocking), so the host prepares the
/// next batch while the device runs this one.
///
/// Every pass of a slice hides the same number of region patches, so all passes of a slice run as one
/// batch, split only when they outnumber the batch capacity planned from the device's memory
/// (``BatchPlanner``). Slices whose passes hide the same number of patches share batches, unless dropout
/// is on: then a batch holds one slice's passes, numbered from the slice's first pass, so every pass draws
/// the same dropout mask however the passes are batched.
public enum UncertaintyMaps {
    /// The maps of every slice, in input order.
    public static func compute(model: UGMAE, slices: [SliceSample], options: UncertaintyOptions, communicator: Communicator = SingleProcess(),
                               progress: ((String) -> Void)? = nil) throws -> [SliceMaps] {
        try run(model: model, slices: slices, options: options, communicator: communicator, progress: progress).maps
    }

    /// The maps with the run's pass count, batch plan and time. With several ranks (`communicator`), each runs its share
    /// of the batches and every rank returns every map (see `ShardedInference.swift`).
    public static func run(model: UGMAE, slices: [SliceSample], options: UncertaintyOptions, communicator: Communicator = SingleProcess(),
                           progress: ((String) -> Void)? = nil) throws -> UncertaintyRun {
        try options.validate()
        let started = Date(), trafficBefore = model.backend.traffic
        let c = model.configuration
        let labels = Set(options.roiLabels)
        var states: [SliceState] = []
        for slice in slices {
            guard slice.size == c.imageSize, slice.image.count == c.pixelCount, slice.labels.count == c.pixelCount else {
                throw PipelineError.badFile(slice.origin.description, "slice is \(slice.size) x \(slice.size), the model expects \(c.imageSize) x \(c.imageSize)")
            }
            let image = options.normalizeImage ? minMaxNormalized(slice.image) : slice.image
            let region = MaskingRegion(labels: slice.labels, size: c.imageSize, patchSize: c.patchSize, roiLabels: labels, erode: options.erodeROI)
            let keys = options.keys(slice: slice.name)
            let schedule = region.patches.count < options.minimumROIPatches ? nil
                : options.schedule(roiPatches: region.patches, patchCount: c.patchCount, key: keys.schedule)
            states.append(SliceState(name: slice.name, image: image, region: region, schedule: schedule, dropoutKey: keys.dropout))
        }

        let dropout = options.mcDropout > 0
        let groups = passGroups(states, bySlice: dropout)
        let largestGroup = groups.map { $0.reduce(0) { $0 + $1.count } }.max() ?? 1
        let plan = try communicator.agreed(BatchPlanner.plan(model: model, passesWanted: largestGroup, training: false, limit: options.maxBatch))
        let batches = groups.flatMap { pack($0, capacity: plan.capacity) }
        let runs = batchRuns(batches, ranks: communicator.size)
        let totalPasses = batches.reduce(0) { $0 + $1.count }
        progress?("MC inference: \(states.count) slices, \(totalPasses) passes in \(batches.count) batches of up to \(plan.capacity) (\(plan.reason))")

        var finished: [Int: [Float]] = [:]
        if !batches.isEmpty {
            let slots = try SliceSlots(model: model, capacity: plan.capacity)
            var lastBatch: [Int: Int] = [:]
            for (index, batch) in batches.enumerated() { for job in batch { lastBatch[job.slice] = index } }
            var pending: [(slice: Int, maps: PendingDownload)] = []
            for (index, batch) in batches.enumerated() where runs[communicator.rank].contains(index) {
                let batchStart = Date()
                try runBatch(batch, states: states, model: model, slots: slots, options: options)
                for slice in Set(batch.map(\.slice)) where lastBatch[slice] == index {
                    pending.append((slice, try slots.finish(slice: slice)))
                }
                let names = Array(Set(batch.map { states[$0.slice].name })).sorted().joined(separator: ", ")
                progress?("batch \(index + 1)/\(batches.count): \(batch.count) passes (\(names)) enqueued in "
                          + String(format: "%.2f s", Date().timeIntervalSince(batchStart)))
            }
            for (slice, maps) in pending { finished[slice] = try maps.values() }
        }
        var maps = states.indices.map { finish(states[$0], maps: finished[$0], size: c.imageSize) }
        try gatherMaps(&maps, batches: batches, runs: runs, communicator: communicator)
        return UncertaintyRun(maps: maps, passes: totalPasses, batches: batches.count, plan: plan, seconds: Date().timeIntervalSince(started),
                              traffic: model.backend.traffic - trafficBefore)
    }

    /// `(x - min) / (max - min)`, clamped to [0, 1] against rounding; a constant image becomes zeros.
    public static func minMaxNormalized(_ x: [Float]) -> [Float] {
        guard let low = x.min(), let high = x.max(), high > low else { return [Float](repeating: 0, count: x.count) }
        let range = high - low
        return x.map { min(max(($0 - low) / range, 0), 1) }
    }

    // MARK: Steps

    struct SliceState {
        var name: String
        var image: [Float]
        var region: MaskingRegion
        var schedule: PassSchedule?
        var dropoutKey: RandomKey
    }

    struct PassJob {
        var slice: Int
        var pass: Int
    }

    /// Slices whose passes may share a batch (same hidden count, or with dropout the slice alone), each
    /// slice's passes in order; groups in input order.
    static func passGroups(_ states: [SliceState], bySlice: Bool) -> [[[PassJob]]] {
        var groups: [[[PassJob]]] = []
        var groupOfKey: [Int: Int] = [:]
        for (s, state) in states.enumerated() {
            guard let schedule = state.schedule, schedule.passCount > 0 else { continue }
            let key = bySlice ? s : schedule.hiddenCount
            let jobs = (0..<schedule.passCount).map { PassJob(slice: s, pass: $0) }
            if let g = groupOfKey[key] { groups[g].append(jobs) } else {
                groupOfKey[key] = groups.count
                groups.append([jobs])
            }
        }
        return groups
    }

    /// Packs slices' passes into batches of at most `capacity` (next fit): a slice's passes are split
    /// only when there are more of them than `capacity`.
    static func pack(_ slices: [[PassJob]], capacity: Int) -> [[PassJob]] {
        var batches: [[PassJob]] = []
        var open: [PassJob] = []
        for jobs in slices {
            if open.count + jobs.count <= capacity {
                open += jobs
                continue
            }
            if !open.isEmpty { batches.append(open) }
            open = []
            var rest = jobs[...]
            while rest.count > capacity {
                batches.append(Array(rest.prefix(capacity)))
                rest = rest.dropFirst(capacity)
            }
            open = Array(rest)
        }
        if !open.isEmpty { batches.append(open) }
        return batches
    }

    /// Enqueues one batch: slots for the slices it starts, the masks, the forward pass (intensity head only) and the
    /// accumulation of the sampled patches into the slices' moments.
    private static func runBatch(_ batch: [PassJob], states: [SliceState], model: UGMAE, slots: SliceSlots, options: UncertaintyOptions) throws {
        var runs: [(slot: Int, passes: Range<Int>)] = []
        for (b, job) in batch.enumerated() {
            let slot = try slots.slot(of: job.slice, image: states[job.slice].image, region: states[job.slice].region.pixels)
            if let last = runs.last, last.slot == slot, last.passes.upperBound == b {
                runs[runs.count - 1].passes = last.passes.lowerBound..<(b + 1)
            } else {
                runs.append((slot, b..<(b + 1)))
            }
        }
        let passes = batch.map { states[$0.slice].schedule!.passes[$0.pass] }
        let mask = try PatchMask(hidden: passes.map { pass in
            var row = [Bool](repeating: false, count: model.configuration.patchCount)
            for l in pass.hidden { row[l] = true }
            return row
        })
        var dropout: TransformerBlock.Dropout?
        if options.mcDropout > 0, let first = batch.first {
            dropout = TransformerBlock.Dropout(rate: options.mcDropout, key: states[first.slice].dropoutKey, step: 0,
                                               firstPass: UInt32(first.pass))
        }
        try model.forward(slots.workspace, imageSlots: batch.map { slots.slotOf[$0.slice]! }, mask: mask, dropout: dropout, heads: .intensity)
        try slots.accumulate(model.intensityOutput(slots.workspace), runs: runs, sampled: passes.map(\.sampled))
    }

    /// The slice's maps from the device's finished `maps` (reconstruction, epistemic, aleatoric; nil when no pass ran).
    private static func finish(_ state: SliceState, maps: [Float]?, size: Int) -> SliceMaps {
        let n = size * size
        guard let schedule = state.schedule else {
            return SliceMaps(name: state.name, size: size, image: state.image, region: state.region.pixels, reconstruction: state.image,
                             epistemic: [Float](repeating: 0, count: n), aleatoric: [Float](repeating: 0, count: n),
                             roiPatches: state.region.patches.count, passes: 0, hiddenPerPass: 0, samplesPerPatch: 0...0, skipped: true)
        }
        let reconstruction = maps.map { Array($0[0..<n]) } ?? state.image
        let epistemic = maps.map { Array($0[n..<(2 * n)]) } ?? [Float](repeating: 0, count: n)
        let aleatoric = maps.map { Array($0[(2 * n)...]) } ?? [Float](repeating: 0, count: n)
        let sampled = schedule.counts().sampled
        let perPatch = state.region.patches.map { sampled[$0, default: 0] }
        return SliceMaps(name: state.name, size: size, image: state.image, region: state.region.pixels, reconstruction: reconstruction,
                         epistemic: epistemic, aleatoric: aleatoric, roiPatches: state.region.patches.count, passes: schedule.passCount,
                         hiddenPerPass: schedule.hiddenCount, samplesPerPatch: (perPatch.min() ?? 0)...(perPatch.max() ?? 0), skipped: false)
    }
}
