import Foundation
import U2ADRandom

/// Inserts T2 hyperintensities with the phantom's lesion model (`CordLesion`) into the labelled cord (label 3) of real
/// preprocessed slices, as the U2AD paper evaluated pseudo-anomalies on normal scans (see docs/phantom.md).
///
/// For each lesion: a centre row is drawn among the cord rows at least `minimumCordWidth` pixels wide (or taken from
/// `position`); the cord's local axis and width come from the label map; the lesion's across axis is fitted to the
/// cord (at most its half-width less half a pixel, the along axis enlarged to keep the area); every cord pixel gets
///
///     image += weight * (contrast - 1) * local cord signal
///
/// where the local cord signal is the median of the slice's cord pixels within `signalRadius` of the centre, and
/// the pixels with weight >= 0.5 are labelled 6. Only label-3 pixels change, so a lesion never leaves the cord and
/// never overlaps one inserted before it; the ROI channel is kept. Values are clamped to 1.
public enum LesionInsertion {
    public struct Options: Sendable, Equatable {
        /// Narrowest cord (pixels across its axis) that may hold a lesion centre; a thin cord narrows the lesion and
        /// lengthens it instead.
        public var minimumCordWidth: Double = 3
        /// Fewest rows that wide a slice must have.
        public var minimumCordRows: Int = 3
        /// Smallest labelled area (pixels) of a placed lesion; random positions are redrawn (up to 8 times) until a
        /// lesion reaches it.
        public var minimumArea: Int = 4
        /// Radius in pixels of the neighbourhood whose cord pixels' median is the local cord signal.
        public var signalRadius: Double = 10

        public init() {}
    }

    /// `slice` with `lesions` inserted one after another. Every draw comes from `key` (derive one per slice, e.g.
    /// `root.split(.lesionInsertion).fold(in: sliceName)`), so the same key gives the same result.
    public static func insert(_ lesions: [CordLesion], into slice: PreprocessedSlice, key: RandomKey,
                              options: Options = Options()) throws -> InsertedLesions {
        var out = InsertedLesions(slice: slice, lesions: [], clampedPixels: 0)
        for (index, lesion) in lesions.enumerated() {
            if let reason = lesion.invalidReason { throw LesionInsertionError.invalidLesion(reason) }
            var random = key.fold(in: index).stream()
            try insertOne(lesion, into: &out, random: &random, options: options)
        }
        return out
    }

    private static func insertOne(_ requested: CordLesion, into out: inout InsertedLesions, random: inout RandomStream,
                                  options: Options) throws {
        let labels = out.slice.labels
        let axis = CordAxis(labels: labels)
        let eligible = axis.rows.filter { $0.width >= options.minimumCordWidth }
        guard eligible.count >= options.minimumCordRows else {
            let widest = axis.rows.map(\.width).max() ?? 0
            throw LesionInsertionError.tooLittleCord(String(
                format: "%d cord rows at least %.0f px wide (%d needed); widest cord %.1f px over %d rows with label 3",
                eligible.count, options.minimumCordWidth, options.minimumCordRows, widest, axis.rows.count))
        }
        var best: (lesion: PlacedLesion, image: Image2D, labels: Image2D, clamped: Int)?
        for _ in 0..<(requested.position == nil ? 8 : 1) {
            let attempt = place(requested, in: out.slice, eligible: eligible, random: &random, options: options)
            if best.map({ attempt.lesion.area > $0.lesion.area }) ?? true { best = attempt }
            if attempt.lesion.area >= options.minimumArea { break }
        }
        guard let best, best.lesion.area >= options.minimumArea else {
            throw LesionInsertionError.tooLittleCord("no position gives the lesion \(options.minimumArea) labelled px")
        }
        out.slice.image = best.image
        out.slice.labels = best.labels
        out.lesions.append(best.lesion)
        out.clampedPixels += best.clamped
    }

    private static func place(_ requested: CordLesion, in slice: PreprocessedSlice, eligible: [CordAxis.Row],
                              random: inout RandomStream, options: Options)
        -> (lesion: PlacedLesion, image: Image2D, labels: Image2D, clamped: Int) {
        let position = requested.position ?? random.uniform(0.1, 0.9)
        let row = eligible[Int((min(max(position, 0), 1) * Double(eligible.count - 1)).rounded())]
        let half = row.width / 2
        let lesion = requested.placed(at: position, cordHalfWidth: half, random: &random)
        let offset = lesion.offset!
        let (u, v) = (row.along, row.across)
        let centerRow = Double(row.row) + offset * half * v.row
        let centerCol = row.center + offset * half * v.col

        var image = slice.image, labels = slice.labels
        var nearby: [Double] = []
        let radius = options.signalRadius
        for r in max(Int(centerRow - radius), 0)...min(Int(centerRow + radius) + 1, labels.rows - 1) {
            for c in max(Int(centerCol - radius), 0)...min(Int(centerCol + radius) + 1, labels.cols - 1) where labels[r, c] == 3 {
                let dr = Double(r) - centerRow, dc = Double(c) - centerCol
                if dr * dr + dc * dc <= radius * radius { nearby.append(Double(image[r, c])) }
            }
        }
        let cordSignal = Preprocessing.percentile(nearby, 50) ?? 0
        let reach = max(lesion.semiAxisAlong, lesion.semiAxisAcross) + lesion.edgeWidth + 1
        var pixels: [LesionPixel] = []
        var clamped = 0
        for r in max(Int(centerRow - reach), 0)...min(Int(centerRow + reach) + 1, labels.rows - 1) {
            for c in max(Int(centerCol - reach), 0)...min(Int(centerCol + reach) + 1, labels.cols - 1) where slice.labels[r, c] == 3 {
                let dr = Double(r) - centerRow, dc = Double(c) - centerCol
                let weight = lesion.weight(along: dr * u.row + dc * u.col, across: dr * v.row + dc * v.col)
                guard weight > 0 else { continue }
                pixels.append(LesionPixel(row: r, col: c, weight: weight))
                let value = Double(image[r, c]) + weight * (lesion.contrast - 1) * cordSignal
                if value > 1 { clamped += 1 }
                image[r, c] = Float(min(value, 1))
                if weight >= 0.5 { labels[r, c] = 6 }
            }
        }
        let placed = PlacedLesion(requested: requested, lesion: lesion, centerRow: centerRow, centerCol: centerCol,
                                  cordSignal: cordSignal, pixels: pixels,
                                  touchesCordBorder: PlacedLesion.touchesBorder(pixels, labels: labels))
        return (placed, image, labels, clamped)
    }
}

/// A slice with inserted lesions and their exact truth.
public struct InsertedLesions: Sendable, Equatable {
    /// The slice: image with the lesions added, labels with 6 at their labelled pixels, ROI unchanged.
    public var slice: PreprocessedSlice
    public var lesions: [PlacedLesion]
    /// Lesion pixels whose value would have exceeded 1 and was clamped (0 keeps every contrast exact).
    public var clampedPixels: Int
}

/// Why a lesion could not be inserted. Messages are one line.
public enum LesionInsertionError: Error, CustomStringConvertible, Equatable {
    /// The lesion's parameters are out of range.
    case invalidLesion(String)
    /// The slice's labelled cord is too thin or too short.
    case tooLittleCord(String)

    public var description: String {
        switch self {
        case .invalidLesion(let m): return "cannot insert a lesion: \(m)"
        case .tooLittleCord(let m): return "too little cord to insert a lesion: \(m)"
        }
    }
}
