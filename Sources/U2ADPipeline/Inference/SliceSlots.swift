import U2ADModel
import U2ADRuntime

/// The device-side state of the slices whose MC passes are running: per slot the slice's image (in the workspace's
/// image store), its region bits and its per-pixel moments. A slice takes a slot at its first batch and gives it
/// back when its maps are finished, so a run holds at most one batch's slices at a time.
final class SliceSlots {
    let model: UGMAE
    let workspace: UGMAE.Workspace
    let shape: PixelMomentsShape
    let moments, regions, maps: Buffer
    /// The slot of each slice holding one.
    private(set) var slotOf: [Int: Int] = [:]
    private var free: [Int]

    init(model: UGMAE, capacity: Int) throws {
        let c = model.configuration, backend = model.backend
        self.model = model
        workspace = try UGMAE.Workspace(model: model, batch: capacity, training: false)
        shape = PixelMomentsShape(size: c.imageSize, patch: c.patchSize, slots: capacity)
        moments = try backend.makeBuffer([shape.momentWords])
        regions = try backend.makeBuffer(count: capacity * shape.regionWords, shape: nil, elementType: .int32)
        maps = try backend.makeBuffer([3 * shape.pixels])
        free = Array((0..<capacity).reversed())
    }

    /// Device bytes of the slots of one more pass (a batch of `capacity` passes holds at most `capacity` slices).
    static func bytesPerSlot(_ c: UGMAEConfiguration) -> Int {
        let shape = PixelMomentsShape(size: c.imageSize, patch: c.patchSize, slots: 1)
        return 4 * (shape.slotWords + shape.regionWords)
    }

    /// The slot of `slice`, taking a free one (uploading the image and region, clearing the moments) on first use.
    func slot(of slice: Int, image: [Float], region: [Float]) throws -> Int {
        if let slot = slotOf[slice] { return slot }
        guard let slot = free.popLast() else { preconditionFailure("more slices in flight than the \(shape.slots) slots of a batch") }
        let backend = model.backend
        try model.placeImage(image, slot: slot, in: workspace)
        try backend.upload(shape.regionBits(region), to: regions, offset: slot * shape.regionWords)
        let view = try backend.view(of: moments, offset: slot * shape.slotWords, count: shape.slotWords, shape: [shape.slotWords])
        try backend.fill(view, with: 0, count: shape.slotWords)
        slotOf[slice] = slot
        return slot
    }

    /// Adds the sampled patches of the batch's `reconstructions` to the moments of its runs' slots.
    func accumulate(_ reconstructions: Buffer, runs: [(slot: Int, passes: Range<Int>)], sampled: [[Int]]) throws {
        let backend = model.backend
        let table = try backend.makeIndexBuffer(shape.table(runs: runs, sampled: sampled))
        try backend.accumulatePixelMoments(reconstructions, table: table, runs: runs.count, into: moments, shape: shape)
    }

    /// Finishes `slice`'s maps, starts their download and frees its slot.
    func finish(slice: Int) throws -> PendingDownload {
        guard let slot = slotOf.removeValue(forKey: slice) else { preconditionFailure("slice \(slice) holds no slot") }
        try model.backend.finishPixelMoments(moments, slot: slot, images: workspace.images, regions: regions, into: maps, shape: shape)
        free.append(slot)
        return try model.backend.startDownload(maps)
    }
}
