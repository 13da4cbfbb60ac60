import Foundation
import U2ADData
import U2ADRandom

extension StudyCohort {
    /// A cohort of real scans: the patients of `folder` (preprocessed `.npy` slices with the cord labelled 3, in the
    /// layout `detect` reads: a subfolder per patient, or loose slices each a patient of its own), shuffled by `key`;
    /// a quarter of the patients without labelled lesions (at least two) held out as normal calibration patients, the
    /// rest tested. Into `insert` test patients (default: half of them) one slice each gets the lesions of `lesions`
    /// (``LesionInsertion``, the phantom's lesion model); a patient already holding lesion pixels (label 6) is tested
    /// as lesioned, its contrast measured as the lesion's median over the cord's.
    public static func folder(_ url: URL, key: RandomKey, insert: Int?, lesions: CordLesionRanges, training: [SliceSample],
                              trainingNote: String) throws -> StudyCohort {
        var patients = try PatientInput.load(url).filter { patient in patient.slices.contains { $0.labels.contains(3) } }
        guard patients.count >= 4 else {
            throw PipelineError.badOption("--cohort", "\(url.path) holds \(patients.count) patients with a labelled cord (label 3); a study needs at least 4 (2 to calibrate, 2 to test)")
        }
        var shuffle = key.split(.shuffle).stream()
        patients = shuffle.shuffled(patients)
        let labelled = patients.filter { $0.slices.contains { $0.labels.contains(6) } }
        let normal = patients.filter { !$0.slices.contains { $0.labels.contains(6) } }
        let calibrationCount = max(2, patients.count / 4)
        guard normal.count >= calibrationCount + 1 else {
            throw PipelineError.badOption("--cohort", "\(url.path) holds \(normal.count) patients without labelled lesions; calibration needs \(calibrationCount) and testing at least one more")
        }
        let calibration = Array(normal[..<calibrationCount])
        // Patients with lesions of their own come last, after the ones lesions are inserted into.
        let tested = Array(normal[calibrationCount...]) + labelled
        let insertable = tested.count - labelled.count
        let wanted = insert ?? (insertable + 1) / 2
        guard (0...insertable).contains(wanted) else {
            throw PipelineError.badOption("--insert-lesions", "must be in 0...\(insertable) (the normal test patients), got \(wanted)")
        }
        var test: [StudyPatient] = []
        var refused: [String] = []
        for (index, patient) in tested.enumerated() {
            var entry = StudyPatient(patient: patient, lesions: patient.slices.flatMap(existingLesions))
            if index < wanted {
                let patientKey = key.split(.lesionInsertion).fold(in: patient.name)
                var draws = patientKey.stream()
                let drawn = lesions.draw(&draws)
                // The slices in a patient-specific order, the first that holds the lesion takes it.
                for s in draws.shuffled(Array(patient.slices.indices)) {
                    let slice = patient.slices[s]
                    guard let inserted = try? LesionInsertion.insert(drawn, into: slice.preprocessed, key: patientKey.fold(in: slice.name)) else { continue }
                    entry.patient.slices[s] = slice.replacing(with: inserted.slice)
                    entry.lesions += inserted.lesions.filter { $0.area > 0 }.map { LesionTruth(contrast: $0.contrast, area: $0.area) }
                    break
                }
                if entry.lesions.isEmpty { refused.append(patient.name) }
            }
            test.append(entry)
        }
        var notes = ["\(url.path): \(patients.count) patients; \(calibration.count) held out to calibrate, \(test.count) tested, lesions inserted into "
                     + "\(wanted - refused.count) (LesionInsertion, contrast " + String(format: "%.2f-%.2fx, area %.0f-%.0f px", lesions.contrast.lowerBound,
                                                                                          lesions.contrast.upperBound, lesions.area.lowerBound, lesions.area.upperBound) + ")",
                     trainingNote]
        if !refused.isEmpty { notes.append("no slice of \(refused.joined(separator: ", ")) had enough cord for a lesion; they stay normal") }
        if !labelled.isEmpty { notes.append("\(labelled.count) test patients carry labelled lesions (label 6) of their own") }
        return StudyCohort(name: url.lastPathComponent, training: training, calibration: calibration, test: test, notes: notes)
    }

    /// A labelled lesion of a real slice, its contrast measured as the median lesion intensity over the median cord's.
    private static func existingLesions(_ slice: SliceSample) -> [LesionTruth] {
        let lesion = slice.labels.indices.filter { slice.labels[$0] == 6 }.map { Double(slice.image[$0]) }
        let cord = slice.labels.indices.filter { slice.labels[$0] == 3 }.map { Double(slice.image[$0]) }
        guard !lesion.isEmpty, !cord.isEmpty else { return [] }
        let cordMedian = AnomalyMap.median(cord)
        return [LesionTruth(contrast: cordMedian > 0 ? AnomalyMap.median(lesion) / cordMedian : 1, area: lesion.count)]
    }
}

extension SliceSample {
    /// The slice as the data layer's preprocessed slice (image, ROI and labels as images).
    var preprocessed: PreprocessedSlice {
        PreprocessedSlice(image: Image2D(rows: size, cols: size, pixels: image), roi: Image2D(rows: size, cols: size, pixels: roi),
                          labels: Image2D(rows: size, cols: size, pixels: labels))
    }

    /// This slice with the image, ROI and labels of `slice` (same size), its name and origin kept.
    func replacing(with slice: PreprocessedSlice) -> SliceSample {
        var copy = self
        copy.image = slice.image.pixels
        copy.roi = slice.roi.pixels
        copy.labels = slice.labels.pixels
        return copy
    }
}
