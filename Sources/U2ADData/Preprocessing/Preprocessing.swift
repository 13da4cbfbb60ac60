import Foundation

/// Settings of the reference slice preprocessing. The defaults are the reference values.
public struct PreprocessingOptions: Sendable, Equatable {
    /// In-plane spacing to resample to, in mm (zoom factor per axis = spacing / target).
    public var targetSpacing: Double = 1.0
    /// Side of the centre crop / zero pad after resampling, in pixels.
    public var cropSize: Int = 200
    /// Side of the final slice (zoom factor `outputSize / cropSize`).
    public var outputSize: Int = 256
    /// Spline order for the image (3 = cubic, as `scipy.ndimage.zoom(order=3)`).
    public var imageOrder: Int = 3
    /// Spline order for the label map (0 = nearest).
    public var labelOrder: Int = 0
    /// Lower clipping percentile of the non-background (> 0) pixels, NumPy 'linear' method.
    public var lowerPercentile: Double = 0.2
    /// Upper clipping percentile of the non-background (> 0) pixels.
    public var upperPercentile: Double = 99.8
    /// Labels whose union forms the region-of-interest mask (3 cord, 4 CSF).
    public var roiLabels: Set<Int> = [3, 4]
    /// Dilations of the ROI union with a 3x3 square (border outside = 0).
    public var roiDilationIterations: Int = 1
    /// ROI components smaller than this many pixels are removed (kept when `>=`).
    public var roiMinComponentSize: Int = 20
    /// Connectivity of the ROI components (`.four` = `scipy.ndimage.label` default structure and
    /// `skimage.morphology.remove_small_objects` default).
    public var roiConnectivity: Connectivity = .four

    public init() {}

    /// ROI settings that reproduce channel 1 of the released U2AD sample slices
    /// (`../shared/data/u2ad-samples`): labels {3, 4, 6}, no dilation, no size filter.
    /// Everything else is the default.
    public static var releasedSampleROI: PreprocessingOptions {
        var o = PreprocessingOptions()
        o.roiLabels = [3, 4, 6]
        o.roiDilationIterations = 0
        o.roiMinComponentSize = 0
        return o
    }
}

/// One preprocessed slice in the reference layout: three `size x size` channels
/// (0 image in [0, 1], 1 ROI mask 0/1, 2 label map).
public struct PreprocessedSlice: Equatable, Sendable {
    public var image: Image2D
    public var roi: Image2D
    public var labels: Image2D

    public init(image: Image2D, roi: Image2D, labels: Image2D) {
        precondition(image.rows == roi.rows && image.cols == roi.cols
                     && image.rows == labels.rows && image.cols == labels.cols,
                     "PreprocessedSlice: channel shapes differ")
        self.image = image
        self.roi = roi
        self.labels = labels
    }

    /// Splits a channel-major `(3, rows, cols)` buffer.
    public init(channels: [Float], rows: Int, cols: Int) throws {
        let n = rows * cols
        guard channels.count == 3 * n else {
            throw ImageError.shapeMismatch("\(channels.count) values for (3, \(rows), \(cols))")
        }
        self.init(image: Image2D(rows: rows, cols: cols, pixels: Array(channels[0..<n])),
                  roi: Image2D(rows: rows, cols: cols, pixels: Array(channels[n..<(2 * n)])),
                  labels: Image2D(rows: rows, cols: cols, pixels: Array(channels[(2 * n)..<(3 * n)])))
    }

    public var rows: Int { image.rows }
    public var cols: Int { image.cols }

    /// Channel-major `(3, rows, cols)` buffer: image, ROI, labels.
    public var channels: [Float] { image.pixels + roi.pixels + labels.pixels }
}

/// The reference preprocessing of one sagittal slice, identical (to float rounding) to
/// `tools/fixtures-preprocessing/make_expected.py` (NumPy/SciPy):
///
/// 1. resample in-plane to `targetSpacing` with `scipy.ndimage.zoom` (zoom = spacing / target;
///    order 3 image, order 0 labels);
/// 2. centre crop or zero pad each axis to `cropSize`: crop start `(n - size) / 2`, pad before
///    `(size - n) / 2` (integer division, so an odd extra pixel goes after);
/// 3. zoom to `outputSize` (factor `outputSize / cropSize`, same orders);
/// 4. clip the image to the lower/upper percentiles of its pixels `> 0` and min-max scale to
///    [0, 1] (constant images become 0);
/// 5. ROI: labels in `roiLabels`, dilated, components `< roiMinComponentSize` removed.
///
/// Computed in float64 throughout; the outputs are rounded to `Float`.
public enum Preprocessing {

    /// Preprocesses one slice.
    /// - Parameters:
    ///   - image: the slice, row 0 superior, column 0 anterior.
    ///   - labels: its label map (same shape), or `nil` for an all-background map.
    ///   - spacing: pixel spacing in mm, `(row, col)`.
    public static func preprocess(image: Image2D, labels: Image2D?, spacing: (row: Double, col: Double),
                                  options: PreprocessingOptions = PreprocessingOptions()) throws -> PreprocessedSlice {
        if let l = labels, l.rows != image.rows || l.cols != image.cols {
            throw ImageError.shapeMismatch("labels \(l.rows)x\(l.cols) vs image \(image.rows)x\(image.cols)")
        }
        return try preprocess(pixels: image.doubles, rows: image.rows, cols: image.cols,
                              labels: labels?.doubles, spacing: spacing, options: options)
    }

    /// Same as `preprocess(image:labels:spacing:options:)` for row-major float64 buffers
    /// (`labels` has the same shape, or is `nil`).
    public static func preprocess(pixels: [Double], rows: Int, cols: Int, labels: [Double]?,
                                  spacing: (row: Double, col: Double),
                                  options: PreprocessingOptions = PreprocessingOptions()) throws -> PreprocessedSlice {
        guard rows > 0, cols > 0, pixels.count == rows * cols else {
            throw ImageError.shapeMismatch("\(pixels.count) pixels for shape \(rows)x\(cols)")
        }
        if let l = labels, l.count != rows * cols {
            throw ImageError.shapeMismatch("\(l.count) labels for shape \(rows)x\(cols)")
        }
        let sizes = DataLimits.voxelSizeMM
        guard sizes.contains(spacing.row), sizes.contains(spacing.col), options.targetSpacing > 0, options.targetSpacing.isFinite else {
            throw ImageError.invalidArgument(
                "voxel size \(spacing.row) x \(spacing.col) mm is outside \(sizes.lowerBound)...\(sizes.upperBound) mm")
        }
        guard options.cropSize > 0, options.outputSize > 0 else {
            throw ImageError.invalidArgument("cropSize and outputSize must be positive")
        }
        let z1 = (spacing.row / options.targetSpacing, spacing.col / options.targetSpacing)
        let longest = max(Double(rows) * z1.0, Double(cols) * z1.1)
        guard longest <= Double(DataLimits.maximumResampledSide) else {
            throw ImageError.invalidArgument(
                "a \(rows)x\(cols) slice of \(spacing.row) x \(spacing.col) mm voxels resamples to \(Int(longest.rounded(.up))) pixels a side, more than the limit of \(DataLimits.maximumResampledSide)")
        }
        // Non-finite voxels (NaN outside a registered field of view, overflowing scl_slope) count as 0.
        let pixels = pixels.contains(where: { !$0.isFinite }) ? pixels.map { $0.isFinite ? $0 : 0 } : pixels
        let lab = labels ?? [Double](repeating: 0, count: rows * cols)
        let s = options.cropSize
        let z2 = Double(options.outputSize) / Double(s)

        func resample(_ x: [Double], order: Int) throws -> [Double] {
            let a = try SplineZoom.zoom(x, rows: rows, cols: cols, zoom: z1, order: order)
            let b = centerCropOrPad(a.pixels, rows: a.rows, cols: a.cols, size: s)
            let c = try SplineZoom.zoom(b, rows: s, cols: s, zoom: (z2, z2), order: order)
            guard c.rows == options.outputSize, c.cols == options.outputSize else {
                throw ImageError.invalidArgument(
                    "cropSize \(s) -> outputSize \(options.outputSize) gives \(c.rows)x\(c.cols)")
            }
            return c.pixels
        }

        let img = try resample(pixels, order: options.imageOrder)
        let labOut = try resample(lab, order: options.labelOrder)
        let norm = clipAndNormalize(img, lowerPercentile: options.lowerPercentile,
                                    upperPercentile: options.upperPercentile)
        let n = options.outputSize
        let labImage = Image2D(rows: n, cols: n, doubles: labOut)
        let roi = roiMask(labels: labImage, options: options)
        return PreprocessedSlice(image: Image2D(rows: n, cols: n, doubles: norm), roi: roi, labels: labImage)
    }

    /// Centre crop or zero pad a row-major array to `size x size` (see step 2 above).
    public static func centerCropOrPad(_ x: [Double], rows: Int, cols: Int, size: Int) -> [Double] {
        centerCropOrPad(x, rows: rows, cols: cols, toRows: size, toCols: size)
    }

    /// Centre crop or zero pad a row-major array to `toRows x toCols`, each axis on its own. Going back to the
    /// original size with the same function undoes it (a crop's start equals the inverse pad's leading margin).
    public static func centerCropOrPad(_ x: [Double], rows: Int, cols: Int, toRows: Int, toCols: Int) -> [Double] {
        // Offset of output (0, 0) in the input: crop start, or minus the pad before.
        let r0 = rows >= toRows ? (rows - toRows) / 2 : -((toRows - rows) / 2)
        let c0 = cols >= toCols ? (cols - toCols) / 2 : -((toCols - cols) / 2)
        var out = [Double](repeating: 0, count: toRows * toCols)
        for r in 0..<toRows {
            let sr = r + r0
            guard sr >= 0 && sr < rows else { continue }
            for c in 0..<toCols {
                let sc = c + c0
                if sc >= 0 && sc < cols { out[r * toCols + c] = x[sr * cols + sc] }
            }
        }
        return out
    }

    /// `Image2D` version of `centerCropOrPad`.
    public static func centerCropOrPad(_ image: Image2D, size: Int) -> Image2D {
        Image2D(rows: size, cols: size,
                doubles: centerCropOrPad(image.doubles, rows: image.rows, cols: image.cols, size: size))
    }

    /// `numpy.percentile(values, p)` with the default 'linear' method (`values` need not be sorted).
    /// Returns `nil` for an empty input.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        percentiles(values, [p])?.first
    }

    /// Several percentiles of the same values (sorts once).
    public static func percentiles(_ values: [Double], _ ps: [Double]) -> [Double]? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return ps.map { percentileOfSorted(s, $0) }
    }

    static func percentileOfSorted(_ s: [Double], _ p: Double) -> Double {
        let n = s.count
        let q = p / 100.0
        let v = Double(n - 1) * q
        if v >= Double(n - 1) { return s[n - 1] }
        if v < 0 { return s[0] }
        let prev = v.rounded(.down)
        let i = Int(prev)
        let gamma = v - prev
        let a = s[i], b = s[i + 1]
        let diff = b - a
        // NumPy `_lerp`: a + diff * t, or b - diff * (1 - t) where t >= 0.5.
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
    }

    /// Clips to the percentiles of the pixels `> 0`, then min-max scales to [0, 1]:
    /// `x = clip(x, lo, hi); (x - x.min()) / (x.max() - x.min())`. With no positive pixel the
    /// percentiles are taken over all pixels; a constant result maps to 0.
    public static func clipAndNormalize(_ x: [Double], lowerPercentile: Double = 0.2,
                                        upperPercentile: Double = 99.8) -> [Double] {
        guard !x.isEmpty else { return [] }
        var fg = x.filter { $0 > 0 }
        if fg.isEmpty { fg = x }
        let p = percentiles(fg, [lowerPercentile, upperPercentile])!
        let lo = p[0], hi = p[1]
        var y = x.map { Swift.min(Swift.max($0, lo), hi) }
        let mn = y.min()!, mx = y.max()!
        let range = mx - mn
        if range > 0 {
            for i in 0..<y.count { y[i] = (y[i] - mn) / range }
        } else {
            for i in 0..<y.count { y[i] = 0 }
        }
        return y
    }

    /// The reference ROI mask: pixels whose label is in `options.roiLabels`, dilated
    /// `roiDilationIterations` times with a 3x3 square, then components smaller than
    /// `roiMinComponentSize` removed. Returns a 0/1 image.
    public static func roiMask(labels: Image2D, options: PreprocessingOptions = PreprocessingOptions()) -> Image2D {
        var m = labels.mask(labels: options.roiLabels)
        if options.roiDilationIterations > 0 {
            m = Morphology.binaryDilation(m, iterations: options.roiDilationIterations, structure: .eight)
        }
        if options.roiMinComponentSize > 1 {
            m = Morphology.removeSmallComponents(m, minSize: options.roiMinComponentSize,
                                                 connectivity: options.roiConnectivity)
        }
        return m
    }
}
