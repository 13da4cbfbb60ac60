import Foundation
@testable import U2ADData
import XCTest

/// The bounds of docs/limits.md: each one is a one-line DataError naming the file, the value and the limit, raised
/// before anything is allocated.
final class LimitsTests: XCTestCase {
    /// A NIfTI-1 header (uint8 voxels, data at 352) declaring `dims`, followed by `payload` bytes.
    private func niftiHeader(dims: [Int16], datatype: Int16 = 2, bitpix: Int16 = 8, slope: Float = 1, payload: [UInt8] = []) -> Data {
        var bytes = [UInt8](repeating: 0, count: 352)
        func put<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + MemoryLayout<T>.size), with: $0) }
        }
        func putFloat(_ value: Float, _ offset: Int) { put(value.bitPattern, offset) }
        put(Int32(348), 0)
        for (i, d) in ([Int16(dims.count)] + dims + [Int16](repeating: 1, count: 7 - dims.count)).enumerated() { put(d, 40 + 2 * i) }
        put(datatype, 70)
        put(bitpix, 72)
        for i in 0..<4 { putFloat(1, 76 + 4 * i) }
        putFloat(352, 108)
        putFloat(slope, 112)
        bytes.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        return Data(bytes + payload)
    }

    func testVolumeOverTheVoxelLimitIsRefusedBeforeDecompressing() throws {
        // 800^3 voxels in a small gzip file: refused from the header, before 512 MB are inflated.
        let header = niftiHeader(dims: [800, 800, 800])
        let compressed = try Gzip.compress(header + Data(count: 1 << 20), name: "bomb.nii.gz")
        XCTAssertLessThan(compressed.count, 10_000)
        assertDataError(try NIfTIVolume.read(from: compressed, name: "bomb.nii.gz"),
                        contains: ["bomb.nii.gz", "[800, 800, 800]", "512000000", "268435456"])
        assertDataError(try NIfTIVolume.read(from: header, name: "plain.nii"), contains: ["plain.nii", "268435456"])
    }

    func testVolumeWithinTheLimitButBeyondWhatItsGzipCanHoldIsRefused() throws {
        let compressed = try Gzip.compress(niftiHeader(dims: [400, 400, 400]), name: "lying.nii.gz")
        assertDataError(try NIfTIVolume.read(from: compressed, name: "lying.nii.gz"),
                        contains: ["lying.nii.gz", "64000000 bytes of voxel data", "gzip file can hold"])
    }

    func testNPYHeaderAndElementLimits() throws {
        func npy(header: String) -> Data {
            Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]) + Data(header.utf8)
        }
        let long = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + String(repeating: " ", count: 12_000) + "\n"
        assertDataError(try NPY.readFloats(from: npy(header: long), name: "long.npy"), contains: ["long.npy", "header length", "10000"])
        let huge = "{'descr': '|u1', 'fortran_order': False, 'shape': (32768, 32768), }\n"
        assertDataError(try NPY.readFloats(from: npy(header: huge), name: "huge.npy"), contains: ["huge.npy", "(2^28)"])
    }

    func testMemoryBudgetRefusesWhatCannotFit() throws {
        guard let available = MemoryBudget.available else { throw XCTSkip("available memory unknown on this system") }
        XCTAssertGreaterThan(available, 0)
        assertDataError(try MemoryBudget.check(Int.max / 2, for: "shape [1]", file: "x.nii"), contains: ["x.nii", "shape [1]", "available"])
        XCTAssertNoThrow(try MemoryBudget.check(1024, for: "shape [1]", file: "x.nii"))
    }

    func testLabelRule() {
        XCTAssertEqual(LabelRule.value(2.5), 3, "ties round away from zero")
        XCTAssertEqual(LabelRule.value(-0.4), 0)
        XCTAssertEqual(LabelRule.value(2_147_483_520), 2_147_483_520, "the largest float32 below 2^31")
        for bad: Float in [.nan, .infinity, -.infinity, 1e19, -3e9, 2_147_483_648] { XCTAssertNil(LabelRule.value(bad), "\(bad)") }
        assertDataError(try LabelRule.check([0, 3, .nan], file: "seg.nii.gz", what: "voxel"), contains: ["seg.nii.gz", "voxel value nan", "element 2"])
        XCTAssertNoThrow(try LabelRule.check([0, 3, 6.2, -1], file: "seg.nii.gz"))
        XCTAssertEqual(LabelRule.distinct([0, 1, 1.2, 3, .nan, 7]), [1, 3, 7])
        // Image helpers built on the rule never trap on such values.
        XCTAssertEqual(Image2D(rows: 1, cols: 3, pixels: [3, .nan, 1e30]).mask(labels: [3]).pixels, [1, 0, 0])
    }

    func testScaledLabelVolumeBeyondTheRuleReadsWithoutTrapping() throws {
        // scl_slope 1e38 overflows float32: the volume reads (infinite values), and the rule rejects it as labels.
        let volume = try NIfTIVolume.read(from: niftiHeader(dims: [2, 1, 1], slope: 1e38, payload: [0, 255]), name: "seg.nii")
        XCTAssertEqual(volume.data[0], 0)
        XCTAssertFalse(volume.data[1].isFinite)
        assertDataError(try LabelRule.check(volume.data, file: volume.name), contains: ["seg.nii", "inf"])
    }

    func testPreprocessingBoundsVoxelSizeAndResampledSize() throws {
        let image = Image2D(rows: 4, cols: 4, pixels: [Float](repeating: 1, count: 16))
        for spacing in [(1e30, 1.0), (0.0, 1.0), (Double.nan, 1.0), (1.0, 1e-9)] {
            XCTAssertThrowsError(try Preprocessing.preprocess(image: image, labels: nil, spacing: (spacing.0, spacing.1))) { error in
                XCTAssertTrue("\(error)".contains("voxel size"), "\(error)")
            }
        }
        let tall = Image2D(rows: 200, cols: 2, pixels: [Float](repeating: 1, count: 400))
        XCTAssertThrowsError(try Preprocessing.preprocess(image: tall, labels: nil, spacing: (100, 1))) { error in
            XCTAssertTrue("\(error)".contains("8192"), "\(error)")
        }
        XCTAssertThrowsError(try SplineZoom.zoom([1, 2], rows: 1, cols: 2, zoom: (1e300, 1)))
        // Non-finite voxels count as 0.
        let holes = Image2D(rows: 4, cols: 4, pixels: [.nan] + [Float](repeating: 1, count: 14) + [.infinity])
        let slice = try Preprocessing.preprocess(image: holes, labels: nil, spacing: (1, 1))
        XCTAssertTrue(slice.image.pixels.allSatisfy(\.isFinite))
    }

    func testFolderGivenAsAFileIsOneSentence() throws {
        let folder = try temporaryFolder(self, "limits")
        assertDataError(try NPY.readFloats(folder), contains: [folder.path, "is a folder"])
        assertDataError(try NPY.readFloats(folder.appendingPathComponent("absent.npy")), contains: ["absent.npy", "no such file"])
    }

    func testFileChecksum() throws {
        let folder = try temporaryFolder(self, "crc")
        let url = folder.appendingPathComponent("a.bin")
        try Data("123456789".utf8).write(to: url)
        let checksum = try FileChecksum(of: url)
        XCTAssertEqual(checksum.bytes, 9)
        XCTAssertEqual(checksum.crc32, "cbf43926", "the CRC-32 check value")
    }
}
