import Foundation
import U2ADData
import U2ADRuntime

/// Where a run's decision threshold came from.
public enum ThresholdSource: String, Codable, Sendable {
    /// `--threshold`.
    case option
    /// The thresholds file beside the weights (or given).
    case file
    /// Calibrated in this run on scans taken as normal.
    case calibrated
    /// None: no decisions.
    case none
}

/// `report.json` of `u2ad detect`.
public struct DetectionReport: Codable, Sendable {
    public var weights: String
    public var backend: String
    public var device: String
    public var uncertainty: UncertaintyOptions
    public var scoring: ScoringOptions
    public var threshold: Double?
    public var thresholdSource: ThresholdSource
    public var pixelThreshold: Double?
    /// MC passes run over all slices.
    public var passes: Int
    public var batches: Int
    public var batchCapacity: Int
    public var batchPlan: String
    public var inferenceSeconds: Double
    /// Bytes moved between host and device and kernels launched by the MC inference (launches on OpenCL only); under
    /// `mpirun`, rank 0's share.
    public var traffic: DeviceTraffic
    /// Wall time of the whole command.
    public var seconds: Double
    public var patients: [PatientResult]

    public init(weights: String, backend: String, device: String, analysis: DetectionAnalysis, threshold: Double?, thresholdSource: ThresholdSource,
                pixelThreshold: Double?, seconds: Double, patients: [PatientResult]) {
        self.weights = weights
        self.backend = backend
        self.device = device
        uncertainty = analysis.uncertainty
        scoring = analysis.scoring
        self.threshold = threshold
        self.thresholdSource = thresholdSource
        self.pixelThreshold = pixelThreshold
        passes = analysis.passes
        batches = analysis.batches
        batchCapacity = analysis.plan.capacity
        batchPlan = analysis.plan.reason
        inferenceSeconds = analysis.inferenceSeconds
        traffic = analysis.traffic
        self.seconds = seconds
        self.patients = patients
    }

    public func write(to url: URL) throws {
        try AtomicFile.write(try JSONEncoding.encode(self), to: url)
    }
}
