import Foundation
import XCTest
import U2ADData
import U2ADRandom
import U2ADPipeline

/// Lesion insertion into the shared SCT volume as `u2ad preprocess --label-map 1=3` slices it: 13 sagittal slices
/// whose cord is 1-11 px wide after the reference's 200 mm crop.
final class LesionInsertionRealVolumeTests: XCTestCase {
    func testInsertionIntoTheSCTVolumeHandlesItsThinCord() throws {
        let image = try sharedData("sct/t2/t2.nii.gz"), labels = try sharedData("sct/t2/t2_seg-manual.nii.gz")
        let slices = try VolumeSlicing(labelMap: [1: 3]).slices(image: image, labels: [labels]).map(\.sample)
        XCTAssertEqual(slices.count, 13)
        let root = RandomKey(seed: 16).split(.lesionInsertion)
        var inserted = 0
        for sample in slices {
            let slice = try PreprocessedSlice(channels: sample.image + sample.roi + sample.labels, rows: sample.size, cols: sample.size)
            let lesion = CordLesion(area: 40, aspect: 2, contrast: 1.5)
            do {
                let out = try LesionInsertion.insert([lesion], into: slice, key: root.fold(in: sample.name))
                let placed = out.lesions[0]
                inserted += 1
                XCTAssertEqual(out.clampedPixels, 0)
                XCTAssertGreaterThanOrEqual(placed.area, LesionInsertion.Options().minimumArea, sample.name)
                XCTAssertEqual(placed.lesion.nominalArea, 40, accuracy: 1e-9, "fitting keeps the area")
                for p in placed.pixels {
                    XCTAssertEqual(slice.labels[p.row, p.col], 3)
                    let added = Double(out.slice.image[p.row, p.col]) - Double(slice.image[p.row, p.col])
                    XCTAssertEqual(added, p.weight * 0.5 * placed.cordSignal, accuracy: 1e-6)
                }
            } catch let error as LesionInsertionError {
                guard case .tooLittleCord = error else { throw error }
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
        // Every slice but the outermost, whose cord is 1-5 px wide, takes a lesion.
        XCTAssertGreaterThanOrEqual(inserted, 11)
    }
}
