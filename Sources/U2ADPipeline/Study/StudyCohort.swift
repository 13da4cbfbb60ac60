import Foundation
import U2ADData
import U2ADRandom

/// What is known of one lesion of a test patient: its contrast to the local cord and its size.
public struct LesionTruth: Codable, Equatable, Sendable {
    /// Lesion core intensity over the local cord intensity (1.3 = 30% brighter), before noise.
    public var contrast: Double
    /// Pixels labelled as lesion.
    public var area: Int

    public init(contrast: Double, area: Int) {
        self.contrast = contrast
        self.area = area
    }
}

/// A test patient and the truth about its lesions (none for a healthy patient).
public struct StudyPatient: Sendable {
    public var patient: Patient
    public var lesions: [LesionTruth]

    public init(patient: Patient, lesions: [LesionTruth]) {
        self.patient = patient
        self.lesions = lesions
    }

    public var isLesioned: Bool { !lesions.isEmpty }
    /// The faintest lesion's contrast (what decides whether the patient can be found).
    public var contrast: Double? { lesions.map(\.contrast).min() }
    /// The smallest lesion's area.
    public var area: Int? { lesions.map(\.area).min() }
}

/// The patients of a study: healthy slices to pretrain on, healthy patients held out to calibrate the threshold, and
/// the test patients every method is evaluated on (which adaptation also trains on, without their labels, as the
/// method does with clinical data).
public struct StudyCohort: Sendable {
    public var name: String
    public var training: [SliceSample]
    public var calibration: [Patient]
    public var test: [StudyPatient]
    /// One line per fact a reader of the results should know (how lesions were made, what was left out).
    public var notes: [String]

    public init(name: String, training: [SliceSample], calibration: [Patient], test: [StudyPatient], notes: [String] = []) {
        self.name = name
        self.training = training
        self.calibration = calibration
        self.test = test
        self.notes = notes
    }

    /// Writes the cohort as `.npy` slices under `folder`: `training/` (pretraining), `calibration/<patient>/`,
    /// `test/<patient>/`, `test/truth.json` (the lesions of each test patient) and `adaptation/` (every test slice,
    /// unlabelled use only, named `<patient>-<slice>`), so that each step can be rerun by hand with the commands.
    public func write(to folder: URL) throws {
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: folder)
        func write(_ slices: [SliceSample], into directory: URL) throws {
            do { try fileManager.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                throw PipelineError.badFile(directory.path, "cannot be created")
            }
            for slice in slices {
                try NPY.write(slice.channels, shape: [3, slice.size, slice.size], to: directory.appendingPathComponent(slice.name + ".npy"))
            }
        }
        try write(training, into: folder.appendingPathComponent("training"))
        for patient in calibration { try write(patient.slices, into: folder.appendingPathComponent("calibration/\(patient.name)")) }
        for entry in test { try write(entry.patient.slices, into: folder.appendingPathComponent("test/\(entry.patient.name)")) }
        let adaptation = test.flatMap { entry in
            entry.patient.slices.map { slice -> SliceSample in
                var copy = slice
                copy.name = entry.patient.name + "-" + slice.name
                return copy
            }
        }
        try write(adaptation, into: folder.appendingPathComponent("adaptation"))
        let truth = Dictionary(uniqueKeysWithValues: test.map { ($0.patient.name, $0.lesions) })
        try AtomicFile.write(try JSONEncoding.encode(truth), to: folder.appendingPathComponent("test/truth.json"))
    }
}
