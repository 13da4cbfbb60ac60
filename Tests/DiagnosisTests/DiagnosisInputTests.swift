import XCTest
import U2ADData
import U2ADPipeline
import U2ADTestSupport

/// Finding the label maps: NIfTI volumes (middle sagittal slice, or the one given; images paired by name) and `.npy`
/// slices, with one-line errors for bad input.
final class DiagnosisInputTests: XCTestCase {
    /// A RAS volume of 5 sagittal slices whose middle one is `map` (rows superior to inferior, columns anterior to
    /// posterior); the others are `fill`.
    func volume(_ map: LabelMap, fill: Float = 0) throws -> NIfTIVolume {
        let nx = 5, ny = map.columns, nz = map.rows
        var data = [Float](repeating: fill, count: nx * ny * nz)
        for row in 0..<map.rows {
            for column in 0..<map.columns {
                let y = ny - 1 - column, z = nz - 1 - row
                data[2 + nx * (y + ny * z)] = Float(map.label(row, column))
            }
        }
        let affine: [[Double]] = [[1.2, 0, 0, 0], [0, map.columnSpacing, 0, 0], [0, 0, map.rowSpacing, 0], [0, 0, 0, 1]]
        return try NIfTIVolume(shape: [nx, ny, nz], data: data, affine: affine)
    }

    func testNIfTILabelsUseTheMiddleSagittalSliceInMillimetres() throws {
        let folder = try temporaryFolder(self, "diagnose-nifti")
        let map = IndicatorTests.views[3].map
        try volume(map).write(to: folder.appendingPathComponent("neck_seg.nii.gz"))
        try volume(map, fill: 100).write(to: folder.appendingPathComponent("neck.nii.gz"), as: .float32)
        let labels = folder.appendingPathComponent("neck_seg.nii.gz")

        let item = try XCTUnwrap(DiagnosisInput().load(labels: labels, images: nil).first)
        XCTAssertEqual(item.patient, "neck_seg")
        XCTAssertTrue(item.source.hasSuffix("neck_seg.nii.gz#2"), item.source)
        XCTAssertEqual(item.map.rowSpacing, 0.5, accuracy: 1e-6)
        XCTAssertEqual(item.map.columnSpacing, 0.8, accuracy: 1e-6)
        XCTAssertEqual(item.map.labels, map.labels)
        XCTAssertNil(item.image)
        // The header stores the spacing in single precision: the same map with it gives the same report.
        let same = LabelMap(rows: map.rows, columns: map.columns, values: map.labels.map(Float.init),
                            rowSpacing: item.map.rowSpacing, columnSpacing: item.map.columnSpacing)
        XCTAssertEqual(Diagnosis.diagnose(item.map, patient: "neck", source: ""), Diagnosis.diagnose(same, patient: "neck", source: ""))

        let paired = try XCTUnwrap(DiagnosisInput().load(labels: labels, images: folder).first)
        XCTAssertEqual(paired.patient, "neck", "a paired image names the patient, as detect does")
        XCTAssertEqual(paired.image?.count, map.rows * map.columns)

        let side = try XCTUnwrap(DiagnosisInput(slice: 0).load(labels: labels, images: nil).first)
        XCTAssertTrue(Diagnosis.diagnose(side.map, patient: "side", source: "").vertebrae.isEmpty)
        XCTAssertThrowsError(try DiagnosisInput(slice: 5).load(labels: labels, images: nil)) {
            XCTAssertEqual("\($0)", "--slice: 5 is out of range: neck_seg.nii.gz has 5 sagittal slices (0-4)")
        }
    }

    func testBadInputIsOneLineNamingIt() throws {
        let folder = try temporaryFolder(self, "diagnose-bad")
        XCTAssertThrowsError(try DiagnosisInput().load(labels: folder, images: nil)) {
            XCTAssertEqual("\($0)", "\(folder.path): holds no .npy slices or .nii/.nii.gz label volumes")
        }
        let missing = folder.appendingPathComponent("missing.npy")
        XCTAssertThrowsError(try DiagnosisInput().load(labels: missing, images: nil)) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
        XCTAssertThrowsError(try DiagnosisInput(pixelSpacing: 0).load(labels: folder, images: nil)) {
            XCTAssertEqual("\($0)", "--pixel-spacing: must be > 0 mm, got 0.0")
        }
        // A .npy slice with NaN is refused by the reader; a label outside the legend is left to the report.
        var values = [Float](repeating: 0, count: 3 * 256 * 256)
        values[2 * 256 * 256 + 5] = .nan
        try NPY.write(values, shape: [3, 256, 256], to: folder.appendingPathComponent("nan.npy"))
        XCTAssertThrowsError(try DiagnosisInput().load(labels: folder.appendingPathComponent("nan.npy"), images: nil)) {
            XCTAssertEqual("\($0)", "nan.npy: contains NaN or infinite values")
        }
        XCTAssertThrowsError(try DiagnosisInput().load(labels: folder, images: folder)) { XCTAssertTrue("\($0)".hasPrefix("--images:"), "\($0)") }
    }

    func testPatientFoldersUseTheirMiddleSlice() throws {
        let folder = try temporaryFolder(self, "diagnose-npy")
        let patient = folder.appendingPathComponent("patient")
        try FileManager.default.createDirectory(at: patient, withIntermediateDirectories: true)
        for k in 0..<3 {
            var values = [Float](repeating: 0, count: 3 * 256 * 256)
            values[2 * 256 * 256 + k] = 2
            try NPY.write(values, shape: [3, 256, 256], to: patient.appendingPathComponent("s\(k).npy"))
        }
        let cases = try DiagnosisInput().load(labels: folder, images: nil)
        XCTAssertEqual(cases.map(\.patient), ["patient"])
        XCTAssertEqual(cases[0].map.label(0, 1), 2, "the middle of three slices")
        XCTAssertEqual(cases[0].map.rowSpacing, 200.0 / 256.0)
        XCTAssertEqual(try DiagnosisInput(slice: 2).load(labels: folder, images: nil)[0].map.label(0, 2), 2)
    }
}
