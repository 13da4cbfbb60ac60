import Foundation
import XCTest
import U2ADRandom
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

final class ResumeTests: XCTestCase {
    let quiet = ProgressReporter(style: .silent)

    /// The metrics without the wall-clock fields.
    func metricsWithoutTimes(_ run: URL) throws -> [String] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            $0.replacingOccurrences(of: #","seconds":[^,}]*"#, with: "", options: .regularExpression)
        }
    }

    func assertSameWeights(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let first = try SafeTensorsFile.read(a.appendingPathComponent("weights.safetensors"))
        let second = try SafeTensorsFile.read(b.appendingPathComponent("weights.safetensors"))
        XCTAssertEqual(first.names, second.names, file: file, line: line)
        for name in first.names {
            let x = try first.floats(name), y = try second.floats(name)
            XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), "\(name) differs", file: file, line: line)
        }
    }

    func testInterruptedPretrainingResumesBitIdentically() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["1.npy", "2.npy", "3.npy"])
        for backend in try backendsUnderTest() {
            try checkPretrainingResume(data: data, backend: backend)
        }
    }

    func checkPretrainingResume(data: URL, backend: Backend) throws {
        let options = smallOptions(data: data, epochs: 3, batch: 2)

        let straight = try temporaryFolder(self, "straight")
        XCTAssertEqual(try Trainer(options: options, run: straight, backend: backend, reporter: quiet).train(),
                       .finished(weights: straight.appendingPathComponent("weights.safetensors")))

        // Interrupted mid-epoch by a stop request (as SIGINT does), then by a step limit, then finished.
        let resumed = try temporaryFolder(self, "resumed")
        let first = try Trainer(options: options, run: resumed, backend: backend, reporter: quiet)
        let stop = StopRequest()
        var steps = 0
        first.maskObserver = { _, _, _ in steps += 1; if steps == 3 { stop.request() } }
        guard case .interrupted = try first.train(stop: stop) else { return XCTFail("the stop request was ignored") }
        XCTAssertEqual(first.state.epoch, 1)
        XCTAssertEqual(first.state.batchesDone, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent("weights.safetensors").path))

        let second = try Trainer(resuming: resumed, backend: backend, reporter: quiet)
        guard case .interrupted = try second.train(stepLimit: 2) else { return XCTFail("the step limit was ignored") }
        XCTAssertEqual(second.state.step, 5)
        let third = try Trainer(resuming: resumed, backend: backend, reporter: quiet)
        XCTAssertEqual(try third.train(), .finished(weights: resumed.appendingPathComponent("weights.safetensors")))

        try assertSameWeights(straight, resumed)
        try assertSameWeights(try XCTUnwrap(Checkpoint.locate(run: straight)), try XCTUnwrap(Checkpoint.locate(run: resumed)))
        XCTAssertEqual(try metricsWithoutTimes(straight), try metricsWithoutTimes(resumed))
        let optimizerA = try SafeTensorsFile.read(straight.appendingPathComponent("checkpoint/optimizer.safetensors"))
        let optimizerB = try SafeTensorsFile.read(resumed.appendingPathComponent("checkpoint/optimizer.safetensors"))
        XCTAssertEqual(try optimizerA.floats("adam.second_moment").map(\.bitPattern), try optimizerB.floats("adam.second_moment").map(\.bitPattern))

        // A finished run resumes to "finished" without training.
        XCTAssertEqual(try Trainer(resuming: resumed, backend: backend, reporter: quiet).train(),
                       .finished(weights: resumed.appendingPathComponent("weights.safetensors")))
        // Starting over in a folder that holds a run is refused.
        XCTAssertThrowsError(try Trainer(options: options, run: resumed, backend: backend, reporter: quiet)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--out:"), "\(error)")
        }
    }

    func testInterruptedAdaptationResumesBitIdentically() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["1.npy", "2.npy"])
        let backend = CPUBackend()
        let initial = try temporaryFolder(self, "init").appendingPathComponent("pretrained.safetensors")
        let pretrained = try UGMAE(configuration: tinyConfiguration, backend: backend)
        try pretrained.initializeRandomly(key: RandomKey(seed: 11))
        try pretrained.save(to: initial)

        var options = smallOptions(data: data, epochs: 4, batch: 2, seed: 5)
        options.mode = .adapt
        options.initialWeights = initial.path
        options.model = UGMAEConfiguration()  // replaced by the configuration recorded in the weights
        options.adaptation.regenerateEvery = 2
        options.adaptation.aleatoricFrom = 2
        options.checkpointEvery = 1

        var straightCalls = 0
        let straight = try temporaryFolder(self, "straight")
        let uninterrupted = try Trainer(options: options, run: straight, backend: backend,
                                        uncertaintySource: fakeUncertaintySource(calls: &straightCalls), reporter: quiet)
        XCTAssertEqual(uninterrupted.options.model, tinyConfiguration)
        var strategies: [Int: Int] = [:]
        uninterrupted.maskObserver = { epoch, _, _ in strategies[epoch, default: 0] += 1 }
        _ = try uninterrupted.train()
        XCTAssertEqual(straightCalls, 2, "maps are regenerated before epochs 0 and 2")
        XCTAssertEqual(strategies, [0: 1, 1: 1, 2: 1, 3: 1])
        let events = try metricsWithoutTimes(straight).filter { $0.contains("\"event\":\"uncertainty\"") }
        XCTAssertEqual(events.count, 2)
        XCTAssertTrue(events.allSatisfy { $0.contains("mean_variance") && $0.contains("mean_error") })
        let steps = try metricsWithoutTimes(straight).filter { $0.contains("\"event\":\"step\"") }
        XCTAssertEqual(steps.map { $0.contains("\"strategy\":\"eu+au\"") }, [false, false, true, true])

        // Interrupt right after the second regeneration, before its first step.
        var resumedCalls = 0
        let resumed = try temporaryFolder(self, "resumed")
        let first = try Trainer(options: options, run: resumed, backend: backend,
                                uncertaintySource: fakeUncertaintySource(calls: &resumedCalls), reporter: quiet)
        guard case .interrupted = try first.train(stepLimit: 2) else { return XCTFail("the step limit was ignored") }
        let second = try Trainer(resuming: resumed, backend: backend, uncertaintySource: fakeUncertaintySource(calls: &resumedCalls), reporter: quiet)
        guard case .interrupted = try second.train(stepLimit: 1) else { return XCTFail("the step limit was ignored") }
        XCTAssertEqual(second.uncertainty?.epoch, 2)
        let third = try Trainer(resuming: resumed, backend: backend, uncertaintySource: fakeUncertaintySource(calls: &resumedCalls), reporter: quiet)
        XCTAssertEqual(third.uncertainty, second.uncertainty, "the maps come back from the checkpoint")
        _ = try third.train()
        XCTAssertEqual(resumedCalls, 2)
        try assertSameWeights(straight, resumed)
        XCTAssertEqual(try metricsWithoutTimes(straight), try metricsWithoutTimes(resumed))
    }

    func testCheckpointSurvivesACrashBetweenRenames() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["2.npy", "3.npy"])
        var options = smallOptions(data: data, epochs: 2, batch: 2)
        options.checkpointEvery = 1
        let backend = CPUBackend()
        let run = try temporaryFolder(self, "crash")
        guard case .interrupted = try Trainer(options: options, run: run, backend: backend, reporter: quiet).train(stepLimit: 1) else {
            return XCTFail("expected an interruption")
        }
        // Simulate a crash after the old checkpoint was moved aside, with a half-written new one.
        let fileManager = FileManager.default
        try fileManager.moveItem(at: run.appendingPathComponent("checkpoint"), to: run.appendingPathComponent("checkpoint.old"))
        let partial = run.appendingPathComponent(".checkpoint-crashed.tmp")
        try fileManager.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("garbage".utf8).write(to: partial.appendingPathComponent("weights.safetensors"))
        XCTAssertEqual(Checkpoint.locate(run: run)?.lastPathComponent, "checkpoint.old")

        let trainer = try Trainer(resuming: run, backend: backend, reporter: quiet)
        XCTAssertEqual(trainer.state.step, 1)
        XCTAssertFalse(fileManager.fileExists(atPath: partial.path), "leftover temporary folders are removed")
        _ = try trainer.train()
        XCTAssertEqual(Checkpoint.locate(run: run)?.lastPathComponent, "checkpoint")
        XCTAssertFalse(fileManager.fileExists(atPath: run.appendingPathComponent("checkpoint.old").path))

        // A damaged state.json is reported by name.
        try Data("{".utf8).write(to: run.appendingPathComponent("checkpoint/state.json"))
        XCTAssertThrowsError(try Trainer(resuming: run, backend: backend, reporter: quiet)) { error in
            XCTAssertTrue("\(error)".contains("state.json"), "\(error)")
        }
    }
}
