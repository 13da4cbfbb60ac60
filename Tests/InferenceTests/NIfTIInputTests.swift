import Foundation
import XCTest
@testable import U2ADPipeline
import U2ADData

/// NIfTI volumes go through the same preprocessing path as `u2ad preprocess` into detect and evaluate.
final class NIfTIInputTests: XCTestCase {
    func testVolumeWithLabelVolumesBecomesOnePatientOfPreprocessedSlices() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sct = root.deletingLastPathComponent().appendingPathComponent("shared/data/sct/t2")
        guard FileManager.default.fileExists(atPath: sct.path) else { throw XCTSkip("../shared/data/sct is absent") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("u2ad-nifti-input-\(getpid())")
        let images = folder.appendingPathComponent("images"), labels = folder.appendingPathComponent("labels")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sct.appendingPathComponent("t2_fake_lesion.nii.gz"), to: images.appendingPathComponent("t2_fake_lesion.nii.gz"))
        for suffix in ["_sc_seg", "_lesion_seg"] {
            try FileManager.default.copyItem(at: sct.appendingPathComponent("t2_fake_lesion\(suffix).nii.gz"),
                                             to: labels.appendingPathComponent("t2_fake_lesion\(suffix).nii.gz"))
        }
        let patients = try VolumeSlicing(labelMap: [1: 3]).patients(images: images, labels: labels)
        XCTAssertEqual(patients.map(\.name), ["t2_fake_lesion"])
        let slices = patients[0].slices
        XCTAssertGreaterThan(slices.count, 5, "slices containing the cord")
        for slice in slices {
            XCTAssertEqual(slice.image.count, 256 * 256)
            XCTAssertGreaterThanOrEqual(slice.image.min()!, 0)
            XCTAssertLessThanOrEqual(slice.image.max()!, 1)
            XCTAssertTrue(slice.labels.contains(3), "\(slice.name) has no cord")
            XCTAssertTrue(slice.roi.contains(1), "\(slice.name) has an empty ROI")
        }
        let lesionPixels = slices.reduce(0) { $0 + $1.labels.filter { $0 == 6 }.count }
        XCTAssertGreaterThan(lesionPixels, 0, "the lesion mask (binary, named *lesion*) must become label 6 inside the cord")

        XCTAssertThrowsError(try VolumeSlicing().patients(images: images, labels: images)) { error in
            XCTAssertTrue("\(error)".contains("no label volume"), "\(error)")
        }
    }

    /// Maps written back into the scan's geometry land on the right voxels: restoring a preprocessed slice
    /// gives back the original slice up to interpolation and intensity scaling.
    func testRestoreInvertsThePreprocessingGeometry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = root.deletingLastPathComponent().appendingPathComponent("shared/data/sct/t2/t2.nii.gz")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("../shared/data/sct is absent") }
        let volume = try NIfTIVolume.read(url)
        let slice = try volume.sagittalSlices()[volume.shape[0] / 2]
        let slicing = VolumeSlicing(requiredLabels: [])
        let processed = try Preprocessing.preprocess(image: Image2D(rows: slice.rows, cols: slice.columns, pixels: slice.pixels), labels: nil,
                                                     spacing: (slice.rowSpacing, slice.columnSpacing))
        let restored = try slicing.restore(processed.image.pixels, size: 256, rows: slice.rows, columns: slice.columns,
                                           spacing: (slice.rowSpacing, slice.columnSpacing))
        XCTAssertEqual(restored.count, slice.pixels.count)
        func correlation(_ a: [Float], _ b: [Float]) -> Double {
            let n = Double(a.count)
            let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = try b.reduce(0.0) { $0 + Double($1) } / n
            var ab = 0.0, aa = 0.0, bb = 0.0
            for (x, y) in zip(a, b) { ab += (Double(x) - ma) * (Double(y) - mb); aa += (Double(x) - ma) * (Double(x) - ma); bb += (Double(y) - mb) * (Double(y) - mb) }
            return ab / (aa * bb).squareRoot()
        }
        XCTAssertGreaterThan(correlation(restored, slice.pixels), 0.95)
        // A map shifted by one column correlates less: the test would catch an off-by-a-few-pixels inverse.
        let shifted = (0..<restored.count).map { i in i % slice.columns >= 3 ? restored[i - 3] : 0 }
        XCTAssertLessThan(correlation(shifted, slice.pixels), correlation(restored, slice.pixels))
    }
}
