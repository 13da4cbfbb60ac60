import Foundation
import XCTest
import U2ADRandom
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

/// Options of a small pretraining run on `data`.
func smallOptions(data: URL, epochs: Int = 4, batch: Int = 2, seed: UInt64 = 1) -> TrainingOptions {
    var options = TrainingOptions()
    options.dataFolder = data.path
    options.model = tinyConfiguration
    options.epochs = epochs
    options.batchSize = batch
    options.seed = seed
    options.snapshotEvery = 3
    options.checkpointEvery = 2
    return options
}

/// Mean reference loss (epoch-1 weighting) of `model` on `slices` under fixed random masks, no augmentation.
func fixedMaskLoss(_ model: UGMAE, slices: [SliceSample]) throws -> Double {
    let c = model.configuration
    let workspace = try UGMAE.Workspace(model: model, batch: 1, training: false)
    var total = 0.0
    for (i, slice) in slices.enumerated() {
        let roi = PatchSums.of(slice.roi, size: c.imageSize, patch: c.patchSize)
        let mask = try RandomMasking.mask(roiPixels: [roi], draws: uniformDraws(rows: 1, patches: c.patchCount, seed: UInt64(77 + i)))
        try model.forward(workspace, images: slice.image, mask: mask)
        let heads = try model.headOutputs(workspace)
        let edges = ReconstructionLoss.sobelEdges(slice.image, size: c.imageSize)
        let loss = ReconstructionLoss.evaluate(intensity: heads.intensity, edge: heads.edge,
                                               images: Patchify.patchify(slice.image, size: c.imageSize, patch: c.patchSize),
                                               edgeTargets: Patchify.patchify(edges, size: c.imageSize, patch: c.patchSize),
                                               rois: Patchify.patchify(slice.roi, size: c.imageSize, patch: c.patchSize),
                                               mask: mask, grid: c.grid, epoch: 1)
        total += loss.total
    }
    return total / Double(slices.count)
}

final class TrainingLoopTests: XCTestCase {
    func testSmallModelLearnsOnRealSlicesOnEveryBackend() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["1.npy", "2.npy", "3.npy"])
        let slices = try SliceSample.loadAll(data)
        var masksByBackend: [[PatchMask]] = []
        for backend in try backendsUnderTest() {
            let run = try temporaryFolder(self, backend.kind.rawValue)
            var options = smallOptions(data: data, epochs: 6, batch: 2)
            options.learningRate = 2e-3
            let trainer = try Trainer(options: options, run: run, backend: backend, reporter: ProgressReporter(style: .silent))
            var masks: [PatchMask] = []
            trainer.maskObserver = { _, _, mask in masks.append(mask) }
            let before = try fixedMaskLoss(trainer.model, slices: slices)
            let start = Date()
            let outcome = try trainer.train()
            let seconds = Date().timeIntervalSince(start)
            let after = try fixedMaskLoss(trainer.model, slices: slices)
            print("\(backend.kind.rawValue) on \(backend.deviceName): loss \(before) -> \(after) in \(String(format: "%.1f", seconds)) s")
            XCTAssertLessThan(after, 0.7 * before, "\(backend.kind.rawValue): the loss did not decrease")
            XCTAssertEqual(outcome, .finished(weights: run.appendingPathComponent("weights.safetensors")))
            masksByBackend.append(masks)

            // Outputs of the run.
            XCTAssertEqual(masks.count, 12)
            let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.filter { $0.contains("\"event\":\"step\"") }.count, 12)
            XCTAssertEqual(lines.filter { $0.contains("\"event\":\"epoch\"") }.count, 6)
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("snapshots").path)
            XCTAssertEqual(snapshots.filter { $0.hasSuffix(".png") }.count, 4)
            let reloaded = try UGMAE(configuration: tinyConfiguration, backend: CPUBackend())
            try reloaded.load(from: run.appendingPathComponent("weights.safetensors"))
            XCTAssertEqual(try reloaded.parameters.get("rec_pred.bias"), try trainer.model.parameters.get("rec_pred.bias"))
            let state = try Checkpoint.readState(try XCTUnwrap(Checkpoint.locate(run: run)))
            XCTAssertTrue(state.finished)
            XCTAssertEqual(state.step, 12)
            XCTAssertEqual(state.options, options)
        }
        // The same seed gives the same masks on every backend.
        for other in masksByBackend.dropFirst() { XCTAssertEqual(other, masksByBackend[0]) }
    }

    func testAdaptationRegeneratesMapsWithMonteCarloInference() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["1.npy", "2.npy"])
        let backend = CPUBackend()
        let initial = try temporaryFolder(self, "init").appendingPathComponent("pretrained.safetensors")
        let pretrained = try UGMAE(configuration: tinyConfiguration, backend: backend)
        try pretrained.initializeRandomly(key: RandomKey(seed: 3))
        try pretrained.save(to: initial)
        var options = smallOptions(data: data, epochs: 2, batch: 2)
        options.mode = .adapt
        options.initialWeights = initial.path
        options.adaptation.regenerateEvery = 1
        options.adaptation.aleatoricFrom = 1
        options.adaptation.maps.samplesPerPatch = 2
        options.adaptation.maps.schedule = .balanced
        let run = try temporaryFolder(self, "adapt")
        let trainer = try Trainer(options: options, run: run, backend: backend, reporter: ProgressReporter(style: .silent))
        _ = try trainer.train()
        let sums = try XCTUnwrap(trainer.uncertainty)
        XCTAssertEqual(sums.epoch, 1)
        XCTAssertGreaterThan(sums.meanVariance, 0)
        XCTAssertGreaterThan(sums.meanError, 0)
        XCTAssertTrue(sums.error.joined().contains { $0 > 0 }, "the filtered error keeps some patches")
        let events = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"event\":\"uncertainty\"") }
        XCTAssertEqual(events.count, 2)
    }

    func testLearningRateScheduleAndStrategies() {
        var options = TrainingOptions()
        XCTAssertEqual(options.learningRate(epoch: 0), 3e-3)
        XCTAssertEqual(options.learningRate(epoch: 49), 3e-3)
        XCTAssertEqual(options.learningRate(epoch: 50), 3e-3 * 0.1, accuracy: 1e-12)
        XCTAssertEqual(options.learningRate(epoch: 199), 3e-3 * 0.001, accuracy: 1e-12)
        XCTAssertEqual(options.maskingStrategy(epoch: 160), .random)
        options.mode = .adapt
        XCTAssertEqual(options.maskingStrategy(epoch: 149), .epistemic)
        XCTAssertEqual(options.maskingStrategy(epoch: 150), .epistemicAleatoric)
    }

    func testBadInputsGiveOneLineErrors() throws {
        let run = try temporaryFolder(self)
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        var options = smallOptions(data: run.appendingPathComponent("missing"))
        let missing = message { _ = try Trainer(options: options, run: run.appendingPathComponent("a"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(missing.hasPrefix("--data:") && missing.contains("does not exist"), missing)

        let data = try temporaryFolder(self, "bad")
        try NPY.write([Float](repeating: 0, count: 3 * 64 * 64), shape: [3, 64, 64], to: data.appendingPathComponent("1.npy"))
        options.dataFolder = data.path
        let shape = message { _ = try Trainer(options: options, run: run.appendingPathComponent("b"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(shape.contains("1.npy") && shape.contains("shape"), shape)

        var nan = [Float](repeating: 0, count: 3 * 256 * 256)
        nan[5] = .nan
        try NPY.write(nan, shape: [3, 256, 256], to: data.appendingPathComponent("1.npy"))
        let notFinite = message { _ = try Trainer(options: options, run: run.appendingPathComponent("c"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(notFinite.contains("1.npy") && notFinite.contains("NaN"), notFinite)

        try NPY.write([Float](repeating: 0, count: 3 * 256 * 256), shape: [3, 256, 256], to: data.appendingPathComponent("1.npy"))
        let noROI = message { _ = try Trainer(options: options, run: run.appendingPathComponent("d"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(noROI.contains("ROI"), noROI)

        options.epochs = 0
        let epochs = message { _ = try Trainer(options: options, run: run.appendingPathComponent("e"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(epochs.hasPrefix("--epochs:"), epochs)

        options.epochs = 1
        options.mode = .adapt
        let initial = message { _ = try Trainer(options: options, run: run.appendingPathComponent("f"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(initial.hasPrefix("--init:"), initial)

        let resume = message { _ = try Trainer(resuming: run.appendingPathComponent("nothing"), backend: CPUBackend(), reporter: ProgressReporter(style: .silent)) }
        XCTAssertTrue(resume.hasPrefix("--resume:"), resume)
    }
}
