import Foundation

/// The anomaly along the cord: for each image row (the craniocaudal axis), the maps averaged over the
/// row's region pixels, smoothed along the cord, and the row's distance along the cord's centre line.
public struct AnomalyCurve: Codable, Equatable, Sendable {
    /// Region pixels per row.
    public var regionPixels: [Int]
    /// The anomaly of each row as ``ScoringOptions`` define it (``AnomalyMap/rows(_:options:)``; by default the mean
    /// aleatoric value over the row's region pixels), 0 where a row has none.
    public var rawAleatoric: [Double]
    /// ``rawAleatoric`` smoothed over the cord rows: the curve the segments are scored on.
    public var aleatoric: [Double]
    /// Mean epistemic value over each row's region pixels, smoothed.
    public var epistemic: [Double]
    /// Millimetres along the cord's centre line from its top row (negative above it).
    public var positionMM: [Double]
    /// First and last rows holding region pixels.
    public var cordRows: ClosedRange<Int>?

    public var rowCount: Int { regionPixels.count }

    public init(maps: SliceMaps, options: ScoringOptions) {
        let size = maps.size
        var counts = [Int](repeating: 0, count: size)
        var epistemicSums = [Double](repeating: 0, count: size)
        var columnSums = [Double](repeating: 0, count: size)
        for y in 0..<size {
            for x in 0..<size where maps.region[y * size + x] != 0 {
                counts[y] += 1
                epistemicSums[y] += Double(maps.epistemic[y * size + x])
                columnSums[y] += Double(x)
            }
        }
        let weights = counts.map { $0 > 0 ? 1.0 : 0.0 }
        func mean(_ sums: [Double]) -> [Double] { zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : 0 } }
        regionPixels = counts
        rawAleatoric = AnomalyMap.rows(maps, options: options).values
        aleatoric = AnomalyCurve.smooth(rawAleatoric, weights: weights, sigma: options.smoothingRows)
        epistemic = AnomalyCurve.smooth(mean(epistemicSums), weights: weights, sigma: options.smoothingRows)
        let rows = counts.indices.filter { counts[$0] > 0 }
        cordRows = rows.first.map { $0...rows.last! }
        positionMM = AnomalyCurve.positions(centres: mean(columnSums), known: counts.map { $0 > 0 }, cordRows: cordRows, sigma: options.smoothingRows,
                                            spacing: options.pixelSpacingMM)
    }

    /// Normalised Gaussian smoothing over the rows with weight 1: `s(y) = sum g(d) w v / sum g(d) w`
    /// over `|d| <= 3 sigma`; rows with weight 0 stay 0.
    public static func smooth(_ values: [Double], weights: [Double], sigma: Double) -> [Double] {
        guard sigma > 0 else { return zip(values, weights).map { $1 > 0 ? $0 : 0 } }
        let radius = Int((3 * sigma).rounded(.up))
        let kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        return values.indices.map { y in
            guard weights[y] > 0 else { return 0 }
            var numerator = 0.0, denominator = 0.0
            for d in -radius...radius where values.indices.contains(y + d) {
                numerator += kernel[d + radius] * weights[y + d] * values[y + d]
                denominator += kernel[d + radius] * weights[y + d]
            }
            return denominator > 0 ? numerator / denominator : 0
        }
    }

    /// Arc length along the centre line (mean region column per row, gaps interpolated, smoothed);
    /// one pixel spacing per row above and below the cord.
    static func positions(centres: [Double], known: [Bool], cordRows: ClosedRange<Int>?, sigma: Double, spacing: Double) -> [Double] {
        let count = centres.count
        guard let cord = cordRows else { return (0..<count).map { Double($0) * spacing } }
        var centre = centres
        var previous = cord.lowerBound
        for y in cord where y > cord.lowerBound {
            guard known[y] else { continue }
            if y - previous > 1 {
                for g in (previous + 1)..<y {
                    let t = Double(g - previous) / Double(y - previous)
                    centre[g] = centres[previous] + t * (centres[y] - centres[previous])
                }
            }
            previous = y
        }
        let weights = (0..<count).map { cord.contains($0) ? 1.0 : 0.0 }
        let line = smooth(centre, weights: weights, sigma: sigma)
        var position = [Double](repeating: 0, count: count)
        for y in stride(from: cord.lowerBound - 1, through: 0, by: -1) { position[y] = position[y + 1] - spacing }
        for y in (cord.lowerBound + 1)..<max(cord.lowerBound + 1, cord.upperBound + 1) {
            let dx = line[y] - line[y - 1]
            position[y] = position[y - 1] + spacing * (1 + dx * dx).squareRoot()
        }
        if cord.upperBound + 1 < count {
            for y in (cord.upperBound + 1)..<count { position[y] = position[y - 1] + spacing }
        }
        return position
    }
}
