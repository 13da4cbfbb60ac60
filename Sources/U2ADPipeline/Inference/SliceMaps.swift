/// The MC inference maps of one slice, each row-major `size x size`.
public struct SliceMaps: Sendable {
    public var name: String
    public var size: Int
    /// The image as the model saw it (min-max normalised unless turned off).
    public var image: [Float]
    /// The masked region (0/1), which bounds the epistemic and aleatoric maps.
    public var region: [Float]
    /// Mean reconstruction inside the region, the image elsewhere.
    public var reconstruction: [Float]
    /// Per-pixel population variance of the reconstructions inside the region.
    public var epistemic: [Float]
    /// `|image - reconstruction|` inside the region.
    public var aleatoric: [Float]
    /// Patches holding region pixels.
    public var roiPatches: Int
    public var passes: Int
    /// ROI patches hidden per pass (0 with dropout alone).
    public var hiddenPerPass: Int
    /// Fewest and most samples of a region patch (0...0 when the slice was skipped).
    public var samplesPerPatch: ClosedRange<Int>
    /// True when the slice had fewer region patches than the minimum and got zero maps.
    public var skipped: Bool

    public init(name: String, size: Int, image: [Float], region: [Float], reconstruction: [Float], epistemic: [Float],
                aleatoric: [Float], roiPatches: Int, passes: Int, hiddenPerPass: Int, samplesPerPatch: ClosedRange<Int>, skipped: Bool) {
        self.name = name
        self.size = size
        self.image = image
        self.region = region
        self.reconstruction = reconstruction
        self.epistemic = epistemic
        self.aleatoric = aleatoric
        self.roiPatches = roiPatches
        self.passes = passes
        self.hiddenPerPass = hiddenPerPass
        self.samplesPerPatch = samplesPerPatch
        self.skipped = skipped
    }
}
