import Foundation
import XCTest
@testable import U2ADData

/// Repository root, found from this file's real location (works through symlinks).
func prepRepoRoot() -> URL {
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// `Tests/Fixtures/preprocessing/<name>`.
func prepFixtureURL(_ name: String) -> URL {
    prepRepoRoot().appendingPathComponent("Tests/Fixtures/preprocessing").appendingPathComponent(name)
}

func prepLoadJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: prepFixtureURL(name))
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw ImageError.io("fixture \(name) is not a JSON object")
    }
    return obj
}

func prepDoubles(_ any: Any?) -> [Double] {
    (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
}

func prepInts(_ any: Any?) -> [Int] {
    (any as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? -1 }
}

final class PreprocessingZoomTests: XCTestCase {

    func testZoomMatchesSciPyFixtures() throws {
        let root = try prepLoadJSON("zoom_cases.json")
        let cases = root["cases"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let order = (c["order"] as? NSNumber)?.intValue ?? -1
            let z = prepDoubles(c["zoom"])
            let ishape = prepInts(c["input_shape"])
            let oshape = prepInts(c["output_shape"])
            let input = prepDoubles(c["input"])
            let expected = prepDoubles(c["output"])
            let got = try SplineZoom.zoom(input, rows: ishape[0], cols: ishape[1],
                                          zoom: (z[0], z[1]), order: order)
            XCTAssertEqual(got.rows, oshape[0], "\(name) rows")
            XCTAssertEqual(got.cols, oshape[1], "\(name) cols")
            XCTAssertEqual(got.pixels.count, expected.count, "\(name) count")
            guard got.pixels.count == expected.count else { continue }
            var worst = 0.0
            for i in 0..<expected.count {
                let e = expected[i], g = got.pixels[i]
                let err = abs(g - e) / max(1.0, abs(e))
                worst = max(worst, err)
            }
            XCTAssertLessThan(worst, 1e-9, "\(name): worst relative error \(worst)")
            if order == 0 {
                XCTAssertEqual(got.pixels, expected, "\(name): nearest must be exact")
            }
        }
    }

    func testImage2DZoomRoundsToFloat() throws {
        let img = Image2D(rows: 3, cols: 4, pixels: (0..<12).map { Float($0) * 0.5 })
        let z = try SplineZoom.zoom(img, zoom: (2.0, 1.5), order: 3)
        XCTAssertEqual(z.rows, 6)
        XCTAssertEqual(z.cols, 6)
        // corners are exact grid points of the input
        XCTAssertEqual(z[0, 0], 0, accuracy: 1e-5)
        XCTAssertEqual(z[5, 5], 5.5, accuracy: 1e-5)
        // identity
        XCTAssertEqual(try SplineZoom.zoom(img, zoom: (1, 1), order: 3), img)
    }

    func testOutputShapeRoundsHalfToEven() {
        XCTAssertEqual(SplineZoom.outputLength(5, zoom: 0.5), 2)   // 2.5 -> 2
        XCTAssertEqual(SplineZoom.outputLength(7, zoom: 0.5), 4)   // 3.5 -> 4
        XCTAssertEqual(SplineZoom.outputLength(200, zoom: 256.0 / 200.0), 256)
        XCTAssertEqual(SplineZoom.outputLength(99, zoom: 0.8), 79)
    }

    func testZoomRejectsBadArguments() {
        XCTAssertThrowsError(try SplineZoom.zoom([1, 2, 3], rows: 2, cols: 2, zoom: (2, 2)))
        XCTAssertThrowsError(try SplineZoom.zoom([1, 2, 3, 4], rows: 2, cols: 2, zoom: (2, 2), order: 6))
        XCTAssertThrowsError(try SplineZoom.zoom([1, 2, 3, 4], rows: 2, cols: 2, zoom: (0, 2)))
    }
}
