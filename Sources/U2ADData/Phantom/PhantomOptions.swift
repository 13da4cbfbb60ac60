import Foundation
import U2ADRandom

/// Settings of the synthetic spine phantom.
public struct PhantomOptions: Sendable, Equatable {
    /// Side of the square slice.
    public var size: Int = 256
    /// Rician noise standard deviation per pixel relative to the CSF signal (about 1), before normalisation; each
    /// patient's is this times the anatomy's +-35 % and the confounders' `noiseSpread`.
    public var noiseSigma: Double = 0.05
    /// Relative amplitude of the smooth multiplicative bias field (drawn per patient within +-50 % of it).
    public var biasStrength: Double = 0.2
    /// Scale of the between-patient anatomical and contrast variation (0 = the mean patient).
    public var variability: Double = 1
    /// Partial volume, CSF flow, Gibbs ringing, noise spread and cord-label errors (`.none` for a clean phantom).
    public var confounders = PhantomConfounders()
    /// Lesions to place (empty = healthy).
    public var lesions: [CordLesion] = []
    /// Cobb angle, cord diameter and compressive masses set exactly; nil draws the usual spine.
    public var spondylosis: PhantomSpondylosis? = nil
    /// Percentiles and ROI settings (the ROI channel is `Preprocessing.roiMask` of the labels).
    public var preprocessing = PreprocessingOptions()
    /// Clip to percentiles and min-max scale to [0, 1] like the preprocessing; otherwise the image
    /// is only clamped to [0, 1].
    public var normalize: Bool = true

    public init() {}
}

/// Parameters drawn for one synthetic patient (pixels unless stated).
public struct PhantomAnatomy: Sendable, Equatable {
    public var canalCenterCol: Double
    /// Peak anterior displacement of the mid-cervical column (lordosis).
    public var lordosis: Double
    /// In-plane rotation, radians (positive: lower column more posterior).
    public var tilt: Double
    public var cordHalfWidth: Double
    public var canalHalfWidth: Double
    /// Cord centre offset inside the canal (positive posterior).
    public var cordShift: Double
    public var bodyDepth: Double
    public var bodyHeight: Double
    public var discHeight: Double
    /// Row of the top of the C2 body (below the dens).
    public var c2Top: Double
    /// Global signal scale.
    public var brightness: Double
    public var cordSignal: Double
    public var csfSignal: Double
    public var marrowSignal: Double
    public var fatSignal: Double
    public var muscleSignal: Double
    public var noiseSigma: Double
    public var biasStrength: Double
}

/// One phantom slice with its ground truth.
public struct PhantomSample: Sendable, Equatable {
    /// The slice in the reference layout (image [0, 1], ROI, labels 0/1/2/3/4/6), with the drawn cord-label error
    /// in its labels and ROI, as a method would get it.
    public var slice: PreprocessedSlice
    /// The exact labels (the lesion label 6 is exact in `slice.labels` too).
    public var trueLabels: Image2D
    /// The patient's key: the same key gives the same patient.
    public var key: RandomKey
    public var anatomy: PhantomAnatomy
    public var confounders: DrawnConfounders
    public var lesions: [PlacedLesion]
    /// The object's signal before normalisation (same units as the anatomy signals): partial volume, flow artefacts
    /// and lesions in it, no bias field, ringing or noise.
    public var cleanSignal: Image2D
    /// What the spondylosis options produced; nil without them.
    public var spondylosis: SpondylosisTruth? = nil

    public var isLesioned: Bool { !lesions.isEmpty }
    /// Total pixels labelled 6.
    public var lesionPixelCount: Int { slice.labels.pixels.reduce(0) { $0 + ($1 == 6 ? 1 : 0) } }
}
