import Foundation
import U2ADData
import XCTest

/// The Spinal Cord Toolbox volumes in ../shared/data/sct against values read once with nibabel
/// (Tests/Fixtures/data/sct_reference.json, made by tools/fixtures-data/make_sct_reference.py).
final class NIfTISharedDataTests: XCTestCase {
    func testVolumesMatchNibabel() throws {
        let reference = try loadJSON(fixtureURL("data/sct_reference.json"))
        XCTAssertEqual(reference.count, 11)
        for (relative, entry) in reference.sorted(by: { $0.key < $1.key }) {
            let expected = try XCTUnwrap(entry as? [String: Any])
            let volume = try NIfTIVolume.read(try sharedData("sct/" + relative))
            XCTAssertEqual(volume.shape, expected["shape"] as? [Int], relative)
            assertClose(volume.spacing, try XCTUnwrap(expected["zooms"] as? [Double]), tolerance: 1e-6, relative)
            let affine = try XCTUnwrap(expected["affine"] as? [[Double]])
            assertClose(volume.affine.flatMap { $0 }, affine.flatMap { $0 }, tolerance: 1e-4, relative)
            XCTAssertEqual(volume.axisCodes, expected["axcodes"] as? String, relative)
            XCTAssertEqual("\(volume.sourceDataType)", expected["dtype"] as? String, relative)
            let sum = volume.data.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, try XCTUnwrap(expected["sum"] as? Double), accuracy: 1e-3, relative)
            for voxel in try XCTUnwrap(expected["voxels"] as? [[Double]]) {
                let (x, y, z) = (Int(voxel[0]), Int(voxel[1]), Int(voxel[2]))
                XCTAssertEqual(Double(volume[x: x, y: y, z: z]), voxel[3], accuracy: 1e-4, "\(relative) \(voxel)")
            }
            try checkSagittal(volume, try XCTUnwrap(expected["sagittal"] as? [String: Any]), relative)
        }
    }

    private func checkSagittal(_ volume: NIfTIVolume, _ expected: [String: Any], _ name: String) throws {
        let slices = try volume.sagittalSlices()
        XCTAssertEqual(slices.count, expected["count"] as? Int, name)
        let first = try XCTUnwrap(slices.first)
        XCTAssertEqual(first.rows, expected["rows"] as? Int, name)
        XCTAssertEqual(first.columns, expected["columns"] as? Int, name)
        XCTAssertEqual(first.rowSpacing, try XCTUnwrap(expected["rowSpacing"] as? Double), accuracy: 1e-6, name)
        XCTAssertEqual(first.columnSpacing, try XCTUnwrap(expected["columnSpacing"] as? Double), accuracy: 1e-6, name)
        XCTAssertEqual(first.sourceIndex, expected["sourceIndexOfFirst"] as? Int, name)
        let sums = try XCTUnwrap(expected["sliceSums"] as? [Double])
        for (slice, sum) in zip(slices, sums) {
            XCTAssertEqual(slice.pixels.reduce(0.0) { $0 + Double($1) }, sum, accuracy: 1e-3, "\(name) slice \(slice.sourceIndex)")
        }
        for sample in try XCTUnwrap(expected["samples"] as? [[Double]]) {
            let (k, row, column) = (Int(sample[0]), Int(sample[1]), Int(sample[2]))
            XCTAssertEqual(Double(slices[k].pixels[row * slices[k].columns + column]), sample[3], accuracy: 1e-4, "\(name) \(sample)")
        }
        let rebuilt = try volume.volume(fromSagittalSlices: slices)
        XCTAssertEqual(rebuilt.data, volume.data, name)
    }

    func testLesionMaskAndRoundTripOfRealVolume() throws {
        let lesion = try NIfTIVolume.read(try sharedData("sct/t2/t2_fake_lesion_lesion_seg.nii.gz"))
        XCTAssertEqual(lesion.data.filter { $0 > 0 }.count, 163)
        let url = try temporaryFolder(self, "data").appendingPathComponent("lesion.nii.gz")
        try lesion.write(to: url, as: .uint8)
        let back = try NIfTIVolume.read(url)
        XCTAssertEqual(back.data, lesion.data)
        XCTAssertEqual(back.affine, lesion.affine)
        XCTAssertEqual(back.geometry.qformMatrix, lesion.geometry.qformMatrix)
    }
}
