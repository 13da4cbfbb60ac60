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
}

/// Monte Carlo inference: masked (and optionally dropout) passes of the model over each slice, reduced to
/// a mean reconstruction, an epistemic map (variance over the passes) and an aleatoric map (error).
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
        let started = Date()
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
            states.append(SliceState(name: slice.name, image: image, region: region, schedule: schedule, dropoutKey: keys.dropout,
                                     moments: PixelMoments(pixels: schedule == nil ? 0 : c.pixelCount)))
        }

        let dropout = options.mcDropout > 0
        let groups = passGroups(states, bySlice: dropout)
        let largestGroup = groups.map { $0.reduce(0) { $0 + $1.count } }.max() ?? 1
        let plan = try communicator.agreed(BatchPlanner.plan(model: model, passesWanted: largestGroup, training: false, limit: options.maxBatch))
        let batches = groups.flatMap { pack($0, capacity: plan.capacity) }
        let runs = batchRuns(batches, ranks: communicator.size)
        let totalPasses = batches.reduce(0) { $0 + $1.count }
        progress?("MC inference: \(states.count) slices, \(totalPasses) passes in \(batches.count) batches of up to \(plan.capacity) (\(plan.reason))")

        if !batches.isEmpty {
            let workspace = try UGMAE.Workspace(model: model, batch: plan.capacity, training: false)
            for (index, batch) in batches.enumerated() where runs[communicator.rank].contains(index) {
                let batchStart = Date()
                try runBatch(batch, states: &states, model: model, workspace: workspace, options: options)
                let names = Array(Set(batch.map { states[$0.slice].name })).sorted().joined(separator: ", ")
                progress?("batch \(index + 1)/\(batches.count): \(batch.count) passes (\(names)) in "
                          + String(format: "%.2f s", Date().timeIntervalSince(batchStart)))
            }
        }
        var maps = states.map { finish($0, size: c.imageSize) }
        try gatherMaps(&maps, batches: batches, runs: runs, communicator: communicator)
        return UncertaintyRun(maps: maps, passes: totalPasses, batches: batches.count, plan: plan, seconds: Date().timeIntervalSince(started))
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
        var moments: PixelMoments
    }

    struct PassJob {
        var slice: Int
        var pass: Int
    }

    /// Slices whose passes may share a batch (same hidden count, or with dropout the slice alone), each
    /// slice's passes in order; groups in input order.
    private static func passGroups(_ states: [SliceState], bySlice: Bool) -> [[[PassJob]]] {
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

    private static func runBatch(_ batch: [PassJob], states: inout [SliceState], model: UGMAE, workspace: UGMAE.Workspace,
                                 options: UncertaintyOptions) throws {
        let c = model.configuration
        var images: [Float] = []
        images.reserveCapacity(batch.count * c.pixelCount)
        var hidden: [[Bool]] = []
        for job in batch {
            images += states[job.slice].image
            var row = [Bool](repeating: false, count: c.patchCount)
            for l in states[job.slice].schedule!.passes[job.pass].hidden { row[l] = true }
            hidden.append(row)
        }
        let mask = try PatchMask(hidden: hidden)
        var dropout: TransformerBlock.Dropout?
        if options.mcDropout > 0, let first = batch.first {
            dropout = TransformerBlock.Dropout(rate: options.mcDropout, key: states[first.slice].dropoutKey, step: 0,
                                               firstPass: UInt32(first.pass))
        }
        try model.forward(workspace, images: images, mask: mask, dropout: dropout)
        let intensity = try model.headOutputs(workspace).intensity
        let size = c.imageSize, p = c.patchSize, grid = c.grid, L = c.patchCount, P = c.patchPixels
        for (b, job) in batch.enumerated() {
            let region = states[job.slice].region.pixels
            for l in states[job.slice].schedule!.passes[job.pass].sampled {
                let r = l / grid, col = l % grid
                for py in 0..<p {
                    for px in 0..<p {
                        let pixel = (r * p + py) * size + col * p + px
                        guard region[pixel] != 0 else { continue }
                        states[job.slice].moments.add(Double(intensity[(b * L + l) * P + py * p + px]), at: pixel)
                    }
                }
            }
        }
    }

    private static func finish(_ state: SliceState, size: Int) -> SliceMaps {
        let n = size * size
        guard let schedule = state.schedule else {
            return SliceMaps(name: state.name, size: size, image: state.image, region: state.region.pixels, reconstruction: state.image,
                             epistemic: [Float](repeating: 0, count: n), aleatoric: [Float](repeating: 0, count: n),
                             roiPatches: state.region.patches.count, passes: 0, hiddenPerPass: 0, samplesPerPatch: 0...0, skipped: true)
        }
        var reconstruction = state.image
        var epistemic = [Float](repeating: 0, count: n), aleatoric = [Float](repeating: 0, count: n)
        for i in 0..<n where state.region.pixels[i] != 0 {
            if state.moments.count[i] > 0 {
                reconstruction[i] = Float(state.moments.mean[i])
                epistemic[i] = Float(state.moments.variance(at: i))
            }
            aleatoric[i] = abs(state.image[i] - reconstruction[i])
        }
        let sampled = schedule.counts().sampled
        let perPatch = state.region.patches.map { sampled[$0, default: 0] }
        return SliceMaps(name: state.name, size: size, image: state.image, region: state.region.pixels, reconstruction: reconstruction,
                         epistemic: epistemic, aleatoric: aleatoric, roiPatches: state.region.patches.count, passes: schedule.passCount,
                         hiddenPerPass: schedule.hiddenCount, samplesPerPatch: (perPatch.min() ?? 0)...(perPatch.max() ?? 0), skipped: false)
    }
}
