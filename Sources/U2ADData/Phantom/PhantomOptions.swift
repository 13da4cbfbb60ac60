import Foundation
import U2ADRandom

/// One T2-hyperintense cord lesion: an ellipse aligned with the cord axis.
public struct PhantomLesion: Sendable, Equatable {
    /// Semi-axis along the cord, in pixels.
    public var semiAxisAlong: Double
    /// Semi-axis across the cord, in pixels (limited to fit inside the cord).
    public var semiAxisAcross: Double
    /// Relative brightening: lesion core = cord signal * (1 + contrast).
    public var contrast: Double
    /// Position along the cervical column, 0 = top of C2, 1 = bottom of T1; `nil` = random in 0.1...0.9.
    public var position: Double?
    /// Centre offset across the cord in units of the cord half-width (-1...1); `nil` = random in -0.3...0.3.
    public var offset: Double?

    public init(semiAxisAlong: Double, semiAxisAcross: Double, contrast: Double,
                position: Double? = nil, offset: Double? = nil) {
        self.semiAxisAlong = semiAxisAlong
        self.semiAxisAcross = semiAxisAcross
        self.contrast = contrast
        self.position = position
        self.offset = offset
    }

    /// An ellipse of about `area` pixels, `aspect` times longer along the cord than across.
    public init(area: Double, aspect: Double = 2, contrast: Double,
                position: Double? = nil, offset: Double? = nil) {
        let a = (area * aspect / Double.pi).squareRoot()
        self.init(semiAxisAlong: a, semiAxisAcross: a / aspect, contrast: contrast,
                  position: position, offset: offset)
    }
}

/// A lesion as placed in a phantom.
public struct PlacedLesion: Sendable, Equatable {
    public var lesion: PhantomLesion
    /// Centre (row, col) in the slice.
    public var centerRow: Double
    public var centerCol: Double
    /// Semi-axes actually used (across may be reduced to fit in the cord, along enlarged to keep the area).
    public var semiAxisAlong: Double
    public var semiAxisAcross: Double
    /// Pixels labelled 6 for this lesion.
    public var pixelCount: Int
}

/// Settings of the synthetic spine phantom.
public struct PhantomOptions: Sendable, Equatable {
    /// Side of the square slice.
    public var size: Int = 256
    /// Rician noise standard deviation relative to the CSF signal (about 1), before normalisation.
    public var noiseSigma: Double = 0.03
    /// Peak relative amplitude of the smooth multiplicative bias field.
    public var biasStrength: Double = 0.15
    /// Scale of the between-patient anatomical and contrast variation (0 = the mean patient).
    public var variability: Double = 1
    /// Lesions to place (empty = healthy).
    public var lesions: [PhantomLesion] = []
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
    /// The slice in the reference layout (image [0, 1], ROI, labels 0/1/2/3/4/6).
    public var slice: PreprocessedSlice
    /// The patient's key: the same key gives the same patient.
    public var key: RandomKey
    public var anatomy: PhantomAnatomy
    public var lesions: [PlacedLesion]
    /// The noise-free, bias-free signal before normalisation (same units as the anatomy signals).
    public var cleanSignal: Image2D
    /// What the spondylosis options produced; nil without them.
    public var spondylosis: SpondylosisTruth? = nil

    public var isLesioned: Bool { !lesions.isEmpty }
    /// Total pixels labelled 6.
    public var lesionPixelCount: Int { slice.labels.pixels.reduce(0) { $0 + ($1 == 6 ? 1 : 0) } }
}

/// Ranges for random lesions in a cohort.
public struct PhantomLesionRanges: Sendable, Equatable {
    public var count: ClosedRange<Int> = 1...2
    /// Area in pixels.
    public var area: ClosedRange<Double> = 12...60
    public var aspect: ClosedRange<Double> = 1.5...3
    public var contrast: ClosedRange<Double> = 0.3...0.8
    public init() {}
}
