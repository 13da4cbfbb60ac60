import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADRuntime
@testable import U2ADPipeline

/// Bad labels, weights metadata and options: each a one-line error naming the file or option, the value and the limit,
/// the same rule in every command (they all read slices through `SliceSample.load` or `VolumeSlicing`).
final class InputValidationTests: XCTestCase {
    func assertError(_ body: @autoclosure () throws -> Any, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            for fragment in fragments { XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line) }
        }
    }

    func testSliceWithLabelBeyondTheRuleIsRejected() throws {
        let folder = try temporaryFolder(self, "labels")
        var slice = phantomSlice(seed: 1, name: "s")
        slice.labels[1234] = 1e19
        let url = folder.appendingPathComponent("s.npy")
        try NPY.write(slice.channels, shape: [3, 256, 256], to: url)
        assertError(try SliceSample.load(url), contains: ["s.npy", "label channel value 1e+19", "2^31"])
        assertError(try PatientInput.load(folder), contains: ["s.npy", "1e+19"])
        assertError(try TrainingSet.load(folder: folder.path, configuration: tinyConfiguration), contains: ["s.npy", "1e+19"])
        // Fractional labels follow the rule: rounded to the nearest integer.
        slice.labels[1234] = 2.6
        try NPY.write(slice.channels, shape: [3, 256, 256], to: url)
        XCTAssertEqual(labelValue(try SliceSample.load(url).labels[1234]), 3)
    }

    /// A small sagittal volume (x = left-right) with a cord column of label `cord` and the given odd voxel.
    func writeVolumes(_ folder: URL, cord: Float, odd: Float? = nil) throws -> (images: URL, labels: URL) {
        let images = folder.appendingPathComponent("images"), labels = folder.appendingPathComponent("labels")
        for url in [images, labels] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let shape = [4, 24, 24], count = 4 * 24 * 24
        let affine: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
        let image = (0..<count).map { Float($0 % 97) }
        var label = [Float](repeating: 0, count: count)
        for z in 4..<20 { for y in 10..<13 { for x in 0..<4 { label[x + 4 * (y + 24 * z)] = cord } } }
        if let odd { label[100] = odd }
        try NIfTIVolume(shape: shape, data: image, affine: affine).write(to: images.appendingPathComponent("scan.nii.gz"))
        try NIfTIVolume(shape: shape, data: label, affine: affine).write(to: labels.appendingPathComponent("scan_seg.nii.gz"))
        return (images, labels)
    }

    func testLabelVolumeWithNaNOrHugeValuesIsRejected() throws {
        for odd: Float in [.nan, .infinity, 1e38] {
            let (images, labels) = try writeVolumes(try temporaryFolder(self, "nifti"), cord: 3, odd: odd)
            assertError(try VolumeSlicing().patients(images: images, labels: labels), contains: ["scan_seg.nii.gz", "voxel value", "2^31"])
            assertError(try DiagnosisInput().load(labels: labels, images: nil), contains: ["scan_seg.nii.gz", "voxel value", "2^31"])
        }
    }

    func testLabelVolumeWithoutTheCordSaysWhichLabelsItHolds() throws {
        let (images, labels) = try writeVolumes(try temporaryFolder(self, "nocord"), cord: 1)
        assertError(try VolumeSlicing().patients(images: images, labels: labels),
                    contains: ["scan.nii.gz", "no sagittal slice holds label 3", "scan_seg.nii.gz: 1", "--label-map 1=3"])
        let patients = try VolumeSlicing(labelMap: [1: 3]).patients(images: images, labels: labels)
        XCTAssertEqual(patients.first?.slices.count, 4)
    }

    func testWeightsMetadataOutOfRangeNamesTheFileAndField() throws {
        let folder = try temporaryFolder(self, "metadata")
        let model = try randomModel()
        for (json, fragment) in [(#""mlpRatio":4611686018427387904"#, "mlpRatio is 4611686018427387904, expected in 1...16"),
                                 (#""embedDim":130"#, "embedDim is 130, expected a multiple of 4"),
                                 (#""depth":1048576"#, "depth is 1048576, expected in 1...64")] {
            var configuration = try String(data: JSONEncoder().encode(tinyConfiguration), encoding: .utf8)!
            let field = json.split(separator: ":")[0]
            configuration = configuration.replacingOccurrences(of: #"\#(field):-?[0-9]+"#, with: json, options: .regularExpression)
            let url = folder.appendingPathComponent("bad.safetensors")
            try SafeTensorsFile.write(try model.stateDict(), metadata: [UGMAE.configurationMetadataKey: configuration], to: url)
            assertError(try InferenceModel.load(weights: url, backend: CPUBackend()), contains: ["bad.safetensors: metadata u2ad.configuration", fragment])
        }
        let url = folder.appendingPathComponent("good.safetensors")
        try model.save(to: url)
        assertError(try InferenceModel.load(weights: url, backend: CPUBackend(), depth: 100_000_000), contains: ["--depth", "100000000", "1...64"])
        assertError(try InferenceModel.load(weights: url, backend: CPUBackend(), depth: 2), contains: ["good.safetensors", "missing tensor 'blocks.1."])
    }

    func testOptionsBeyondTheirLimits() throws {
        var uncertainty = UncertaintyOptions()
        uncertainty.samplesPerPatch = .max
        assertError(try uncertainty.validate(), contains: ["--k", "1...400", "9223372036854775807"])
        uncertainty = UncertaintyOptions()
        uncertainty.fixedPassCount = 1 << 40
        assertError(try uncertainty.validate(), contains: ["--passes"])
        uncertainty = UncertaintyOptions()
        uncertainty.roiLabels = [3, 1 << 40]
        assertError(try uncertainty.validate(), contains: ["--roi-labels", "1099511627776"])

        for (change, option) in [({ (o: inout ScoringOptions) in o.smoothingRows = 1e308 }, "--smoothing"),
                                 ({ (o: inout ScoringOptions) in o.pixelSpacingMM = 1e308 }, "--pixel-spacing"),
                                 ({ (o: inout ScoringOptions) in o.fallbackSegmentMM = .infinity }, "--segment-mm")] {
            var scoring = ScoringOptions()
            change(&scoring)
            assertError(try scoring.validate(), contains: [option, "must be in"])
        }

        for (change, option) in [({ (o: inout TrainingOptions) in o.epochs = 1_000_000_000_000 }, "--epochs"),
                                 ({ (o: inout TrainingOptions) in o.model.patchSize = 0 }, "--patch-size"),
                                 ({ (o: inout TrainingOptions) in o.model.depth = 100_000_000 }, "--depth"),
                                 ({ (o: inout TrainingOptions) in o.model.decoderDepth = 0 }, "--decoder-depth"),
                                 ({ (o: inout TrainingOptions) in o.batchSize = 1 << 40 }, "--batch"),
                                 ({ (o: inout TrainingOptions) in o.masking.tau = 1e-30 }, "--tau"),
                                 ({ (o: inout TrainingOptions) in o.adaptation.regenerateEvery = 0; o.mode = .adapt; o.initialWeights = "w" },
                                  "--regenerate-every")] {
            var options = TrainingOptions()
            change(&options)
            assertError(try options.validate(), contains: [option])
        }
    }

    /// The curve plot's tick loop ends whatever the positions (it once looped forever at a 1e308 mm spacing).
    func testCurvePlotWithAbsurdPositionsEnds() {
        let zeros = [Float](repeating: 0, count: 16)
        let maps = SliceMaps(name: "s", size: 4, image: zeros, region: [Float](repeating: 1, count: 16), reconstruction: zeros, epistemic: zeros,
                             aleatoric: zeros, roiPatches: 1, passes: 1, hiddenPerPass: 1, samplesPerPatch: 1...1, skipped: false)
        var curve = AnomalyCurve(maps: maps, options: ScoringOptions())
        curve.positionMM = [1e300, 1e300 + 1e284, 2e300, 3e300]
        let svg = AnomalyCurvePlot.svg(curve: curve, segments: [], threshold: nil, title: "t")
        XCTAssertLessThan(svg.components(separatedBy: "<line").count, 20)
    }
}
