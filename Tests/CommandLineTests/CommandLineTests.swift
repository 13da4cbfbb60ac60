import Foundation
import XCTest

/// Runs the built `u2ad` executable the way a user does.
final class CommandLineTests: XCTestCase {
    /// The README's main job, on its reduced setting: every stage runs and leaves its outputs.
    func testDemoRunsEndToEnd() throws {
        let out = try temporaryFolder(self, "cli-demo")
        let result = try runU2AD(["demo", "--quick", "--out", out.path, "--backend", "cpu"])
        XCTAssertEqual(result.status, 0, result.errorOutput.suffix(2000).description)
        XCTAssertTrue(result.output.contains("demo finished"), result.output)
        for path in ["pretrain/weights.safetensors", "pretrain/metrics.jsonl", "adapt/weights.safetensors", "adapt/weights.thresholds.json",
                     "detection/report.json", "evaluation/metrics.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), "missing \(path)")
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("evaluation/metrics.json"))) as? [String: Any]
        XCTAssertNotNil(metrics?["patient"], "metrics.json has no patient-level block")
        let panels = FileManager.default.enumerator(atPath: out.appendingPathComponent("detection").path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".panel.png") } ?? []
        XCTAssertEqual(panels.count, 3, "one panel per clinical slice")
    }

    func testDevicesReportsTheAutoChoice() throws {
        let result = try runU2AD(["devices"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("auto picks:"), result.output)
        XCTAssertTrue(result.output.contains("BLAS core:"), result.output)
    }

    func testBadInputGivesOneLineErrorAndNoOutput() throws {
        let folder = try temporaryFolder(self, "cli-bad")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let weights = folder.appendingPathComponent("broken.safetensors")
        try Data([1, 2, 3]).write(to: weights)
        let output = folder.appendingPathComponent("out.npy")
        let result = try runU2AD(["reconstruct", "--weights", weights.path, "--input", "x.npy", "--masked-patches", "m.npy",
                              "--output", output.path, "--backend", "cpu"])
        XCTAssertEqual(result.status, 1)
        let errorLines = result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errorLines.count, 1, result.errorOutput)
        XCTAssertTrue(errorLines.first?.contains("broken.safetensors") ?? false, result.errorOutput)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))

        // A slice of the wrong shape is named in the error, not mistaken for a NIfTI volume.
        let slice = folder.appendingPathComponent("small.npy")
        var npy = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        npy += Data([UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]) + Data(header.utf8) + Data(count: 64)
        try npy.write(to: slice)
        let fixtureWeights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/model/weights.safetensors")
        let detect = try runU2AD(["detect", "--weights", fixtureWeights.path, "--input", slice.path, "--out", folder.appendingPathComponent("out").path,
                              "--backend", "cpu"])
        XCTAssertEqual(detect.status, 1)
        XCTAssertTrue(detect.errorOutput.contains("error: small.npy: shape [4, 4]"), detect.errorOutput)

        let badBackend = try runU2AD(["devices", "--backend", "fast"])
        XCTAssertNotEqual(badBackend.status, 0)
    }
}
