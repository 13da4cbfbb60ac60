import Foundation
import U2ADData
import XCTest
import U2ADRandom

final class NPYTests: XCTestCase {
    /// The pattern written by tools/fixtures-data/make_npy_fixtures.py, in C order for shape (2, 3, 4).
    private func expectedPattern(descr code: String) -> [Double] {
        var values = [Double]()
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            if code == "b1" {
                values.append(Double((i + j + k) % 2))
            } else {
                values.append(Double(12 * i + 4 * j + k - (code.hasPrefix("u") ? 0 : 5)))
            }
        } } }
        return values
    }

    func testEveryDtypeByteOrderMemoryOrderAndVersion() throws {
        let folder = fixtureURL("data/npy")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".npy") && $0.contains("_v") && !$0.hasPrefix("bad") }
        XCTAssertGreaterThanOrEqual(names.count, 48)
        for name in names {
            let code = String(name.prefix(2))
            let url = folder.appendingPathComponent(name)
            let doubles = try NPY.readDoubles(url)
            XCTAssertEqual(doubles.shape, [2, 3, 4], name)
            XCTAssertEqual(doubles.values, expectedPattern(descr: code), name)
            let floats = try NPY.readFloats(url)
            XCTAssertEqual(floats.shape, [2, 3, 4], name)
            XCTAssertEqual(floats.values, expectedPattern(descr: code).map(Float.init), name)
        }
        for version in ["v1", "v2", "v3"] {
            XCTAssertTrue(names.contains { $0.hasSuffix("_\(version).npy") }, "no fixture for \(version)")
        }
    }

    func testHeaderFields() throws {
        let header = try NPY.readHeader(from: Data(contentsOf: fixtureURL("data/npy/f4_be_f_v1.npy")), name: "x.npy")
        XCTAssertEqual(header.descr, ">f4")
        XCTAssertTrue(header.fortranOrder)
        XCTAssertEqual(header.shape, [2, 3, 4])
        XCTAssertEqual(header.dataOffset, 128)
        let v3 = try NPY.readHeader(from: Data(contentsOf: fixtureURL("data/npy/f8_le_c_v3.npy")), name: "y.npy")
        XCTAssertEqual(v3.version.major, 3)
    }

    func testEdgeShapes() throws {
        let scalar = try NPY.readDoubles(fixtureURL("data/npy/scalar_f8.npy"))
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.values, [3.5])
        let empty = try NPY.readFloats(fixtureURL("data/npy/empty_f4.npy"))
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.values, [])
        let vector = try NPY.readFloats(fixtureURL("data/npy/vector_i4.npy"))
        XCTAssertEqual(vector.shape, [7])
        XCTAssertEqual(vector.values, [-3, -2, -1, 0, 1, 2, 3])
    }

    func testInvalidFilesGiveClearErrors() {
        let cases: [(String, [String])] = [
            ("bad_object.npy", ["bad_object.npy", "object dtype"]),
            ("bad_structured.npy", ["bad_structured.npy", "structured dtype"]),
            ("bad_complex.npy", ["bad_complex.npy", "'<c16'"]),
            ("bad_magic.npy", ["bad_magic.npy", "bad magic"]),
            ("bad_truncated.npy", ["bad_truncated.npy", "truncated", "needs 192 data bytes, file has 183"]),
            ("bad_header_only.npy", ["bad_header_only.npy", "truncated"]),
            ("bad_version.npy", ["bad_version.npy", "version 4.0"]),
            ("does_not_exist.npy", ["does_not_exist.npy", "no such file"]),
        ]
        for (name, fragments) in cases {
            assertDataError(try NPY.readFloats(fixtureURL("data/" + "npy/" + name)), contains: fragments)
        }
    }

    func testMalformedHeadersNeverCrash() throws {
        let good = try Data(contentsOf: fixtureURL("data/npy/f8_le_c_v1.npy"))
        var generator = RandomKey(seed: 11).stream()
        for _ in 0..<400 {
            var bytes = [UInt8](good)
            switch generator.next() % 3 {
            case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0..<(1 + generator.next() % 4) {
                    bytes[Int(generator.next() % 128)] = UInt8(truncatingIfNeeded: generator.next())
                }
            default:
                let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(Int64(bitPattern: generator.next())), 99999999999), }"
                bytes = Array(bytes.prefix(8)) + [UInt8(text.utf8.count), 0] + Array(text.utf8)
            }
            do { _ = try NPY.readDoubles(from: Data(bytes), name: "mutant.npy") } catch is DataError {}
        }
    }

    func testWriteThenReadRoundTrips() throws {
        let folder = try temporaryFolder(self, "data")
        let floats: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
        let url = folder.appendingPathComponent("f.npy")
        try NPY.write(floats, shape: [2, 3, 4], to: url)
        let back = try NPY.readFloats(url)
        XCTAssertEqual(back.shape, [2, 3, 4])
        XCTAssertEqual(back.values, floats)
        let header = try NPY.readHeader(from: Data(contentsOf: url), name: "f.npy")
        XCTAssertEqual(header.descr, "<f4")
        XCTAssertEqual(header.dataOffset % 64, 0)

        let doubles: [Double] = [1e-300, -2.5, .pi]
        try NPY.write(doubles, shape: [3], to: folder.appendingPathComponent("d.npy"))
        XCTAssertEqual(try NPY.readDoubles(folder.appendingPathComponent("d.npy")).values, doubles)

        let bytes: [UInt8] = [0, 1, 255, 7]
        try NPY.write(bytes, shape: [2, 2], to: folder.appendingPathComponent("u.npy"))
        let readBytes = try NPY.readDoubles(folder.appendingPathComponent("u.npy"))
        XCTAssertEqual(readBytes.shape, [2, 2])
        XCTAssertEqual(readBytes.values, [0, 1, 255, 7])

        assertDataError(try NPY.write([Float](), shape: [], to: folder.appendingPathComponent("bad.npy")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.npy").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["d.npy", "f.npy", "u.npy"])
    }

    func testWriterMatchesNumPyBytes() throws {
        // numpy.save of np.arange(24, dtype='<f4').reshape(2, 3, 4) - 5 would produce the f4_le_c_v1 layout.
        let expected = try Data(contentsOf: fixtureURL("data/npy/f4_le_c_v1.npy"))
        let values = expectedPattern(descr: "f4").map(Float.init)
        XCTAssertEqual(try NPY.encode(values, shape: [2, 3, 4]), expected)
    }

    func testWriterRejectsCountNotMatchingShape() {
        assertDataError(try NPY.encode([Float](repeating: 0, count: 5), shape: [2, 3], name: "out.npy"),
                        contains: ["out.npy", "5 values", "[2, 3]"])
    }

    func testClinicalSample() throws {
        let url = try sharedData("u2ad-samples/clinical/2.npy")
        let (shape, values) = try NPY.readDoubles(url)
        XCTAssertEqual(shape, [3, 256, 256])
        // Reference values read once with numpy 2.4.6: a = np.load("clinical/2.npy");
        // a[0,128,128], a[0,100,50], a[0,0,0], a[2,128,128], a[0].sum(), a[1].sum(), (a[2] == 6).sum().
        func at(_ c: Int, _ r: Int, _ k: Int) -> Double { values[(c * 256 + r) * 256 + k] }
        XCTAssertEqual(at(0, 128, 128), 0.159450863472195)
        XCTAssertEqual(at(0, 100, 50), 0.14281512975643607)
        XCTAssertEqual(at(0, 0, 0), 0.14204515162788095)
        XCTAssertEqual(at(2, 128, 128), 2.0)
        XCTAssertEqual(values[0..<65536].reduce(0, +), 16271.366208872405, accuracy: 1e-6)
        XCTAssertEqual(values[65536..<131072].reduce(0, +), 1658.0)
        XCTAssertEqual(values[131072...].filter { $0 == 6 }.count, 19)
        XCTAssertEqual(at(2, 168, 146), 6)
        let floats = try NPY.readFloats(url)
        XCTAssertEqual(floats.values[128 * 256 + 128], Float(0.159450863472195))
    }
}
