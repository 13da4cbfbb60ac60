import Foundation
import XCTest

/// `u2ad study` end to end at the tiny budget: every step of the protocol runs, the files appear, and the same seed
/// gives the same tables.
final class StudyCommandTests: XCTestCase {
    func testTinyStudyRunsEndToEndAndIsDeterministic() throws {
        var outputs: [[String: Any]] = []
        for run in 0..<2 {
            let folder = try temporaryFolder(self, "study-\(run)")
            let result = try runU2AD(["study", "--cohort", "phantom", "--budget", "tiny", "--methods", "u2ad,mae,intensity", "--seed", "3",
                                      "--replicates", "50", "--backend", "cpu", "--out", folder.path])
            XCTAssertEqual(result.status, 0, result.errorOutput)
            XCTAssertTrue(result.output.contains("## Detection"), result.output)
            let markdown = try String(contentsOf: folder.appendingPathComponent("study.md"), encoding: .utf8)
            let plot = try String(contentsOf: folder.appendingPathComponent("detectability.svg"), encoding: .utf8)
            XCTAssertEqual(plot.components(separatedBy: "<polyline").count - 1, 6, "a line per method and panel")
            XCTAssertTrue(markdown.contains("| u2ad |") && markdown.contains("| mae |") && markdown.contains("| intensity |"))
            var json = try loadJSON(folder.appendingPathComponent("study.json"))
            XCTAssertEqual((json["methods"] as? [Any])?.count, 3)
            // Timings differ run to run; everything else must not.
            json["seconds"] = nil
            json["methods"] = (json["methods"] as? [[String: Any]])?.map { method -> [String: Any] in
                var copy = method
                copy["trainSeconds"] = nil
                copy["inferenceSeconds"] = nil
                return copy
            }
            outputs.append(json)
        }
        XCTAssertEqual(NSDictionary(dictionary: outputs[0]), NSDictionary(dictionary: outputs[1]), "the same seed must give the same study")
    }

    func testBadStudyOptionsAreOneLine() throws {
        let folder = try temporaryFolder(self, "study-bad")
        for (arguments, fragment) in [(["--methods", "u2ad,bogus"], "--methods"), (["--budget", "huge"], "--budget"),
                                      (["--cohort", "/nonexistent/folder"], "--cohort"), (["--replicates=-1"], "--replicates")] {
            let result = try runU2AD(["study", "--out", folder.path] + arguments)
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.errorOutput.contains(fragment), result.errorOutput)
            XCTAssertEqual(result.errorOutput.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, result.errorOutput)
        }
    }
}
