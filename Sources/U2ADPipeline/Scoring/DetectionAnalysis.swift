import Foundation
import U2ADData
import U2ADModel
import U2ADRuntime

/// MC inference and scoring of every slice of a set of patients, before any decision.
public struct DetectionAnalysis: Sendable {
    public var inputs: [Patient]
    /// Per patient, per slice.
    public var maps: [[SliceMaps]]
    public var curves: [[AnomalyCurve]]
    /// Scores without decisions (see ``PatientResult/applying(threshold:)``).
    public var results: [PatientResult]
    public var uncertainty: UncertaintyOptions
    public var scoring: ScoringOptions
    public var passes: Int
    public var batches: Int
    public var plan: BatchPlan
    public var inferenceSeconds: Double
    /// Host-device traffic and launches of the MC inference.
    public var traffic = DeviceTraffic()

    /// Runs MC inference over all slices of all patients at once (so passes of different patients can share
    /// batches; with several ranks, each runs its share of the batches), then scores each slice.
    public static func analyse(model: UGMAE, patients: [Patient], uncertainty: UncertaintyOptions, scoring: ScoringOptions,
                               communicator: Communicator = SingleProcess(), progress: ((String) -> Void)? = nil) throws -> DetectionAnalysis {
        try scoring.validate()
        let run = try UncertaintyMaps.run(model: model, slices: patients.flatMap(\.slices), options: uncertainty, communicator: communicator,
                                          progress: progress)
        var analysis = scored(patients: patients, maps: run.maps, uncertainty: uncertainty, scoring: scoring, passes: run.passes, batches: run.batches,
                              plan: run.plan, inferenceSeconds: run.seconds)
        analysis.traffic = run.traffic
        return analysis
    }

    /// Scores maps already computed (`maps` in the order of the patients' slices).
    public static func scored(patients: [Patient], maps flat: [SliceMaps], uncertainty: UncertaintyOptions, scoring: ScoringOptions,
                              passes: Int = 0, batches: Int = 0, plan: BatchPlan = .none,
                              inferenceSeconds: Double = 0) -> DetectionAnalysis {
        var maps: [[SliceMaps]] = [], curves: [[AnomalyCurve]] = [], results: [PatientResult] = []
        var next = 0
        for patient in patients {
            let patientMaps = Array(flat[next..<(next + patient.slices.count)])
            next += patient.slices.count
            let scored = zip(patientMaps, patient.slices).map {
                AnomalyScoring.score(maps: $0, labels: $1.labels, source: $1.origin.description, options: scoring)
            }
            maps.append(patientMaps)
            curves.append(scored.map(\.curve))
            results.append(PatientResult(name: patient.name, slices: scored.map(\.result)))
        }
        return DetectionAnalysis(inputs: patients, maps: maps, curves: curves, results: results, uncertainty: uncertainty, scoring: scoring,
                                 passes: passes, batches: batches, plan: plan, inferenceSeconds: inferenceSeconds)
    }

    /// The same maps scored with other scoring options (no inference).
    public func rescored(with scoring: ScoringOptions) -> DetectionAnalysis {
        var analysis = DetectionAnalysis.scored(patients: inputs, maps: maps.flatMap { $0 }, uncertainty: uncertainty, scoring: scoring, passes: passes,
                                                batches: batches, plan: plan, inferenceSeconds: inferenceSeconds)
        analysis.traffic = traffic
        return analysis
    }

    /// Thresholds calibrated with every patient taken as normal.
    public func calibrate(falsePositiveRate: Double, level: CalibrationLevel = .patient) -> DetectionThresholds? {
        DetectionThresholds.calibrate(normal: results, maps: maps.flatMap { $0 }, falsePositiveRate: falsePositiveRate, level: level,
                                      uncertainty: uncertainty, scoring: scoring)
    }

    /// Writes, per slice, `<out>/<patient>/<slice>.{reconstruction,epistemic,aleatoric}.npy` (float32, `S x S`),
    /// `<slice>.panel.png` and `<slice>.curve.svg`; every file atomically. Returns the files written, relative to `folder`.
    @discardableResult
    public func writeSliceOutputs(to folder: URL, decided: [PatientResult], threshold: Double?, pixelThreshold: Double?,
                                  progress: ((String) -> Void)? = nil) throws -> [String] {
        var written: [String] = []
        for (p, patient) in inputs.enumerated() {
            let patientFolder = folder.appendingPathComponent(Self.fileName(patient.name))
            do { try FileManager.default.createDirectory(at: patientFolder, withIntermediateDirectories: true) } catch {
                throw PipelineError.badFile(patientFolder.path, "cannot be created")
            }
            for (s, slice) in patient.slices.enumerated() {
                let map = maps[p][s], stem = Self.fileName(slice.name)
                let relative = Self.fileName(patient.name) + "/" + stem
                for (suffix, values) in [("reconstruction", map.reconstruction), ("epistemic", map.epistemic), ("aleatoric", map.aleatoric)] {
                    try NPY.write(values, shape: [map.size, map.size], to: patientFolder.appendingPathComponent("\(stem).\(suffix).npy"))
                    written.append("\(relative).\(suffix).npy")
                }
                let panel = try DetectionPanel.render(maps: map, labels: slice.labels, lesionLabel: scoring.lesionLabel, pixelThreshold: pixelThreshold)
                try PNG.write(panel, to: patientFolder.appendingPathComponent("\(stem).panel.png"))
                let result = decided[p].slices[s]
                let svg = AnomalyCurvePlot.svg(curve: curves[p][s], segments: result.segments, threshold: threshold,
                                               title: "\(patient.name) / \(slice.name)")
                try AtomicFile.write(Data(svg.utf8), to: patientFolder.appendingPathComponent("\(stem).curve.svg"))
                written += ["\(relative).panel.png", "\(relative).curve.svg"]
                progress?("wrote \(relative).*")
            }
        }
        return written
    }

    /// For patients read from NIfTI volumes, the maps as volumes aligned with each scan
    /// (`<out>/<patient>/<volume>.<map>.nii.gz`). Returns the files written.
    @discardableResult
    public func writeVolumeMaps(to folder: URL) throws -> [URL] {
        var written: [URL] = []
        for (patient, maps) in zip(inputs, maps) {
            guard case .volume(let path, _)? = patient.slices.first?.origin else { continue }
            let slices = zip(patient.slices, maps).compactMap { slice, map -> (index: Int, maps: [String: [Float]])? in
                guard case .volume(_, let index) = slice.origin else { return nil }
                return (index, ["reconstruction": map.reconstruction, "epistemic": map.epistemic, "aleatoric": map.aleatoric])
            }
            let patientFolder = folder.appendingPathComponent(Self.fileName(patient.name))
            do { try FileManager.default.createDirectory(at: patientFolder, withIntermediateDirectories: true) } catch {
                throw PipelineError.badFile(patientFolder.path, "cannot be created")
            }
            written += try VolumeSlicing().writeVolumeMaps(of: URL(fileURLWithPath: path), slices: slices, size: patient.slices[0].size, to: patientFolder)
        }
        return written
    }

    /// A file-system-safe version of a name.
    static func fileName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let cleaned = String(name.map { allowed.contains($0) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned
    }
}
