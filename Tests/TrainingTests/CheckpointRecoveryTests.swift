import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRuntime

/// The checkpoint guarantees of docs/limits.md, with the folders a kill -9 can leave staged by hand: recovery takes
/// the newest complete checkpoint, a damaged file is found by its checksum, and metrics.jsonl keeps whole lines.
final class CheckpointRecoveryTests: XCTestCase {
    let quiet = ProgressReporter(style: .silent)
    let fileManager = FileManager.default

    /// Two complete checkpoints of one run: after step 1 (`older`) and after step 2 (`newer`), and the run itself.
    func twoCheckpoints() throws -> (run: URL, older: URL, newer: URL) {
        let data = try trainingFolder(self, group: "clinical", files: ["2.npy", "3.npy"])
        var options = smallOptions(data: data, epochs: 2, batch: 1)
        options.checkpointEvery = 0
        let run = try temporaryFolder(self, "run"), store = try temporaryFolder(self, "store")
        let backend = CPUBackend()
        _ = try Trainer(options: options, run: run, backend: backend, reporter: quiet).train(stepLimit: 1)
        let older = store.appendingPathComponent("older"), newer = store.appendingPathComponent("newer")
        try fileManager.copyItem(at: run.appendingPathComponent("checkpoint"), to: older)
        _ = try Trainer(resuming: run, backend: backend, reporter: quiet).train(stepLimit: 1)
        try fileManager.copyItem(at: run.appendingPathComponent("checkpoint"), to: newer)
        return (run, older, newer)
    }

    /// A run folder holding copies of the given checkpoints under the given names.
    func stage(_ folders: [(URL, String)]) throws -> URL {
        let run = try temporaryFolder(self, "staged")
        for (source, name) in folders { try fileManager.copyItem(at: source, to: run.appendingPathComponent(name)) }
        return run
    }

    func flipBit(_ url: URL, at offset: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[offset] ^= 0x10
        try Data(bytes).write(to: url)
    }

    func testRecoveryTakesTheNewestCompleteCheckpointInEveryKillWindow() throws {
        let (_, older, newer) = try twoCheckpoints()
        let temporary = ".checkpoint-1234.tmp"

        // Written, not yet renamed: the current checkpoint and a complete temporary one (newer).
        var run = try stage([(older, "checkpoint"), (newer, temporary)])
        XCTAssertEqual(try Checkpoint.recover(run: run)?.folder.lastPathComponent, temporary)
        XCTAssertEqual(try Checkpoint.recover(run: run)?.state.step, 2)

        // Between the two renames, with checkpoint.old damaged (the case that once lost the run).
        run = try stage([(older, "checkpoint.old"), (newer, temporary)])
        try flipBit(run.appendingPathComponent("checkpoint.old/weights.safetensors"), at: 5000)
        let recovered = try XCTUnwrap(try Checkpoint.recover(run: run))
        XCTAssertEqual(recovered.folder.lastPathComponent, temporary)
        XCTAssertTrue(recovered.skipped.first?.contains("checkpoint.old/weights.safetensors: is damaged") ?? false, "\(recovered.skipped)")

        // Killed while deleting checkpoint.old after the new one was in place: half of it is gone.
        run = try stage([(newer, "checkpoint"), (older, "checkpoint.old")])
        try fileManager.removeItem(at: run.appendingPathComponent("checkpoint.old/optimizer.safetensors"))
        XCTAssertEqual(try Checkpoint.recover(run: run)?.folder.lastPathComponent, "checkpoint")

        // Killed while writing the temporary folder (no checksums.json yet): the current one, and the leftover goes.
        run = try stage([(older, "checkpoint"), (newer, temporary)])
        try fileManager.removeItem(at: run.appendingPathComponent("\(temporary)/checksums.json"))
        XCTAssertEqual(try Checkpoint.recover(run: run)?.state.step, 1)

        // The current checkpoint damaged, the previous one whole: the previous one, saying why.
        run = try stage([(newer, "checkpoint"), (older, "checkpoint.old")])
        try flipBit(run.appendingPathComponent("checkpoint/optimizer.safetensors"), at: 200)
        let fallback = try XCTUnwrap(try Checkpoint.recover(run: run))
        XCTAssertEqual(fallback.folder.lastPathComponent, "checkpoint.old")
        XCTAssertEqual(fallback.skipped.count, 1)
    }

    func testResumePromotesACompleteTemporaryCheckpointAndRemovesLeftovers() throws {
        let (original, older, newer) = try twoCheckpoints()
        let run = try stage([(older, "checkpoint.old"), (newer, ".checkpoint-1234.tmp"), (older, ".checkpoint-5678.tmp")])
        try fileManager.removeItem(at: run.appendingPathComponent(".checkpoint-5678.tmp/checksums.json"))
        try fileManager.copyItem(at: original.appendingPathComponent("metrics.jsonl"), to: run.appendingPathComponent("metrics.jsonl"))
        let trainer = try Trainer(resuming: run, backend: CPUBackend(), reporter: quiet)
        XCTAssertEqual(trainer.state.step, 2)
        let names = try fileManager.contentsOfDirectory(atPath: run.path).sorted()
        XCTAssertEqual(names, ["checkpoint", "metrics.jsonl"], "the temporary checkpoint is in place; checkpoint.old and the leftover are gone")
        XCTAssertEqual(try Checkpoint.recover(run: run)?.state.step, 2)
    }

    func testFlippedBitInTheWeightsIsAClearErrorOnResume() throws {
        let (_, _, newer) = try twoCheckpoints()
        let run = try stage([(newer, "checkpoint")])
        let weights = run.appendingPathComponent("checkpoint/weights.safetensors")
        try flipBit(weights, at: try Data(contentsOf: weights).count - 100)
        XCTAssertThrowsError(try Trainer(resuming: run, backend: CPUBackend(), reporter: quiet)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("checkpoint/weights.safetensors: is damaged"), message)
            XCTAssertTrue(message.contains("CRC-32"), message)
            XCTAssertFalse(message.contains("\n"))
        }
        // A run holding only a damaged checkpoint is not taken for an empty folder either.
        XCTAssertThrowsError(try Trainer(options: smallOptions(data: run, epochs: 1, batch: 1), run: run, backend: CPUBackend(), reporter: quiet)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--out:"), "\(error)")
        }
    }

    func testCheckpointWithoutChecksumsFromAnOlderBuildStillResumes() throws {
        let (_, _, newer) = try twoCheckpoints()
        let run = try stage([(newer, "checkpoint")])
        try fileManager.removeItem(at: run.appendingPathComponent("checkpoint/checksums.json"))
        XCTAssertEqual(try Trainer(resuming: run, backend: CPUBackend(), reporter: quiet).state.step, 2)
    }

    func testHandTruncatedMetricsLeaveOnlyWholeLinesAfterResume() throws {
        let (run, _, _) = try twoCheckpoints()
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let text = try Data(contentsOf: metrics)
        try text.prefix(text.count - 7).write(to: metrics)
        let trainer = try Trainer(resuming: run, backend: CPUBackend(), reporter: quiet)
        _ = try trainer.train(stepLimit: 1)
        let lines = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "", "the file ends with a newline")
        for line in lines.dropLast() {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), String(line))
        }
    }

    func testFreshStartRemovesLeftoverTemporaryFolders() throws {
        let data = try trainingFolder(self, group: "clinical", files: ["2.npy"])
        let run = try temporaryFolder(self, "fresh")
        let leftover = run.appendingPathComponent(".checkpoint-dead.tmp")
        try fileManager.createDirectory(at: leftover, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: leftover.appendingPathComponent("weights.safetensors"))
        _ = try Trainer(options: smallOptions(data: data, epochs: 1, batch: 1), run: run, backend: CPUBackend(), reporter: quiet)
        XCTAssertFalse(fileManager.fileExists(atPath: leftover.path))
    }
}
