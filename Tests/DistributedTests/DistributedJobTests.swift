import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRandom
import U2ADRuntime
import U2ADTestSupport

/// `u2ad` under `mpirun -n 2` against one process: data-parallel training, sharded MC inference, a rank that dies.
final class DistributedJobTests: XCTestCase {
    /// The CLI's small model: one encoder and one decoder block, 16-pixel patches.
    let smallModel = ["--depth", "1", "--decoder-depth", "1", "--patch-size", "16", "--snapshot-every", "0", "--backend", "cpu"]
    /// One CPU worker in every process: the CPU backend's GEMM rounding follows its thread count (docs/distributed.md),
    /// which a GPU's does not, so runs compared with each other use the same count.
    let oneWorker = ["U2AD_THREADS": "1"]

    /// Two ranks sharing a global batch of 10 train the weights one process trains with batch 10, to float rounding:
    /// pretraining (augmentation, random masks; the last batch of one slice leaves rank 1 empty), then adaptation
    /// (maps from MC inference sharded over the ranks, uncertainty-guided masks, EU+AU from the second epoch).
    func testTwoRanksTrainTheWeightsOfOne() throws {
        let folder = try temporaryFolder(self, "mpi-training")
        let data = folder.appendingPathComponent("data")
        try writePhantomSlices(11, lesioned: 2, seed: 5, to: data)
        let common = ["--data", data.path, "--batch", "10", "--epochs", "2", "--seed", "4"] + smallModel
        let pretrained = folder.appendingPathComponent("one/weights.safetensors")

        let adapt = ["adapt", "--init", pretrained.path, "--regenerate-every", "10", "--au-from", "1", "--k", "2"]
        for (mode, arguments) in [("pretrain", ["pretrain"]), ("adapt", adapt)] {
            let one = folder.appendingPathComponent(mode == "pretrain" ? "one" : "one-adapted")
            let two = folder.appendingPathComponent(mode == "pretrain" ? "two" : "two-adapted")
            let single = try runU2AD(arguments + common + ["--out", one.path], environment: oneWorker)
            XCTAssertEqual(single.status, 0, single.errorOutput)
            let parallel = try runMPI(ranks: 2, arguments + common + ["--out", two.path], environment: oneWorker)
            XCTAssertEqual(parallel.status, 0, parallel.errorOutput)
            XCTAssertTrue(parallel.errorOutput.contains("2 ranks"), parallel.errorOutput)

            let difference = try relativeDifference(one.appendingPathComponent("weights.safetensors"), two.appendingPathComponent("weights.safetensors"))
            print(String(format: "%@: 1 rank %.1f s, 2 ranks %.1f s, relative weight difference %.2e", mode, single.seconds, parallel.seconds, difference))
            XCTAssertLessThanOrEqual(difference, 1e-5, "\(mode): weights of 2 ranks differ from 1 rank's by \(difference)")
            let steps = try stepRecords(two)
            XCTAssertEqual(steps.count, 4, "\(mode): 2 epochs of 2 batches")
            XCTAssertTrue(steps.allSatisfy { $0["allreduce"] is Double }, "\(mode): the steps of a 2-rank run record their all-reduce time")
            for (a, b) in zip(try stepRecords(one), steps) {
                let lossA = try XCTUnwrap(a["loss"] as? Double), lossB = try XCTUnwrap(b["loss"] as? Double)
                XCTAssertEqual(lossA, lossB, accuracy: 1e-5 * lossA, "\(mode) step \(a["step"] ?? "?")")
                XCTAssertEqual(a["hidden"] as? Int, b["hidden"] as? Int, "the masks are the whole batch's on every rank")
            }
            if mode == "adapt" {
                // The maps come from the weights both runs start from: sharded MC inference must give one process's maps exactly.
                let mapsA = try SafeTensorsFile.read(one.appendingPathComponent("checkpoint/uncertainty.safetensors"))
                let mapsB = try SafeTensorsFile.read(two.appendingPathComponent("checkpoint/uncertainty.safetensors"))
                for name in ["variance", "error"] {
                    XCTAssertEqual(try mapsA.floats(name).map(\.bitPattern), try mapsB.floats(name).map(\.bitPattern), name)
                }
            }
        }
    }

    /// Two-rank `detect` (MC dropout: one slice per batch) and `evaluate` (no dropout: slices share batches) write the
    /// single process's report and maps, and metrics (pixel AUROC, SSIM: every map counts), timings aside.
    func testTwoRankInferenceWritesTheReportOfOne() throws {
        let folder = try temporaryFolder(self, "mpi-detect")
        let configuration = UGMAEConfiguration(patchSize: 16, embedDim: 32, depth: 1, heads: 2, decoderEmbedDim: 16, decoderDepth: 1, decoderHeads: 2)
        let model = try UGMAE(configuration: configuration, backend: CPUBackend())
        try model.initializeRandomly(key: RandomKey(seed: 8))
        let weights = folder.appendingPathComponent("weights.safetensors")
        try model.save(to: weights)
        let patients = folder.appendingPathComponent("patients")
        try writePhantomSlices(2, lesioned: 1, seed: 6, to: patients.appendingPathComponent("lesioned"))
        try writePhantomSlices(1, seed: 7, to: patients.appendingPathComponent("healthy"))
        try writePhantomSlices(1, seed: 9, to: patients.appendingPathComponent("single"))

        let inference = ["--weights", weights.path, "--k", "2", "--seed", "3", "--threshold", "0.5", "--backend", "cpu"]
        let commands = [(["detect", "--input", patients.path, "--mc-dropout", "0.1"], "report.json"),
                        (["evaluate", "--data", patients.path], "metrics.json")]
        for (command, file) in commands {
            let one = folder.appendingPathComponent("\(command[0])-one"), two = folder.appendingPathComponent("\(command[0])-two")
            let single = try runU2AD(command + inference + ["--out", one.path], environment: oneWorker)
            XCTAssertEqual(single.status, 0, single.errorOutput)
            let parallel = try runMPI(ranks: 2, command + inference + ["--out", two.path], environment: oneWorker)
            XCTAssertEqual(parallel.status, 0, parallel.errorOutput)
            print(String(format: "%@: 1 rank %.1f s, 2 ranks %.1f s", command[0], single.seconds, parallel.seconds))
            XCTAssertNil(try differenceIgnoringTimings(one.appendingPathComponent(file), two.appendingPathComponent(file)), "\(command[0]): \(file)")
            let maps = try FileManager.default.subpathsOfDirectory(atPath: one.path).filter { $0.hasSuffix(".npy") }.sorted()
            XCTAssertEqual(maps.count, command[0] == "detect" ? 12 : 0, "3 maps of 4 slices from detect")
            XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: two.path).filter { $0.hasSuffix(".npy") }.sorted(), maps)
            for map in maps {
                XCTAssertEqual(FileManager.default.contents(atPath: one.appendingPathComponent(map).path),
                               FileManager.default.contents(atPath: two.appendingPathComponent(map).path), "\(command[0]): \(map)")
            }
        }
    }

    /// A rank killed mid-run ends the job within seconds, `mpirun` naming the rank, and the last checkpoint (written
    /// by rank 0 alone) resumes in one process.
    func testAKilledRankEndsTheJobAndLeavesALoadableCheckpoint() throws {
        let folder = try temporaryFolder(self, "mpi-kill")
        let data = folder.appendingPathComponent("data"), run = folder.appendingPathComponent("run")
        try writePhantomSlices(4, seed: 5, to: data)
        var killedAt: Date?
        let result = try runMPI(ranks: 2, ["pretrain", "--data", data.path, "--out", run.path, "--epochs", "1000", "--batch", "2",
                                           "--checkpoint-every", "1"] + smallModel, timeLimit: 240) { mpirun in
            let deadline = Date().addingTimeInterval(180)
            while Checkpoint.locate(run: run) == nil, mpirun.isRunning, Date() < deadline { usleep(50_000) }
            let victims = rankProcesses(of: mpirun.processIdentifier, rank: 1)
            XCTAssertEqual(victims.count, 1, "rank 1 is a child of mpirun")
            killedAt = Date()
            for victim in victims { kill(victim, SIGKILL) }
        }
        let ended = Date()
        XCTAssertFalse(result.timedOut, "the job outlived the killed rank")
        XCTAssertNotEqual(result.status, 0)
        let killed = try XCTUnwrap(killedAt)
        XCTAssertLessThan(ended.timeIntervalSince(killed), 30, "the job ends within a bounded time of the kill")
        XCTAssertTrue(result.errorOutput.contains("rank 1") && result.errorOutput.contains("signal 9"), result.errorOutput)

        let checkpoint = try XCTUnwrap(Checkpoint.locate(run: run))
        XCTAssertEqual(try Checkpoint.readState(checkpoint).ranks, 2)
        let resumed = try Trainer(resuming: run, backend: CPUBackend(), reporter: ProgressReporter(style: .silent))
        guard case .interrupted = try resumed.train(stepLimit: 1) else { return XCTFail("one more step was expected") }
        XCTAssertNil(resumed.state.ranks, "continued by one process")
    }

    /// `u2ad devices` under mpirun: every rank says which backend it takes and its share of the cores.
    func testDevicesUnderMPINameEachRanksChoice() throws {
        let result = try runMPI(ranks: 2, ["devices", "--backend", "cpu"])
        XCTAssertEqual(result.status, 0, result.errorOutput)
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
        for rank in 0..<2 {
            XCTAssertTrue(result.output.contains("rank \(rank) of 2 (local \(rank) of 2 on this node)"), result.output)
        }
        XCTAssertTrue(result.output.contains("CPU backend threads: \(threads)"), result.output)
        XCTAssertEqual(result.output.components(separatedBy: "OpenCL devices:").count, 2, "rank 0 alone lists the devices")
    }

    /// Launched as if by `mpirun` but with no loadable Open MPI: one error line saying how to install it.
    func testAMissingMPILibraryIsOneClearError() throws {
        let folder = try temporaryFolder(self, "mpi-missing")
        let launched = ["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0", "U2AD_MPI_LIBRARY": folder.appendingPathComponent("libmpi.so").path]
        let result = try runU2AD(["pretrain", "--data", folder.path, "--out", folder.appendingPathComponent("run").path], environment: launched)
        XCTAssertEqual(result.status, 1)
        let errors = result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errors.count, 1, result.errorOutput)
        XCTAssertTrue(errors.first?.contains("Open MPI's library cannot be loaded") == true && errors.first?.contains("apt-get install openmpi-bin") == true,
                      result.errorOutput)
    }

    /// The `step` records of a run's metrics.
    func stepRecords(_ run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").compactMap {
            let record = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return record?["event"] as? String == "step" ? record : nil
        }
    }

    /// Where two JSON files differ, timing fields (`seconds`, `inferenceSeconds`) and the device traffic aside: the first
    /// differing path, or nil.
    func differenceIgnoringTimings(_ a: URL, _ b: URL) throws -> String? {
        func difference(_ x: Any, _ y: Any, at path: String) -> String? {
            if let x = x as? [String: Any], let y = y as? [String: Any] {
                // Timings, and the device traffic: each rank counts its own batches' (report.json holds rank 0's).
                let keys = Set(x.keys).union(y.keys).subtracting(["seconds", "inferenceSeconds", "traffic"]).sorted()
                for key in keys {
                    guard let u = x[key], let v = y[key] else { return "\(path).\(key) is missing on one side" }
                    if let found = difference(u, v, at: "\(path).\(key)") { return found }
                }
                return nil
            }
            if let x = x as? [Any], let y = y as? [Any] {
                guard x.count == y.count else { return "\(path): \(x.count) against \(y.count) items" }
                return zip(x, y).enumerated().lazy.compactMap { difference($0.element.0, $0.element.1, at: "\(path)[\($0.offset)]") }.first
            }
            return (x as? NSObject) == (y as? NSObject) ? nil : "\(path): \(x) against \(y)"
        }
        return difference(try JSONSerialization.jsonObject(with: Data(contentsOf: a)), try JSONSerialization.jsonObject(with: Data(contentsOf: b)), at: "")
    }
}
