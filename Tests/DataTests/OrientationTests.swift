import Foundation
import U2ADData
import XCTest
import U2ADRandom

final class OrientationTests: XCTestCase {
    func testAxisCodesOfSimpleAffines() {
        let cases: [([[Double]], String)] = [
            ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "RAS"),
            ([[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "LPS"),
            ([[0, 0, 1, 0], [-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], "PSR"),
            ([[0, 0, 0.8, 0], [-0.8, 0, 0, 0], [0, -0.8, 0, 0], [0, 0, 0, 1]], "PIR"),
            // Oblique: 30 degrees between R and A still reads as R for the first axis.
            ([[0.866, -0.5, 0, 0], [0.5, 0.866, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], "RAS"),
            ([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "?AS"),
            ([[Double.nan, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "???"),
        ]
        for (affine, codes) in cases {
            XCTAssertEqual(Orientation.axisCodes(of: affine), codes, "\(affine)")
        }
    }

    /// One anatomy stored in five orientations by nibabel: the sagittal slices must be identical.
    func testSagittalSlicesIndependentOfStorageOrientation() throws {
        let ras = try NIfTIVolume.read(fixtureURL("data/nifti/orient_RAS.nii.gz"))
        let reference = try ras.sagittalSlices()
        XCTAssertEqual(reference.count, 5)
        // In RAS storage slice k is x = k, with row 0 at the top (z = nz-1) and column 0 in front (y = ny-1).
        for k in 0..<5 {
            XCTAssertEqual(reference[k].rows, 7)
            XCTAssertEqual(reference[k].columns, 6)
            XCTAssertEqual(reference[k].sourceIndex, k)
            XCTAssertEqual(reference[k].rowSpacing, 1.2, accuracy: 1e-6)
            XCTAssertEqual(reference[k].columnSpacing, 0.8, accuracy: 1e-6)
            for row in 0..<7 { for column in 0..<6 {
                XCTAssertEqual(reference[k].pixels[row * 6 + column], ras[x: k, y: 5 - column, z: 6 - row])
            } }
        }
        for codes in ["LAS", "LPS", "PSR", "PIR"] {
            let volume = try NIfTIVolume.read(fixtureURL("data/nifti/orient_\(codes).nii.gz"))
            XCTAssertEqual(volume.axisCodes, codes)
            let slices = try volume.sagittalSlices()
            XCTAssertEqual(slices.map(\.pixels), reference.map(\.pixels), codes)
            XCTAssertEqual(slices.map(\.rows), reference.map(\.rows), codes)
            for (slice, expected) in zip(slices, reference) {
                XCTAssertEqual(slice.rowSpacing, expected.rowSpacing, accuracy: 1e-6, codes)
                XCTAssertEqual(slice.columnSpacing, expected.columnSpacing, accuracy: 1e-6, codes)
            }
            let leftToRight = codes.first == "L" || codes.last == "L"
            XCTAssertEqual(slices.first?.sourceIndex, leftToRight ? 4 : 0, codes)
        }
    }

    /// The same check on volumes reoriented in Swift by permuting and flipping axes.
    func testSagittalSlicesOfSwiftReorientedVolumes() throws {
        var generator = RandomKey(seed: 3).stream()
        let shape = [4, 5, 6]
        let data = (0..<120).map { _ in Float(generator.next() % 1000) }
        let affine: [[Double]] = [[0.5, 0, 0, -1], [0, 0.75, 0, 2], [0, 0, 1.5, 3], [0, 0, 0, 1]]
        let ras = try NIfTIVolume(shape: shape, data: data, affine: affine)
        let reference = try ras.sagittalSlices()
        for permutation in [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]] {
            for flips in 0..<8 {
                let flip = (0..<3).map { flips & (1 << $0) != 0 }
                let volume = try reorient(ras, permutation: permutation, flip: flip)
                let slices = try volume.sagittalSlices()
                XCTAssertEqual(slices.map(\.pixels), reference.map(\.pixels), "\(permutation) \(flip) \(volume.axisCodes)")
                let rebuilt = try volume.volume(fromSagittalSlices: slices)
                XCTAssertEqual(rebuilt.data, volume.data)
            }
        }
    }

    func testMappingSlicesBackForOutputMaps() throws {
        let volume = try NIfTIVolume.read(fixtureURL("data/nifti/orient_PIR.nii.gz"))
        var slices = try volume.sagittalSlices()
        slices = slices.map { slice in
            var map = slice
            map.pixels = (0..<slice.pixels.count).map { Float($0 / slice.columns) }
            return map
        }
        let output = try volume.volume(fromSagittalSlices: [slices[2]], fill: -1)
        XCTAssertEqual(output.affine, volume.affine)
        let layout = try output.sagittalLayout()
        XCTAssertEqual(layout.leftRightAxis, 2)
        for row in 0..<layout.rows {
            XCTAssertEqual(output.data[layout.voxelIndex(sourceIndex: slices[2].sourceIndex, row: row, column: 0)], Float(row))
        }
        XCTAssertEqual(output.data.filter { $0 == -1 }.count, output.data.count - layout.rows * layout.columns)
        // Superior-most row (row 0) is the lowest y index in a PIR volume, whose y index grows inferiorly.
        XCTAssertEqual(output[x: 0, y: 0, z: slices[2].sourceIndex], 0)

        var wrong = slices[0]
        wrong.pixels.removeLast()
        assertDataError(try volume.volume(fromSagittalSlices: [wrong]), contains: ["orient_PIR.nii.gz", "sagittal slice"])
        assertDataError(try volume.sagittalSlice(sourceIndex: 99), contains: ["outside"])
    }

    func testDegenerateAffineIsAnError() throws {
        let flat = try NIfTIVolume(shape: [2, 2, 2], data: [Float](repeating: 0, count: 8),
                                   affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
        var broken = flat
        broken.geometry.sform = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
        broken.geometry.qformCode = 0
        assertDataError(try broken.sagittalSlices(), contains: ["orientation"])
    }

    /// Stores `volume` with new voxel axis j = old axis permutation[j], reversed where `flip[j]`, adjusting the affine.
    private func reorient(_ volume: NIfTIVolume, permutation: [Int], flip: [Bool]) throws -> NIfTIVolume {
        let newShape = permutation.map { volume.shape[$0] }
        var values = [Float](repeating: 0, count: volume.data.count)
        for z in 0..<newShape[2] { for y in 0..<newShape[1] { for x in 0..<newShape[0] {
            let new = [x, y, z]
            var old = [0, 0, 0]
            for j in 0..<3 { old[permutation[j]] = flip[j] ? newShape[j] - 1 - new[j] : new[j] }
            values[x + newShape[0] * (y + newShape[1] * z)] = volume[x: old[0], y: old[1], z: old[2]]
        } } }
        // old index = M * new index (homogeneous); new affine = old affine * M.
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        m[3][3] = 1
        for j in 0..<3 {
            m[permutation[j]][j] = flip[j] ? -1 : 1
            m[permutation[j]][3] = flip[j] ? Double(newShape[j] - 1) : 0
        }
        let old = volume.affine
        let affine = (0..<4).map { i in (0..<4).map { j in (0..<4).reduce(0.0) { $0 + old[i][$1] * m[$1][j] } } }
        return try NIfTIVolume(shape: newShape, data: values, affine: affine)
    }
}
