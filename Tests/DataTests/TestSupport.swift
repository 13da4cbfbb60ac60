import Foundation
import U2ADData
import XCTest

/// Locations of test inputs, found from this file's path (symlinks resolved, so a scratch package works too).
enum TestPaths {
    static let repositoryRoot: URL = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/data")

    static func fixture(_ relative: String) -> URL { fixtures.appendingPathComponent(relative) }

    /// A file under `../shared/data`, or a skip when the shared data is not there.
    static func sharedData(_ relative: String) throws -> URL {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared data not found at \(url.path) (expected ../shared/data next to the repository)")
        }
        return url
    }
}

/// A fresh temporary folder removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-data-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Runs `body`, requiring it to throw a `DataError` whose one-line message contains every fragment.
func assertDataError<T>(
    _ body: @autoclosure () throws -> T, contains fragments: [String] = [], file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected a DataError", file: file, line: line)
    } catch let error as DataError {
        let message = error.description
        XCTAssertFalse(message.contains("\n"), "message spans several lines: \(message)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "'\(message)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a DataError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}

/// Loads a JSON fixture as nested Foundation objects.
func loadJSON(_ url: URL) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try XCTUnwrap(object as? [String: Any])
}

func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) where !(abs(x - y) <= tolerance) {
        XCTFail("\(a) != \(b) within \(tolerance) \(message)", file: file, line: line)
        return
    }
}

/// A small deterministic generator (SplitMix64) so fuzz tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
