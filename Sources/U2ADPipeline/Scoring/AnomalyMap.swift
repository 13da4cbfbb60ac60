import Foundation

/// Which residual of the MC maps the anomaly score measures.
public enum ResidualKind: String, Codable, Sendable, CaseIterable {
    /// `|image - reconstruction|`, the aleatoric map (the reference's choice).
    case absolute
    /// `max(image - reconstruction, 0)`: only signal above the reconstruction counts, as a T2 hyperintensity is brighter
    /// than the tissue the model expects; dark residuals (flow voids, partial volume) do not.
    case positive
}

/// How a slice's residuals are put on one scale before they are compared across slices and patients.
public enum ResidualNormalization: String, Codable, Sendable, CaseIterable {
    /// Raw residuals (intensity units of the normalised image).
    case none
    /// A robust z-score per slice: `(r - median) / (1.4826 MAD)` of the signed residual over the slice's region, so that
    /// a scan whose reconstruction is off overall (contrast, bias field, a model less at home on it) does not score high
    /// everywhere.
    case slice
}

/// How the per-pixel anomaly becomes one value per image row of the curve.
public enum RowAggregation: Codable, Sendable, Equatable {
    /// The mean over the row's region pixels (the reference's curve).
    case mean
    /// The maximum over the row's region pixels of the anomaly averaged over a Gaussian neighbourhood of `sigma` pixels
    /// (a matched filter for a lesion a few pixels across: it keeps a small lesion's signal that a whole-row mean dilutes
    /// and averages the noise of single pixels away).
    case localMaximum(sigma: Double)
}

extension RowAggregation {
    /// `mean` or `local:SIGMA` (`--aggregate`).
    public init(parsing text: String) throws {
        let value = text.lowercased().trimmingCharacters(in: .whitespaces)
        if value == "mean" { self = .mean; return }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "local", let sigma = Double(parts[1]), sigma.isFinite, sigma >= 0, sigma <= 16 else {
            throw PipelineError.badOption("--aggregate", "'\(text)' is not mean or local:SIGMA with SIGMA in [0, 16] pixels")
        }
        self = .localMaximum(sigma: sigma)
    }
}

/// The per-pixel anomaly of a slice, and its row profile, as the scoring options define them.
public enum AnomalyMap {
    /// The anomaly of each pixel (0 outside the region): the residual of `options.residual`, normalised per
    /// `options.normalization`.
    public static func pixels(_ maps: SliceMaps, options: ScoringOptions) -> [Double] {
        let n = maps.size * maps.size
        var signed = [Double](repeating: 0, count: n)
        var inside: [Double] = []
        for i in 0..<n where maps.region[i] != 0 {
            signed[i] = Double(maps.image[i]) - Double(maps.reconstruction[i])
            inside.append(signed[i])
        }
        var center = 0.0, scale = 1.0
        if options.normalization == .slice, !inside.isEmpty {
            center = median(inside)
            scale = max(1.4826 * median(inside.map { abs($0 - center) }), options.minimumResidualSpread)
        }
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n where maps.region[i] != 0 {
            if options.residual == .absolute, options.normalization == .none {
                out[i] = Double(maps.aleatoric[i])  // the reference's map, exactly as MC inference wrote it
                continue
            }
            switch options.residual {
            case .absolute: out[i] = options.normalization == .slice ? abs(signed[i] - center) / scale : abs(signed[i])
            case .positive: out[i] = max((signed[i] - center) / scale, 0)
            }
        }
        return out
    }

    /// One value per image row (0 for rows without region pixels) and the region pixels per row.
    public static func rows(_ maps: SliceMaps, options: ScoringOptions) -> (values: [Double], regionPixels: [Int]) {
        let size = maps.size
        let anomaly = pixels(maps, options: options)
        var counts = [Int](repeating: 0, count: size)
        for y in 0..<size { for x in 0..<size where maps.region[y * size + x] != 0 { counts[y] += 1 } }
        var values = [Double](repeating: 0, count: size)
        switch options.aggregation {
        case .mean:
            for y in 0..<size where counts[y] > 0 {
                var sum = 0.0
                for x in 0..<size where maps.region[y * size + x] != 0 { sum += anomaly[y * size + x] }
                values[y] = sum / Double(counts[y])
            }
        case .localMaximum(let sigma):
            let weights = maps.region.map { $0 != 0 ? 1.0 : 0 }
            let smoothed = normalizedGaussian(anomaly, weights: weights, size: size, sigma: sigma)
            for y in 0..<size where counts[y] > 0 {
                var best = -Double.infinity
                for x in 0..<size where maps.region[y * size + x] != 0 { best = max(best, smoothed[y * size + x]) }
                values[y] = best
            }
        }
        return (values, counts)
    }

    /// `sum g w v / sum g w` with a separable Gaussian `g` of `sigma` pixels (radius 3 sigma), over pixels of weight 1;
    /// 0 where no weighted pixel is near. Only the bounding box of the weighted pixels (plus the radius) is computed.
    static func normalizedGaussian(_ values: [Double], weights: [Double], size: Int, sigma: Double) -> [Double] {
        guard sigma > 0 else { return zip(values, weights).map { $1 > 0 ? $0 : 0 } }
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        var top = size, bottom = -1, left = size, right = -1
        for y in 0..<size {
            for x in 0..<size where weights[y * size + x] > 0 {
                top = min(top, y); bottom = max(bottom, y); left = min(left, x); right = max(right, x)
            }
        }
        guard bottom >= 0 else { return [Double](repeating: 0, count: size * size) }
        let ys = max(0, top - radius)..<min(size, bottom + 1 + radius)
        let xs = max(0, left - radius)..<min(size, right + 1 + radius)
        func blur(_ x: [Double]) -> [Double] {
            var horizontal = [Double](repeating: 0, count: size * size), out = horizontal
            for y in ys {
                for xx in xs {
                    var s = 0.0
                    for d in -radius...radius where xx + d >= 0 && xx + d < size { s += kernel[d + radius] * x[y * size + xx + d] }
                    horizontal[y * size + xx] = s
                }
            }
            for y in ys {
                for xx in xs {
                    var s = 0.0
                    for d in -radius...radius where y + d >= 0 && y + d < size { s += kernel[d + radius] * horizontal[(y + d) * size + xx] }
                    out[y * size + xx] = s
                }
            }
            return out
        }
        let numerator = blur(zip(values, weights).map { $0 * $1 }), denominator = blur(weights)
        return zip(numerator, denominator).map { $1 > 1e-9 ? $0 / $1 : 0 }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
