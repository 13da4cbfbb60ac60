import Foundation
import U2ADData
import U2ADRandom

/// How many phantom patients a study draws, and the range its lesions are drawn from.
public struct PhantomCohortSize: Codable, Equatable, Sendable {
    public var training = 24
    public var calibration = 16
    public var healthyTest = 24
    public var lesionedTest = 36
    /// The lesions of a lesioned test patient: by default one, contrast 1.1-1.8x (uniform), area 10-200 px
    /// (log-uniform), a quarter at the cord border (see docs/phantom.md).
    public var lesions = CordLesionRanges()

    public init() {}
}

extension StudyCohort {
    /// `count` healthy phantoms to pretrain on (the same as a phantom cohort of `key` pretrains on).
    public static func phantomTraining(key: RandomKey, count: Int, options: PhantomOptions = PhantomOptions()) -> [SliceSample] {
        var healthy = options
        healthy.lesions = []
        return (0..<count).map { i in
            let sample = Phantom.generate(key: key.fold(in: 0).fold(in: i), options: healthy)
            return SliceSample(name: String(format: "train%03d", i), size: sample.slice.rows, image: sample.slice.image.pixels,
                               roi: sample.slice.roi.pixels, labels: sample.slice.labels.pixels)
        }
    }

    /// A phantom cohort: every patient a different phantom of `key` with its confounders; each lesioned test patient the
    /// lesions of `size.lesions`.
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
        let training = phantomTraining(key: key, count: size.training, options: options)
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
            var lesioned = options
            lesioned.lesions = size.lesions.draw(&draws)
            let sample = Phantom.generate(key: key.fold(in: 2).fold(in: i), options: lesioned)
            let truth = sample.lesions.map { LesionTruth(contrast: $0.contrast, area: $0.area) }
            test.append(StudyPatient(patient: Patient(name: name, slices: [slice(sample, name: name)]), lesions: truth.filter { $0.area > 0 }))
        }
        return StudyCohort(name: "phantom", training: training, calibration: calibration, test: test,
                           notes: ["phantom: \(size.training) healthy slices to pretrain on, \(size.calibration) held-out healthy patients to calibrate, "
                                   + "\(size.healthyTest) healthy and \(size.lesionedTest) lesioned test patients (one slice each; lesions of contrast "
                                   + String(format: "%.2f-%.2fx, area %.0f-%.0f px, %.0f%% at the cord border", size.lesions.contrast.lowerBound,
                                            size.lesions.contrast.upperBound, size.lesions.area.lowerBound, size.lesions.area.upperBound,
                                            100 * size.lesions.borderFraction) + "; confounders on, docs/phantom.md)"])
    }
}
