import Foundation
import U2ADData
import XCTest

final class NIfTITests: XCTestCase {
    private func expectations() throws -> [String: Any] {
        try loadJSON(fixtureURL("data/nifti/expected.json"))
    }

    /// Every small fixture against nibabel: shape, zooms, affine, axis codes and every voxel.
    func testFixturesMatchNibabel() throws {
        let all = try expectations()
        XCTAssertGreaterThanOrEqual(all.count, 20)
        for (name, entry) in all {
            let expected = try XCTUnwrap(entry as? [String: Any])
            let volume = try NIfTIVolume.read(fixtureURL("data/" + "nifti/" + name))
            XCTAssertEqual(volume.shape, expected["shape"] as? [Int], name)
            assertClose(volume.spacing, try XCTUnwrap(expected["zooms"] as? [Double]), tolerance: 1e-6, name)
            let affine = try XCTUnwrap(expected["affine"] as? [[Double]])
            assertClose(volume.affine.flatMap { $0 }, affine.flatMap { $0 }, tolerance: 1e-5, name)
            XCTAssertEqual(volume.axisCodes, expected["axcodes"] as? String, name)
            XCTAssertEqual(Orientation.axisCodes(of: affine), expected["axcodes"] as? String, name)
            let values = try XCTUnwrap(expected["values"] as? [Double])
            assertClose(volume.data.map(Double.init), values, tolerance: 1e-5, name)
        }
    }

    func testDataTypesAndVersions() throws {
        let cases: [(String, NIfTIDataType)] = [
            ("dtype_uint8.nii", .uint8), ("dtype_int8.nii", .int8), ("dtype_int16.nii", .int16),
            ("dtype_uint16.nii", .uint16), ("dtype_int32.nii", .int32), ("dtype_uint32.nii", .uint32),
            ("dtype_int64.nii", .int64), ("dtype_float32.nii", .float32), ("dtype_float64.nii", .float64),
            ("dtype_int16_be.nii", .int16), ("nifti2.nii.gz", .float64),
        ]
        for (name, type) in cases {
            XCTAssertEqual(try NIfTIVolume.read(fixtureURL("data/" + "nifti/" + name)).sourceDataType, type, name)
        }
        let scaled = try NIfTIVolume.read(fixtureURL("data/nifti/scaled.nii"))
        XCTAssertEqual(scaled[x: 0, y: 0, z: 0], -27.5)
        XCTAssertEqual(scaled[x: 2, y: 3, z: 4], Float((2 + 9 + 48 - 7) * 2.5 - 10))
    }

    func testWriteReadRoundTripKeepsGeometry() throws {
        let folder = try temporaryFolder(self, "data")
        for source in ["orient_PSR.nii.gz", "qform_only.nii", "sform_only.nii", "no_transform.nii", "nifti2.nii.gz"] {
            let volume = try NIfTIVolume.read(fixtureURL("data/" + "nifti/" + source))
            for output in ["out.nii", "out.nii.gz"] {
                let url = folder.appendingPathComponent(output)
                try volume.write(to: url)
                let back = try NIfTIVolume.read(url)
                XCTAssertEqual(back.shape, volume.shape, source)
                XCTAssertEqual(back.data, volume.data, source)
                XCTAssertEqual(back.geometry.qformCode, volume.geometry.qformCode, source)
                XCTAssertEqual(back.geometry.sformCode, volume.geometry.sformCode, source)
                assertClose(back.affine.flatMap { $0 }, volume.affine.flatMap { $0 }, tolerance: 1e-5, source)
                assertClose(back.geometry.qformMatrix.flatMap { $0 }, volume.geometry.qformMatrix.flatMap { $0 },
                            tolerance: 1e-5, source)
                XCTAssertEqual(back.sourceDataType, .float32)
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["out.nii", "out.nii.gz"])
    }

    func testUInt8OutputRoundsAndClamps() throws {
        let volume = try NIfTIVolume(shape: [2, 2, 2], data: [0, 0.4, 0.6, 1, 254.6, 300, -5, .nan], affine: identity)
        let url = try temporaryFolder(self, "data").appendingPathComponent("mask.nii.gz")
        try volume.write(to: url, as: .uint8)
        let back = try NIfTIVolume.read(url)
        XCTAssertEqual(back.sourceDataType, .uint8)
        XCTAssertEqual(back.data, [0, 0, 1, 1, 255, 255, 0, 0])
    }

    func testGeometryFromAffine() throws {
        let angle = 0.3
        let oblique: [[Double]] = [
            [cos(angle) * 0.8, 0, -sin(angle) * 2.0, 12],
            [0, -1.1, 0, -4],
            [sin(angle) * 0.8, 0, cos(angle) * 2.0, 30],
            [0, 0, 0, 1],
        ]
        for affine in [oblique, identity, [[0, 0, 1.5, 1], [-1, 0, 0, 2], [0, 2, 0, 3], [0, 0, 0, 1]]] {
            let geometry = NIfTIGeometry(affine: affine)
            assertClose(geometry.qformMatrix.flatMap { $0 }, affine.flatMap { $0 }, tolerance: 1e-9)
            assertClose(geometry.sformMatrix.flatMap { $0 }, affine.flatMap { $0 }, tolerance: 0)
        }
    }

    func testVolumeInitRejectsInconsistentInput() {
        assertDataError(try NIfTIVolume(shape: [2, 2], data: [0, 0, 0, 0], affine: identity), contains: ["shape"])
        assertDataError(try NIfTIVolume(shape: [2, 2, 2], data: [0], affine: identity, name: "map.nii"),
                        contains: ["map.nii", "1 values"])
        assertDataError(try NIfTIVolume(shape: [1, 1, 0], data: [], affine: identity), contains: ["shape"])
    }

    func testCorruptFilesGiveOneLineErrors() throws {
        let plain = [UInt8](try Data(contentsOf: fixtureURL("data/nifti/small.nii")))
        let gz = [UInt8](try Data(contentsOf: fixtureURL("data/nifti/small.nii.gz")))
        func patched(_ offset: Int, _ values: [UInt8], _ more: (Int, [UInt8])...) -> Data {
            var bytes = plain
            for (at, patch) in [(offset, values)] + more { bytes.replaceSubrange(at..<(at + patch.count), with: patch) }
            return Data(bytes)
        }
        func int16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func float(_ value: Float) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        let cases: [(Data, [String])] = [
            (Data(), ["truncated"]),
            (Data(plain.prefix(200)), ["truncated", "348-byte header"]),
            (Data(plain.dropLast(7)), ["truncated", "needs 240 bytes", "file has 233"]),
            (patched(0, [1, 2, 3, 4]), ["not a NIfTI file", "sizeof_hdr"]),
            (patched(344, Array("xx1\0".utf8)), ["bad NIfTI-1 magic 'xx1"]),
            (patched(344, Array("ni1\0".utf8)), ["pair"]),
            (patched(40, int16(9)), ["dim[0] is 9"]),
            (patched(42, int16(-6)), ["dim[1] is -6"]),
            (patched(44, int16(0)), ["dim[2] is 0"]),
            (patched(42, int16(200) + int16(200) + int16(200)), ["needs", "bytes of voxel data"]),
            (patched(42, int16(32000) + int16(32000) + int16(32000)), ["[32000, 32000, 32000]", "limit of 268435456"]),
            (patched(40, int16(4), (48, int16(5))), ["dim[4] is 5", "3-D"]),
            (patched(70, int16(32)), ["datatype code 32"]),
            (patched(108, float(1e9)), ["vox_offset", "beyond the end"]),
            (patched(108, float(.nan)), ["vox_offset is nan"]),
            (patched(108, float(-4)), ["vox_offset is -4"]),
            (patched(112, float(2) + float(.infinity)), ["scl_inter is inf"]),
            (Data(gz.prefix(gz.count / 2)), ["truncated", "gzip stream ends"]),
            (Data(gz.prefix(30)), ["truncated"]),
            (Data(gz.prefix(20) + [UInt8](repeating: 0xff, count: gz.count - 20)), ["corrupt gzip stream"]),
            (Data(gz.prefix(gz.count - 8) + [0, 0, 0, 0] + gz.suffix(4)), ["corrupt gzip stream"]),
        ]
        for (index, (data, fragments)) in cases.enumerated() {
            assertDataError(try NIfTIVolume.read(from: data, name: "case\(index).nii"), contains: ["case\(index).nii: "] + fragments)
        }
        assertDataError(try NIfTIVolume.read(fixtureURL("data/nifti/missing.nii.gz")), contains: ["missing.nii.gz", "no such file"])
    }

    func testGzipDeclaringHugeDataFailsWithoutAllocating() {
        // Beyond the voxel limit: refused from the header (docs/limits.md).
        assertDataError(try NIfTIVolume.read(fixtureURL("data/nifti/lying_dims.nii.gz")),
                        contains: ["lying_dims.nii.gz", "[30000, 30000, 30000]", "limit of 268435456"])
    }

    func testConcatenatedGzipMembers() throws {
        let split = try NIfTIVolume.read(fixtureURL("data/nifti/two_members.nii.gz"))
        XCTAssertEqual(split.data, try NIfTIVolume.read(fixtureURL("data/nifti/small.nii")).data)
    }

    private let identity: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
}
