import Foundation

/// What makes a clinical sagittal T2 scan of the cervical cord harder to read than a clean drawing, and what makes a
/// plain intensity threshold on the cord fire on healthy scans (see docs/phantom.md, "Confounders"). Each is drawn per
/// patient from the patient's key (`RandomPurpose.phantomArtefacts`), whether or not the patient has lesions; noise
/// level and bias strength are `PhantomOptions.noiseSigma` and `biasStrength`. The defaults are realistic;
/// `.none` switches every one of them off.
public struct PhantomConfounders: Sendable, Equatable {
    /// Slice thickness in mm, drawn uniformly. The cord is an ellipse in cross-section (`cordWidthRatio` times wider
    /// left-right than anterior-posterior); near its anterior and posterior borders it is narrower than the slice, so
    /// the CSF beside it mixes into the outer cord pixels (partial volume).
    public var sliceThickness: ClosedRange<Double> = 2.5...3.5
    /// Largest distance in mm of the slice's centre from the cord's midline (drawn uniformly in 0...this, either side).
    /// An off-midline slice widens the partial-volume rim.
    public var sliceOffset: Double = 1.5
    /// Left-right / anterior-posterior diameter of the cord, drawn uniformly.
    public var cordWidthRatio: ClosedRange<Double> = 1.3...1.7
    /// Number of CSF flow voids (dark pulsation artefacts in the CSF beside the cord, C1-C5), drawn uniformly.
    public var flowVoids: ClosedRange<Int> = 0...3
    /// Signal lost at a flow void's centre, drawn uniformly per void (0 none, 1 black).
    public var flowVoidDepth: ClosedRange<Double> = 0.3...0.8
    /// Chance that a patient has one bright in-flow region in the CSF next to the cord.
    public var flowEnhancementProbability: Double = 0.3
    /// Its signal over the CSF's, drawn uniformly.
    public var flowEnhancementGain: ClosedRange<Double> = 1.1...1.3
    /// Fraction of the slice's spatial frequencies acquired across the cord (anterior-posterior, the phase-encoding
    /// direction), drawn uniformly; below 1 the image is a truncated-sinc (Gibbs) ringing copy of the object, and the
    /// noise is band-limited the same way. 1 = no ringing. The reference preprocessing resamples to 1 mm, 1.28 of
    /// the slice's pixels, so no slice holds more than 0.78 of them.
    public var bandwidthAcross: ClosedRange<Double> = 0.55...0.75
    /// The same along the cord (superior-inferior, the read-out direction).
    public var bandwidthAlong: ClosedRange<Double> = 0.7...0.8
    /// Relative amplitude of the slow variation of the cord signal (grey and white matter, obliquity, coil elements):
    /// the cord signal is `1 - h ... 1 + h` times its mean, smoothly over about 14 pixels.
    public var cordHeterogeneity: Double = 0.12
    /// Noise level spread between patients: the noise sigma is multiplied by a factor drawn log-uniformly in
    /// `1 / noiseSpread ... noiseSpread` (on top of the anatomy's +-35 %).
    public var noiseSpread: Double = 1.4
    /// Chance that a stretch of the cord's label is off by one pixel (dilated into the CSF, eroded, or shifted
    /// anterior or posterior, drawn uniformly), as automatic segmentations and manual ones drawn at the scan's coarser
    /// resolution are. The lesion label stays exact.
    public var maskErrorProbability: Double = 0.5
    /// Length of those stretches in rows (of a 256-pixel slice), drawn uniformly; the rows are cut into consecutive
    /// stretches and each is wrong with `maskErrorProbability`.
    public var maskErrorRun: ClosedRange<Int> = 8...32

    public init() {}

    /// No confounder: an infinitely thin midline slice, no flow artefact, no ringing, a nearly uniform cord, one noise
    /// level, exact labels.
    public static var none: PhantomConfounders {
        var c = PhantomConfounders()
        c.sliceThickness = 0...0
        c.sliceOffset = 0
        c.flowVoids = 0...0
        c.flowEnhancementProbability = 0
        c.bandwidthAcross = 1...1
        c.bandwidthAlong = 1...1
        c.cordHeterogeneity = 0.04
        c.noiseSpread = 1
        c.maskErrorProbability = 0
        return c
    }
}

/// How a slice's cord label differs from the true cord.
public enum CordMaskError: String, Sendable, Equatable, Codable, CaseIterable {
    /// One pixel of CSF on each side labelled cord.
    case dilated
    /// The cord's outer pixel on each side labelled CSF.
    case eroded
    /// The cord label moved one pixel anterior (left).
    case shiftedAnterior
    /// The cord label moved one pixel posterior (right).
    case shiftedPosterior
}

/// A stretch of rows whose cord label is wrong.
public struct CordMaskErrorRun: Sendable, Equatable {
    /// The rows (of this slice).
    public var rows: Range<Int>
    /// How their cord label is wrong.
    public var kind: CordMaskError
}

/// A flow artefact in the CSF: an ellipse along the canal on one side of the cord.
public struct FlowArtefact: Sendable, Equatable {
    /// Centre along the column axis (the row it would have on a straight column).
    public var along: Double
    /// In the CSF anterior to the cord (else posterior).
    public var anterior: Bool
    /// Semi-axis along the canal, pixels.
    public var semiAxisAlong: Double
    /// CSF signal factor at the centre: below 1 a flow void, above 1 in-flow enhancement.
    public var signalFactor: Double
}

/// The confounders drawn for one patient.
public struct DrawnConfounders: Sendable, Equatable {
    /// Slice thickness, pixels.
    public var sliceThickness: Double
    /// Slice centre from the cord's midline, pixels (signed).
    public var sliceOffset: Double
    /// Left-right / anterior-posterior diameter of the cord.
    public var cordWidthRatio: Double
    /// Flow voids and in-flow enhancement.
    public var flowArtefacts: [FlowArtefact]
    /// Fractions of the frequencies acquired across and along the cord (1 = no ringing).
    public var bandwidthAcross: Double
    public var bandwidthAlong: Double
    /// Relative amplitude of the slow cord signal variation.
    public var cordHeterogeneity: Double
    /// The patient's noise sigma is `PhantomAnatomy.noiseSigma * noiseFactor`.
    public var noiseFactor: Double
    /// The stretches of rows whose cord label is wrong.
    public var maskErrors: [CordMaskErrorRun]
}

extension DrawnConfounders {
    /// No confounder (the builder's value before drawing).
    static let none = DrawnConfounders(sliceThickness: 0, sliceOffset: 0, cordWidthRatio: 1, flowArtefacts: [],
                                       bandwidthAcross: 1, bandwidthAlong: 1, cordHeterogeneity: 0.04, noiseFactor: 1, maskErrors: [])
}
