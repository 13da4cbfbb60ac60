import Foundation
import XCTest
@testable import U2ADData

final class MorphologyTests: XCTestCase {

    private func image(_ values: [Int], _ shape: [Int]) -> Image2D {
        Image2D(rows: shape[0], cols: shape[1], pixels: values.map { Float($0) })
    }

    private func ints(_ img: Image2D) -> [Int] { img.pixels.map { Int($0) } }

    func testBinaryMorphologyMatchesSciPy() throws {
        let root = try prepLoadJSON("morphology_cases.json")
        let cases = root["cases"] as? [[String: Any]] ?? []
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let shape = prepInts(c["shape"])
            let m = image(prepInts(c["mask"]), shape)
            XCTAssertEqual(ints(Morphology.binaryDilation(m)), prepInts(c["dilate1"]), "\(name) dilate1")
            XCTAssertEqual(ints(Morphology.binaryDilation(m, iterations: 2)), prepInts(c["dilate2"]), "\(name) dilate2")
            XCTAssertEqual(ints(Morphology.binaryDilation(m, structure: .four)), prepInts(c["dilate1_cross"]), "\(name) dilate cross")
            XCTAssertEqual(ints(Morphology.binaryErosion(m)), prepInts(c["erode1"]), "\(name) erode1")
            XCTAssertEqual(ints(Morphology.binaryErosion(m, iterations: 2)), prepInts(c["erode2"]), "\(name) erode2")
            XCTAssertEqual(ints(Morphology.binaryErosion(m, borderValue: true)), prepInts(c["erode1_border1"]), "\(name) erode border 1")
            XCTAssertEqual(ints(Morphology.binaryErosion(m, structure: .four)), prepInts(c["erode1_cross"]), "\(name) erode cross")

            let l4 = Morphology.label(m, connectivity: .four)
            XCTAssertEqual(l4.labels.map { Int($0) }, prepInts(c["label4"]), "\(name) label4")
            XCTAssertEqual(l4.count, (c["count4"] as? NSNumber)?.intValue, "\(name) count4")
            let l8 = Morphology.label(m, connectivity: .eight)
            XCTAssertEqual(l8.labels.map { Int($0) }, prepInts(c["label8"]), "\(name) label8")
            XCTAssertEqual(l8.count, (c["count8"] as? NSNumber)?.intValue, "\(name) count8")
            XCTAssertEqual(l8.sizes, prepInts(c["sizes8"]), "\(name) sizes8")
            XCTAssertEqual(Morphology.componentSizes(m, connectivity: .eight), prepInts(c["sizes8"]))

            XCTAssertEqual(ints(Morphology.removeSmallComponents(m, minSize: 5, connectivity: .four)),
                           prepInts(c["remove_small5_conn4"]), "\(name) remove small 4")
            XCTAssertEqual(ints(Morphology.removeSmallComponents(m, minSize: 5, connectivity: .eight)),
                           prepInts(c["remove_small5_conn8"]), "\(name) remove small 8")
            XCTAssertEqual(ints(Morphology.keepLargestComponent(m, connectivity: .four)),
                           prepInts(c["largest4"]), "\(name) largest 4")
            XCTAssertEqual(ints(Morphology.keepLargestComponent(m, connectivity: .eight)),
                           prepInts(c["largest8"]), "\(name) largest 8")
        }
    }

    func testAveragePoolMatchesSciPy() throws {
        let root = try prepLoadJSON("morphology_cases.json")
        let pools = root["avgpool"] as? [[String: Any]] ?? []
        XCTAssertEqual(pools.count, 3)
        for p in pools {
            let shape = prepInts(p["shape"])
            let x = Image2D(rows: shape[0], cols: shape[1], doubles: prepDoubles(p["input"]))
            let expected = prepDoubles(p["output"])
            let y = Morphology.averagePool3x3(x)
            XCTAssertEqual(y.rows, shape[0])
            XCTAssertEqual(y.cols, shape[1])
            for i in 0..<expected.count {
                XCTAssertEqual(Double(y.pixels[i]), expected[i], accuracy: 1e-6)
            }
        }
    }

    func testAveragePoolStrideAndConstant() {
        let x = Image2D(rows: 5, cols: 5, repeating: 9)
        let y = Morphology.averagePool3x3(x)
        XCTAssertEqual(y[2, 2], 9)
        XCTAssertEqual(y[0, 0], 4)   // 4 of 9 taps inside
        XCTAssertEqual(y[0, 2], 6)
        let s = Morphology.averagePool3x3(x, stride: 2)
        XCTAssertEqual(s.rows, 3)
        XCTAssertEqual(s.cols, 3)
        XCTAssertEqual(s[1, 1], 9)
    }

    func testIterateUntilStableAndEmpty() {
        var m = Image2D(rows: 6, cols: 6)
        m[2, 3] = 1
        XCTAssertEqual(Morphology.binaryDilation(m, iterations: 0).nonzeroCount, 36)
        XCTAssertEqual(Morphology.binaryErosion(Image2D(rows: 4, cols: 4, repeating: 1), iterations: 0).nonzeroCount, 0)
        let empty = Image2D(rows: 3, cols: 3)
        XCTAssertEqual(Morphology.label(empty).count, 0)
        XCTAssertEqual(Morphology.keepLargestComponent(empty), empty)
    }
}
