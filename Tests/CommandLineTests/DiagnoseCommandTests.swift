import Foundation
import XCTest

/// `u2ad diagnose` the way a user runs it: reports and pictures on good input, one clear error line on bad input.
final class DiagnoseCommandTests: XCTestCase {
    /// A (3, 256, 256) float32 `.npy` slice whose label channel is `label(row, column)`.
    func writeSlice(_ url: URL, label: (Int, Int) -> Float) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 256, 256), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        data += Data([UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]) + Data(header.utf8)
        var values = [Float](repeating: 0, count: 3 * 256 * 256)
        for row in 0..<256 { for column in 0..<256 { values[2 * 256 * 256 + row * 256 + column] = label(row, column) } }
        values.withUnsafeBytes { data += Data($0) }
        try data.write(to: url)
    }

    func errorLines(_ errors: String) -> [Substring] { errors.split(separator: "\n").filter { $0.hasPrefix("error:") } }

    func testBadInputGivesOneClearLine() throws {
        let folder = try temporaryFolder(self, "diagnose-bad")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let out = folder.appendingPathComponent("out").path
        let nan = folder.appendingPathComponent("nan.npy")
        try writeSlice(nan) { row, column in row == 10 && column == 10 ? .nan : 0 }
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["--labels", folder.appendingPathComponent("missing.npy").path], "missing.npy: does not exist"),
            (["--labels", empty.path], "holds no .npy slices or .nii/.nii.gz label volumes"),
            (["--labels", nan.path], "nan.npy: contains NaN or infinite values"),
            (["--labels", nan.path, "--slice=-1"], "--slice: must be >= 0"),
            (["--labels", nan.path, "--pixel-spacing", "0"], "--pixel-spacing: must be > 0 mm"),
            (["--labels", nan.path, "--first-vertebra", "Q9"], "--first-vertebra: unknown level Q9"),
            (["--labels", nan.path, "--detection", nan.path], "nan.npy: is not a u2ad detection report"),
        ]
        for (arguments, message) in cases {
            let result = try runU2AD(["diagnose"] + arguments + ["--out", out])
            XCTAssertEqual(result.status, 1, arguments.description)
            let lines = errorLines(result.errorOutput)
            XCTAssertEqual(lines.count, 1, result.errorOutput)
            XCTAssertTrue(lines.first?.contains(message) ?? false, "\(arguments): \(result.errorOutput)")
        }
    }

    func testLabelsOutsideTheLegendAreReportedNotGuessed() throws {
        let folder = try temporaryFolder(self, "diagnose-99")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeSlice(folder.appendingPathComponent("odd.npy")) { row, _ in row > 100 && row < 120 ? 99 : 0 }
        let out = folder.appendingPathComponent("out")
        let result = try runU2AD(["diagnose", "--labels", folder.path, "--out", out.path])
        XCTAssertEqual(result.status, 0, result.errorOutput)
        XCTAssertTrue(result.errorOutput.contains("warning: odd: label values outside the legend 0-7 at 4864 pixels: 99 (4864 px)"), result.errorOutput)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("odd/diagnosis.json"))) as? [String: Any]
        for indicator in ["cobbAngle", "mscc", "kLine", "herniation", "t2Hyperintensity"] {
            let reason = (json?[indicator] as? [String: Any])?["notComputable"] as? String
            XCTAssertTrue(reason?.contains("outside the legend") ?? false, "\(indicator): \(String(describing: reason))")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("odd/diagnosis.png").path))
    }

    func testDiagnosesTheSharedClinicalSlices() throws {
        let clinical = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/u2ad-samples/clinical")
        guard FileManager.default.fileExists(atPath: clinical.path) else { throw XCTSkip("shared data not found at \(clinical.path)") }
        let out = try temporaryFolder(self, "diagnose-clinical")
        let result = try runU2AD(["diagnose", "--labels", clinical.path, "--out", out.path])
        XCTAssertEqual(result.status, 0, result.errorOutput)
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.contains("Cobb") }.count, 3, result.output)
        XCTAssertTrue(result.output.contains("2: Cobb -5.2° kyphosis, MSCC 46.6% at C5-6, K-line -"), result.output)
        for patient in ["1", "2", "3"] {
            for file in ["diagnosis.json", "diagnosis.png"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(patient)/\(file)").path), "\(patient)/\(file)")
            }
        }
    }
}
