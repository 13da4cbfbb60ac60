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
