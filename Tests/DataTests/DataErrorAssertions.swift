import Foundation
import U2ADData
import XCTest
@_exported import U2ADTestSupport

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
