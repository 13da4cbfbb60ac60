import Foundation
import XCTest

/// The command-line signatures of issue 12, each once a crash, a hang or silence: now exit status 1 and exactly one
/// `error:` line naming the option or file and the value.
final class BadValueTests: XCTestCase {
    let fixtureWeights = repositoryRoot.appendingPathComponent("Tests/Fixtures/model/weights.safetensors").path

    func assertOneLineError(_ arguments: [String], environment: [String: String] = [:], mentions fragments: [String],
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runU2AD(arguments, environment: environment)
        let errors = result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(result.status, 1, "\(arguments): \(result.errorOutput.suffix(500))", file: file, line: line)
        XCTAssertEqual(errors.count, 1, "\(arguments): \(result.errorOutput.suffix(500))", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(errors.first?.contains(fragment) ?? false, "\(arguments): '\(errors.first ?? "")' lacks '\(fragment)'", file: file, line: line)
        }
        XCTAssertFalse(result.errorOutput.contains("NSCocoaErrorDomain"), result.errorOutput, file: file, line: line)
    }

    func testAbsurdValuesAreOneLineErrors() throws {
        let folder = try temporaryFolder(self, "bad-values")
        let slice = try sharedData("u2ad-samples/clinical/1.npy").path
        let out = folder.appendingPathComponent("out").path
        let detect = ["detect", "--weights", fixtureWeights, "--input", slice, "--out", out, "--backend", "cpu"]
        try assertOneLineError(detect + ["--k", "9223372036854775807"], mentions: ["--k", "9223372036854775807", "1...400"])
        try assertOneLineError(detect + ["--smoothing", "1e308"], mentions: ["--smoothing", "1e+308"])
        try assertOneLineError(detect + ["--pixel-spacing", "1e308"], mentions: ["--pixel-spacing", "1e+308"])
        try assertOneLineError(detect + ["--thresholds", folder.appendingPathComponent("missing.json").path], mentions: ["--thresholds", "missing.json"])
        try assertOneLineError(detect + ["--backend", ""], mentions: ["--backend"])
        try assertOneLineError(detect, environment: ["U2AD_THREADS": "-3"], mentions: ["U2AD_THREADS", "-3"])

        let data = try sharedData("u2ad-samples/clinical").path
        let pretrain = ["pretrain", "--data", data, "--out", folder.appendingPathComponent("run").path, "--backend", "cpu"]
        try assertOneLineError(pretrain + ["--patch-size", "0"], mentions: ["--patch-size", "0"])
        try assertOneLineError(pretrain + ["--depth", "100000000"], mentions: ["--depth", "100000000", "1...64"])
        try assertOneLineError(pretrain + ["--epochs", "1000000000000"], mentions: ["--epochs", "1000000000000"])
        try assertOneLineError(["adapt", "--data", data, "--out", folder.appendingPathComponent("adapt").path, "--init", fixtureWeights,
                                "--depth", "3", "--backend", "cpu"], mentions: ["--depth", "3", "the 2 of the pretrained weights"])

        try assertOneLineError(["diagnose", "--labels", slice, "--out", out, "--pixel-spacing", "1e308"], mentions: ["--pixel-spacing", "1e+308"])

        try assertOneLineError(["help", "bogus"], mentions: ["bogus"])
        let file = folder.appendingPathComponent("file.txt")
        try Data("x".utf8).write(to: file)
        try assertOneLineError(["preprocess", "--images", folder.path, "--labels", folder.path, "--out", file.path], mentions: ["--out", "is a file"])
        try assertOneLineError(["detect", "--weights", folder.path, "--input", slice, "--out", out, "--backend", "cpu"],
                               mentions: [folder.path, "is a folder"])
    }

    func testResumingAFinishedRunSaysSo() throws {
        let data = try temporaryFolder(self, "one-slice")
        try FileManager.default.copyItem(at: try sharedData("u2ad-samples/clinical/2.npy"), to: data.appendingPathComponent("2.npy"))
        let run = try temporaryFolder(self, "finished").appendingPathComponent("run").path
        let train = try runU2AD(["pretrain", "--data", data.path, "--out", run, "--epochs", "1", "--batch", "1", "--depth", "1", "--decoder-depth", "1",
                                 "--patch-size", "32", "--snapshot-every", "0", "--backend", "cpu"])
        XCTAssertEqual(train.status, 0, train.errorOutput.suffix(500).description)
        try assertOneLineError(["pretrain", "--resume", run, "--backend", "cpu"], mentions: ["--resume", "has already finished (1 of 1 epochs"])
    }
}
