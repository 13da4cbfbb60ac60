import Foundation
import U2ADData

/// A stretch of image rows along the cord that gets one score.
public struct SpinalSegment: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Between consecutive vertebral-body centroids (or from the cord's end to the nearest one).
        case vertebral
        /// A fixed length along the cord, when the labels hold fewer than two vertebral bodies.
        case distance
    }

    public var name: String
    public var kind: Kind
    /// First row.
    public var startRow: Int
    /// One past the last row.
    public var endRow: Int

    public init(name: String, kind: Kind, startRow: Int, endRow: Int) {
        self.name = name
        self.kind = kind
        self.startRow = startRow
        self.endRow = endRow
    }

    public var rows: Range<Int> { startRow..<endRow }
}

/// A vertebral body found in the labels.
public struct VertebralBody: Codable, Equatable, Sendable {
    public var row: Double
    public var column: Double
    public var pixels: Int
}

/// Cuts the cord into segments.
public enum SpinalSegmentation {
    /// Components of the vertebral-body label (4-connected) with at least the minimum size, top to bottom.
    public static func vertebralBodies(labels: [Float], size: Int, options: ScoringOptions) -> [VertebralBody] {
        let mask = Image2D(rows: size, cols: size, pixels: labels.map { labelValue($0) == options.vertebralBodyLabel ? 1 : 0 })
        let components = Morphology.label(mask, connectivity: .four)
        var rowSums = [Double](repeating: 0, count: components.count), columnSums = rowSums
        for (i, label) in components.labels.enumerated() where label > 0 {
            rowSums[Int(label) - 1] += Double(i / size)
            columnSums[Int(label) - 1] += Double(i % size)
        }
        return (0..<components.count).filter { components.sizes[$0] >= options.minimumBodyPixels }.map {
            let n = Double(components.sizes[$0])
            return VertebralBody(row: rowSums[$0] / n, column: columnSums[$0] / n, pixels: components.sizes[$0])
        }.sorted { $0.row < $1.row }
    }

    /// Segments between consecutive vertebral-body centroids (named from ``ScoringOptions/firstVertebra``
    /// for the top-most body), plus the cord above the first and below the last centroid; with fewer than
    /// two bodies, windows of ``ScoringOptions/fallbackSegmentMM`` along the cord. Empty without cord or bodies.
    public static func segments(labels: [Float], size: Int, curve: AnomalyCurve, options: ScoringOptions) -> [SpinalSegment] {
        let bodies = vertebralBodies(labels: labels, size: size, options: options)
        if bodies.count >= 2 {
            return vertebral(bodies: bodies, cord: curve.cordRows, size: size, first: VertebralLevels.index(of: options.firstVertebra) ?? 1)
        }
        guard let cord = curve.cordRows else { return [] }
        return distance(cord: cord, positions: curve.positionMM, length: options.fallbackSegmentMM)
    }

    static func vertebral(bodies: [VertebralBody], cord: ClosedRange<Int>?, size: Int, first: Int) -> [SpinalSegment] {
        let boundaries = bodies.map { min(max(Int($0.row.rounded()), 0), size) }
        var segments: [SpinalSegment] = []
        if let cord, cord.lowerBound < boundaries[0], first > 0 {
            segments.append(SpinalSegment(name: VertebralLevels.segmentName(upper: first - 1), kind: .vertebral,
                                          startRow: cord.lowerBound, endRow: boundaries[0]))
        }
        for i in 0..<(boundaries.count - 1) where boundaries[i + 1] > boundaries[i] {
            segments.append(SpinalSegment(name: VertebralLevels.segmentName(upper: first + i), kind: .vertebral,
                                          startRow: boundaries[i], endRow: boundaries[i + 1]))
        }
        if let cord, let last = boundaries.last, cord.upperBound >= last {
            segments.append(SpinalSegment(name: VertebralLevels.segmentName(upper: first + boundaries.count - 1), kind: .vertebral,
                                          startRow: last, endRow: cord.upperBound + 1))
        }
        return segments
    }

    static func distance(cord: ClosedRange<Int>, positions: [Double], length: Double) -> [SpinalSegment] {
        var segments: [SpinalSegment] = []
        var start = cord.lowerBound
        while start <= cord.upperBound {
            let window = Int(((positions[start] - positions[cord.lowerBound]) / length + 1e-9).rounded(.down))
            var end = start + 1
            while end <= cord.upperBound, Int(((positions[end] - positions[cord.lowerBound]) / length + 1e-9).rounded(.down)) == window { end += 1 }
            let low = Double(window) * length, high = low + length
            segments.append(SpinalSegment(name: String(format: "%.0f-%.0f mm", low, high), kind: .distance, startRow: start, endRow: end))
            start = end
        }
        return segments
    }
}
