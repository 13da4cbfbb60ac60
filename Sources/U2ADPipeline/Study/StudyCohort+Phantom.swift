import Foundation
import U2ADData
import U2ADRandom

/// How many phantom patients a study draws, and the range its lesions are drawn from.
public struct PhantomCohortSize: Codable, Equatable, Sendable {
    public var training = 24
    public var calibration = 16
    public var healthyTest = 24
    public var lesionedTest = 36
    /// Contrast to the local cord, drawn uniformly: from subtle (1.1x) to obvious (1.8x).
    public var contrast: ClosedRange<Double> = 1.1...1.8
    /// Lesion area in pixels, drawn log-uniformly.
    public var area: ClosedRange<Double> = 10...200

    public init() {}
}

extension StudyCohort {
    /// A phantom cohort: every patient a different phantom of `key`; each lesioned test patient one lesion of a contrast
    /// and area drawn from the given ranges.
    public static func phantom(key: RandomKey, size: PhantomCohortSize = PhantomCohortSize(), options: PhantomOptions = PhantomOptions()) -> StudyCohort {
        func slice(_ sample: PhantomSample, name: String) -> SliceSample {
            SliceSample(name: name, size: sample.slice.rows, image: sample.slice.image.pixels, roi: sample.slice.roi.pixels,
                        labels: sample.slice.labels.pixels)
        }
        func healthy(_ purpose: Int, _ index: Int) -> PhantomSample {
            var healthyOptions = options
            healthyOptions.lesions = []
            return Phantom.generate(key: key.fold(in: purpose).fold(in: index), options: healthyOptions)
        }
        let training = (0..<size.training).map { slice(healthy(0, $0), name: String(format: "train%03d", $0)) }
        let calibration = (0..<size.calibration).map { i -> Patient in
            let name = String(format: "normal%03d", i)
            return Patient(name: name, slices: [slice(healthy(1, i), name: name)])
        }
        var test: [StudyPatient] = []
        for i in 0..<(size.healthyTest + size.lesionedTest) {
            let name = String(format: "patient%03d", i)
            guard i >= size.healthyTest else {
                test.append(StudyPatient(patient: Patient(name: name, slices: [slice(healthy(2, i), name: name)]), lesions: []))
                continue
            }
            var draws = key.fold(in: 3).fold(in: i).split(.phantomLesions).stream()
            let contrast = draws.uniform(size.contrast.lowerBound, size.contrast.upperBound)
            let area = size.area.lowerBound * pow(size.area.upperBound / size.area.lowerBound, draws.uniform())
            var lesioned = options
            lesioned.lesions = [CordLesion(area: area, aspect: draws.uniform(1.5, 3), contrast: contrast)]
            let sample = Phantom.generate(key: key.fold(in: 2).fold(in: i), options: lesioned)
            let truth = sample.lesions.map { LesionTruth(contrast: $0.contrast, area: $0.area) }
            test.append(StudyPatient(patient: Patient(name: name, slices: [slice(sample, name: name)]), lesions: truth.filter { $0.area > 0 }))
        }
        return StudyCohort(name: "phantom", training: training, calibration: calibration, test: test,
                           notes: ["phantom: \(size.training) healthy slices to pretrain on, \(size.calibration) held-out healthy patients to calibrate, "
                                   + "\(size.healthyTest) healthy and \(size.lesionedTest) lesioned test patients (one slice each; one lesion, contrast "
                                   + String(format: "%.2f-%.2fx, area %.0f-%.0f px", size.contrast.lowerBound, size.contrast.upperBound,
                                            size.area.lowerBound, size.area.upperBound) + ")"])
    }
}
