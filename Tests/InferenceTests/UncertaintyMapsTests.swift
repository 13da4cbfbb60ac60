import XCTest
import U2ADData
import U2ADModel
import U2ADRuntime
@testable import U2ADPipeline

final class UncertaintyMapsTests: XCTestCase {
    private func options(k: Int = 2, dropout: Float = 0) -> UncertaintyOptions {
        var options = UncertaintyOptions.inference
        options.samplesPerPatch = k
        options.mcDropout = dropout
        options.seed = 21
        return options
    }

    func testMapsStayInsideTheErodedCordRegion() throws {
        let model = try randomModel()
        let slice = phantomSlice(seed: 4, name: "a", lesion: true)
        let run = try UncertaintyMaps.run(model: model, slices: [slice], options: options())
        let maps = run.maps[0]
        let region = MaskingRegion(labels: slice.labels, size: 256, patchSize: 16, roiLabels: [3, 6], erode: true)
        XCTAssertEqual(maps.region, region.pixels)
        XCTAssertFalse(maps.skipped)
        XCTAssertEqual(maps.roiPatches, region.patches.count)
        XCTAssertEqual(maps.samplesPerPatch, 2...2)
        XCTAssertEqual(run.passes, maps.passes)
        XCTAssertEqual(run.batches, 1, "all passes of one slice run as one batch")
        let image = UncertaintyMaps.minMaxNormalized(slice.image)
        XCTAssertEqual(maps.image, image)
        var inside = 0
        for i in 0..<(256 * 256) {
            if maps.region[i] == 0 {
                XCTAssertEqual(maps.reconstruction[i], image[i])
                XCTAssertEqual(maps.epistemic[i], 0)
                XCTAssertEqual(maps.aleatoric[i], 0)
            } else {
                inside += 1
                XCTAssertGreaterThanOrEqual(maps.epistemic[i], 0)
                XCTAssertEqual(maps.aleatoric[i], abs(image[i] - maps.reconstruction[i]), accuracy: 1e-7)
                XCTAssertTrue((0...1).contains(maps.reconstruction[i]))
            }
        }
        XCTAssertGreaterThan(inside, 100)
        XCTAssertGreaterThan(maps.epistemic.max()!, 0, "masked passes should disagree somewhere")
    }

    /// Splitting the passes into smaller batches (with or without dropout) gives the same maps.
    func testBatchingDoesNotChangeTheMaps() throws {
        let model = try randomModel()
        let slices = [phantomSlice(seed: 4, name: "a"), phantomSlice(seed: 5, name: "b")]
        for dropout: Float in [0, 0.2] {
            var planned = options(dropout: dropout)
            let whole = try UncertaintyMaps.run(model: model, slices: slices, options: planned)
            planned.maxBatch = 2
            let split = try UncertaintyMaps.run(model: model, slices: slices, options: planned)
            XCTAssertGreaterThan(split.batches, whole.batches)
            for (a, b) in zip(whole.maps, split.maps) {
                XCTAssertLessThan(maxAbsoluteDifference(a.reconstruction, b.reconstruction), 1e-5, "dropout \(dropout)")
                XCTAssertLessThan(maxAbsoluteDifference(a.epistemic, b.epistemic), 1e-6, "dropout \(dropout)")
            }
        }
    }

    /// Slices with equal visible counts share batches, and a slice's maps do not depend on its batch-mates.
    func testSlicesShareBatchesWithoutChangingTheirMaps() throws {
        let model = try randomModel()
        let a = phantomSlice(seed: 4, name: "a")
        var twin = a
        twin.name = "a-twin"
        let together = try UncertaintyMaps.run(model: model, slices: [a, twin], options: options())
        XCTAssertEqual(together.batches, 1)
        let alone = try UncertaintyMaps.run(model: model, slices: [a], options: options())
        XCTAssertLessThan(maxAbsoluteDifference(together.maps[0].reconstruction, alone.maps[0].reconstruction), 1e-5)
        let withDropout = try UncertaintyMaps.run(model: model, slices: [a, twin], options: options(dropout: 0.1))
        XCTAssertEqual(withDropout.batches, 2, "with dropout a batch holds one slice's passes")
    }

    /// On the CPU the device-side accumulation gives, bit for bit, the maps of the host path it replaced: each batch's
    /// intensity head downloaded and its sampled pixels added to float64 moments on the host, over the same batches.
    func testDeviceAccumulationEqualsTheHostPathBitForBit() throws {
        let model = try randomModel()
        let slices = [phantomSlice(seed: 4, name: "a", lesion: true), phantomSlice(seed: 5, name: "b")]
        for (dropout, maxBatch) in [(Float(0), Int?.none), (0.2, 3)] {
            var planned = options(k: 2, dropout: dropout)
            planned.maxBatch = maxBatch
            let run = try UncertaintyMaps.run(model: model, slices: slices, options: planned)
            let expected = try hostPathMaps(model: model, slices: slices, options: planned, capacity: run.plan.capacity)
            for (maps, host) in zip(run.maps, expected) {
                XCTAssertEqual(maps.reconstruction, host.reconstruction, "dropout \(dropout)")
                XCTAssertEqual(maps.epistemic, host.epistemic, "dropout \(dropout)")
                XCTAssertEqual(maps.aleatoric, host.aleatoric, "dropout \(dropout)")
            }
        }
    }

    /// The previous MC host path, kept as the yardstick.
    private func hostPathMaps(model: UGMAE, slices: [SliceSample], options: UncertaintyOptions, capacity: Int) throws
        -> [(reconstruction: [Float], epistemic: [Float], aleatoric: [Float])] {
        let c = model.configuration
        let states = slices.map { slice -> UncertaintyMaps.SliceState in
            let region = MaskingRegion(labels: slice.labels, size: c.imageSize, patchSize: c.patchSize, roiLabels: Set(options.roiLabels), erode: options.erodeROI)
            let keys = options.keys(slice: slice.name)
            return .init(name: slice.name, image: UncertaintyMaps.minMaxNormalized(slice.image), region: region,
                         schedule: options.schedule(roiPatches: region.patches, patchCount: c.patchCount, key: keys.schedule), dropoutKey: keys.dropout)
        }
        var moments = states.map { _ in HostPixelMoments(pixels: c.pixelCount) }
        let workspace = try UGMAE.Workspace(model: model, batch: capacity, training: false)
        let batches = UncertaintyMaps.passGroups(states, bySlice: options.mcDropout > 0).flatMap { UncertaintyMaps.pack($0, capacity: capacity) }
        for batch in batches {
            let passes = batch.map { states[$0.slice].schedule!.passes[$0.pass] }
            let mask = try PatchMask(hidden: passes.map { pass in (0..<c.patchCount).map { pass.hidden.contains($0) } })
            let dropout = options.mcDropout > 0 ? TransformerBlock.Dropout(rate: options.mcDropout, key: states[batch[0].slice].dropoutKey, step: 0,
                                                                          firstPass: UInt32(batch[0].pass)) : nil
            try model.forward(workspace, images: batch.flatMap { states[$0.slice].image }, mask: mask, dropout: dropout)
            let intensity = try model.headOutputs(workspace).intensity
            for (b, job) in batch.enumerated() {
                for l in passes[b].sampled {
                    for k in 0..<c.patchPixels {
                        let pixel = ((l / c.grid) * c.patchSize + k / c.patchSize) * c.imageSize + (l % c.grid) * c.patchSize + k % c.patchSize
                        if states[job.slice].region.pixels[pixel] != 0 {
                            moments[job.slice].add(Double(intensity[(b * c.patchCount + l) * c.patchPixels + k]), at: pixel)
                        }
                    }
                }
            }
        }
        return states.indices.map { moments[$0].maps(image: states[$0].image, region: states[$0].region.pixels) }
    }

    /// An MC run uploads each slice's image and region once and a few bytes of mask per pass, and downloads three maps
    /// per slice.
    func testTrafficPerPassAndPerSlice() throws {
        let model = try randomModel(narrowConfiguration)
        let slices = [phantomSlice(seed: 4, name: "a"), phantomSlice(seed: 5, name: "b")]
        let run = try UncertaintyMaps.run(model: model, slices: slices, options: options())
        let pixels = 256 * 256, patches = narrowConfiguration.patchCount
        XCTAssertEqual(run.traffic.deviceToHostBytes, slices.count * 3 * 4 * pixels)
        let perSlice = 4 * pixels + pixels / 8
        let perPass = 4 * patches + 4 + patches / 8
        XCTAssertLessThanOrEqual(run.traffic.hostToDeviceBytes, slices.count * perSlice + run.passes * perPass + run.batches * 64)
        // The host path uploaded, per pass, the image and six int32 index arrays of one entry per element; what a pass
        // uploads now beside its slice's image and region is under 5% of that.
        let c = narrowConfiguration
        let before = 4 * pixels + 4 * ((1 + patches) * (2 * c.embedDim + 3 * c.decoderEmbedDim))
        XCTAssertLessThan(Double(run.traffic.hostToDeviceBytes - slices.count * perSlice) / Double(run.passes * before), 0.05)
    }

    func testDropoutAloneVariesThePasses() throws {
        let model = try randomModel()
        var dropoutOnly = options(k: 3, dropout: 0.3)
        dropoutOnly.ratio = 0
        let maps = try UncertaintyMaps.compute(model: model, slices: [phantomSlice(seed: 6, name: "d")], options: dropoutOnly)[0]
        XCTAssertEqual(maps.hiddenPerPass, 0)
        XCTAssertEqual(maps.passes, 3)
        XCTAssertEqual(maps.samplesPerPatch, 3...3)
        XCTAssertGreaterThan(maps.epistemic.max()!, 0)
        dropoutOnly.mcDropout = 0
        let still = try UncertaintyMaps.compute(model: model, slices: [phantomSlice(seed: 6, name: "d")], options: dropoutOnly)[0]
        XCTAssertEqual(still.epistemic.max()!, 0, accuracy: 1e-12, "identical passes have no variance")
    }

    func testSliceWithTooFewROIPatchesGetsZeroMaps() throws {
        let model = try randomModel()
        var slice = phantomSlice(seed: 4, name: "small")
        slice.labels = [Float](repeating: 0, count: 256 * 256)
        for y in 100..<110 { for x in 100..<110 { slice.labels[y * 256 + x] = 3 } }
        let run = try UncertaintyMaps.run(model: model, slices: [slice], options: options())
        let maps = run.maps[0]
        XCTAssertTrue(maps.skipped)
        XCTAssertEqual(run.passes, 0)
        XCTAssertEqual(maps.epistemic.max(), 0)
        XCTAssertEqual(maps.aleatoric.max(), 0)
        XCTAssertEqual(maps.reconstruction, maps.image)
    }

    func testAdaptationMapsUseLabels346WithoutErosion() throws {
        let slice = phantomSlice(seed: 9, name: "adapt")
        let options = UncertaintyOptions.adaptation
        let region = MaskingRegion(labels: slice.labels, size: 256, patchSize: 8, roiLabels: Set(options.roiLabels), erode: options.erodeROI)
        XCTAssertEqual(region.pixels, slice.labelMask([3, 4, 6]))
        XCTAssertEqual(region.patches, MaskingRegion.patches(of: slice.labelMask([3, 4, 6]), size: 256, patchSize: 8))
    }

    func testBadInputsAreOneLineErrors() throws {
        let model = try randomModel()
        let wrong = SliceSample(name: "wrong", size: 128, image: [Float](repeating: 0, count: 128 * 128),
                                roi: [Float](repeating: 0, count: 128 * 128), labels: [Float](repeating: 0, count: 128 * 128), origin: .file(path: "/data/wrong.npy"))
        XCTAssertThrowsError(try UncertaintyMaps.compute(model: model, slices: [wrong], options: options())) { error in
            XCTAssertTrue("\(error)".hasPrefix("/data/wrong.npy:"), "\(error)")
        }
        var bad = options()
        bad.ratio = 1.5
        XCTAssertThrowsError(try UncertaintyMaps.compute(model: model, slices: [], options: bad)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--ratio:"), "\(error)")
        }
    }

    /// The OpenCL plan never makes a batch whose element indices would pass 2^31: 4,092 passes for the reference model.
    func testBatchIndexLimit() {
        XCTAssertEqual(BatchPlanner.indexLimit(UGMAEConfiguration()), 4092)
        let c = UGMAEConfiguration()
        XCTAssertLessThan(BatchPlanner.indexLimit(c) * (1 + c.patchCount) * c.embedDim * c.mlpRatio, Int(Int32.max))
    }

    func testBatchPlanOnTheCPUIsAtMost32() throws {
        let model = try randomModel()
        let plan = try BatchPlanner.plan(model: model, passesWanted: 100, training: false)
        XCTAssertEqual(plan.capacity, 32)
        XCTAssertGreaterThan(plan.bytesPerPass, 0)
        XCTAssertEqual(try BatchPlanner.plan(model: model, passesWanted: 5, training: false).capacity, 5)
        XCTAssertEqual(try BatchPlanner.plan(model: model, passesWanted: 5, training: false, limit: 2).capacity, 2)
    }

    func testWeightsConfigurationComesFromMetadataOrTensorNames() throws {
        let fixtureConfiguration = try InferenceModel.configuration(weights: fixtureURL("model/weights.safetensors"))
        XCTAssertEqual(fixtureConfiguration.depth, 2)
        XCTAssertEqual(fixtureConfiguration.decoderDepth, 2)
        let folder = try temporaryFolder(self, "weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tiny.safetensors")
        try randomModel().save(to: url)
        XCTAssertEqual(try InferenceModel.configuration(weights: url), tinyConfiguration)
        XCTAssertThrowsError(try InferenceModel.configuration(weights: folder.appendingPathComponent("missing.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("missing.safetensors"), "\(error)")
        }
    }
}

final class BatchPackingTests: XCTestCase {
    private func jobs(_ slice: Int, _ count: Int) -> [UncertaintyMaps.PassJob] { (0..<count).map { .init(slice: slice, pass: $0) } }

    /// A slice's passes share one batch unless there are more of them than the capacity.
    func testPackingSplitsOnlySlicesLargerThanTheCapacity() {
        let sizes = { (batches: [[UncertaintyMaps.PassJob]]) in batches.map(\.count) }
        XCTAssertEqual(sizes(UncertaintyMaps.pack([jobs(0, 14), jobs(1, 14), jobs(2, 14)], capacity: 32)), [28, 14])
        XCTAssertEqual(sizes(UncertaintyMaps.pack([jobs(0, 40), jobs(1, 5)], capacity: 32)), [32, 13])
        XCTAssertEqual(sizes(UncertaintyMaps.pack([jobs(0, 3)], capacity: 1)), [1, 1, 1])
        let packed = UncertaintyMaps.pack([jobs(0, 14), jobs(1, 14), jobs(2, 14)], capacity: 32)
        XCTAssertEqual(Set(packed[1].map(\.slice)), [2])
    }
}
