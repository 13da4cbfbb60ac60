import Foundation
import U2ADData
import XCTest
import U2ADRandom

/// Hundreds of seeded mutations of small valid files: every read must succeed or throw a DataError,
/// never crash, hang or allocate what a lying header asks for.
final class NIfTIFuzzTests: XCTestCase {
    private let headerFields = [0, 40, 42, 44, 46, 48, 70, 72, 76, 80, 108, 112, 116, 252, 254, 256, 280, 344]

    func testMutatedPlainFiles() throws {
        let original = [UInt8](try Data(contentsOf: fixtureURL("data/nifti/small.nii")))
        var generator = RandomKey(seed: 20240601).stream()
        var outcomes = [0, 0]
        for _ in 0..<400 {
            var bytes = original
            switch generator.next() % 4 {
            case 0:
                for _ in 0..<(1 + generator.next() % 6) {
                    bytes[Int(generator.next() % 352)] = UInt8(truncatingIfNeeded: generator.next())
                }
            case 1:
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            case 2:
                let field = headerFields[Int(generator.next() % UInt64(headerFields.count))]
                let absurd: [Int32] = [0, -1, 1, Int32.max, Int32.min, 0x7fff_7fff, 0x4f80_0000, 0x7fc0_0000, 0x7f80_0000, 32767]
                withUnsafeBytes(of: absurd[Int(generator.next() % UInt64(absurd.count))].littleEndian) {
                    bytes.replaceSubrange(field..<(field + 4), with: $0)
                }
            default:
                bytes.withUnsafeMutableBytes { raw in
                    for axis in 1...3 {
                        let value = Int16(truncatingIfNeeded: generator.next())
                        raw.storeBytes(of: value.littleEndian, toByteOffset: 40 + 2 * axis, as: Int16.self)
                    }
                }
            }
            outcomes[try readOrThrow(bytes) ? 0 : 1] += 1
        }
        XCTAssertGreaterThan(outcomes[1], 100, "most mutations should be rejected: \(outcomes)")
    }

    func testMutatedCompressedFiles() throws {
        let original = [UInt8](try Data(contentsOf: fixtureURL("data/nifti/small.nii.gz")))
        var generator = RandomKey(seed: 77).stream()
        var outcomes = [0, 0]
        for _ in 0..<400 {
            var bytes = original
            switch generator.next() % 3 {
            case 0:
                for _ in 0..<(1 + generator.next() % 4) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: 1 + generator.next() % 255)
                }
            case 1:
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            default:
                let start = 10 + Int(generator.next() % UInt64(bytes.count - 10))
                let length = min(Int(generator.next() % 40), bytes.count - start)
                for i in start..<(start + length) { bytes[i] = UInt8(truncatingIfNeeded: generator.next()) }
            }
            outcomes[try readOrThrow(bytes) ? 0 : 1] += 1
        }
        XCTAssertGreaterThan(outcomes[1], 200, "most mutations should be rejected: \(outcomes)")
    }

    /// True when the bytes decode, false when they are rejected with a DataError.
    private func readOrThrow(_ bytes: [UInt8]) throws -> Bool {
        do {
            let volume = try NIfTIVolume.read(from: Data(bytes), name: "mutant.nii")
            XCTAssertEqual(volume.data.count, volume.shape.reduce(1, *))
            _ = volume.axisCodes
            _ = try? volume.sagittalSlices()
            return true
        } catch let error as DataError {
            XCTAssertTrue(error.description.hasPrefix("mutant.nii: "), error.description)
            return false
        }
    }
}
