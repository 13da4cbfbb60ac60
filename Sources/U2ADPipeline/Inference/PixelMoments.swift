/// Running mean and variance per pixel (Welford's update in float64), for the samples of one slice.
struct PixelMoments {
    private(set) var count: [Int32]
    private(set) var mean: [Double]
    private(set) var squaredDeviations: [Double]

    init(pixels: Int) {
        count = [Int32](repeating: 0, count: pixels)
        mean = [Double](repeating: 0, count: pixels)
        squaredDeviations = [Double](repeating: 0, count: pixels)
    }

    mutating func add(_ value: Double, at pixel: Int) {
        count[pixel] += 1
        let delta = value - mean[pixel]
        mean[pixel] += delta / Double(count[pixel])
        squaredDeviations[pixel] += delta * (value - mean[pixel])
    }

    /// Population variance (ddof 0); 0 without samples.
    func variance(at pixel: Int) -> Double {
        count[pixel] > 0 ? squaredDeviations[pixel] / Double(count[pixel]) : 0
    }
}
