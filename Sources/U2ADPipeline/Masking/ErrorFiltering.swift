import Foundation
import U2ADData

/// The aleatoric (error) map as the reference feeds it to EU+AU masking: the loader's structure mask,
/// then `process_error` of `ada-train.py`.
public enum ErrorFiltering {
    /// Settings of `process_error` and of the loader's mask, defaults as the reference.
    public struct Settings: Codable, Equatable, Sendable {
        /// Labels whose pixels, eroded by a 3x3 square, keep their error (`{3, 6}`: cord and lesion).
        public var labels: [Int] = [3, 6]
        /// Percentile of the nonzero values above which error is kept (90).
        public var percentile: Double = 90
        /// Smallest kept connected component, in pixels (8-connectivity), (2).
        public var minimumComponentSize: Int = 2
        /// How many components are kept, ranked by mean x sum of their values (3).
        public var keptComponents: Int = 3

        public init() {}
    }

    /// `error * binary_erosion(labels in settings.labels, 3x3 ones)`.
    public static func structureMasked(_ error: [Float], labels: [Float], size: Int, settings: Settings = Settings()) -> [Float] {
        let selected = Set(settings.labels)
        let region = Image2D(rows: size, cols: size, pixels: labels.map { labelValue($0).map(selected.contains) ?? false ? 1 : 0 })
        let eroded = Morphology.binaryErosion(region, iterations: 1, structure: .eight)
        return zip(error, eroded.pixels).map { value, keep in keep != 0 && value.isFinite ? value : 0 }
    }

    /// `process_error`: keeps values above the percentile of the nonzero values, then only the
    /// `keptComponents` connected components (8-connectivity, at least `minimumComponentSize` pixels)
    /// with the highest mean x sum (ties in label order, i.e. raster order of their first pixel).
    /// A map without nonzero values gives zeros.
    public static func filter(_ error: [Float], size: Int, settings: Settings = Settings()) -> [Float] {
        let values = error.map { $0.isFinite ? Double($0) : 0 }
        let nonzero = values.filter { $0 != 0 }
        guard !nonzero.isEmpty else { return [Float](repeating: 0, count: error.count) }
        let threshold = percentile(nonzero, settings.percentile)
        let kept = values.map { $0 > threshold ? $0 : 0 }
        let components = Morphology.label(Image2D(rows: size, cols: size, pixels: kept.map { $0 > 0 ? 1 : 0 }), connectivity: .eight)
        guard components.count > 0 else { return [Float](repeating: 0, count: error.count) }
        var sums = [Double](repeating: 0, count: components.count)
        for (i, label) in components.labels.enumerated() where label > 0 { sums[Int(label) - 1] += kept[i] }
        var ranked: [(label: Int, score: Double)] = []
        for k in 0..<components.count where components.sizes[k] >= settings.minimumComponentSize {
            let mean = sums[k] / Double(components.sizes[k])
            ranked.append((k + 1, mean * sums[k]))
        }
        // Stable descending sort, as Python's `sort(reverse=True)`.
        let order = ranked.indices.sorted { a, b in
            ranked[a].score > ranked[b].score || (ranked[a].score == ranked[b].score && a < b)
        }
        let selected = Set(order.prefix(max(settings.keptComponents, 0)).map { ranked[$0].label })
        return (0..<error.count).map { i in
            let label = Int(components.labels[i])
            return label > 0 && selected.contains(label) ? Float(kept[i]) : 0
        }
    }

    /// Structure mask, then `process_error`.
    public static func aleatoricMap(_ error: [Float], labels: [Float], size: Int, settings: Settings = Settings()) -> [Float] {
        filter(structureMasked(error, labels: labels, size: size, settings: settings), size: size, settings: settings)
    }

    /// `numpy.percentile(values, q)` with the default linear method.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard let first = sorted.first else { return .nan }
        let n = sorted.count
        let virtualIndex = Double(n - 1) * (q / 100)   // numpy's 'linear' method
        let previous = min(max(Int(virtualIndex.rounded(.down)), 0), n - 1)
        let next = min(previous + 1, n - 1)
        guard virtualIndex >= 0 else { return first }
        let gamma = virtualIndex - virtualIndex.rounded(.down)
        let a = sorted[previous], b = sorted[next]
        let difference = b - a
        // numpy's `_lerp`: a + d*t, or b - d*(1 - t) when t >= 0.5.
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }
}
