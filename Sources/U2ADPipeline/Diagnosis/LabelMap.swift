import Foundation
import U2ADData

/// A sagittal label map to diagnose: the legend of ../shared/data/README.md (0 background, 1 disc, 2 vertebral body,
/// 3 cord, 4 CSF, 5 disc protrusion, 6 T2 hyperintensity, 7 other compressive lesion), row 0 superior, with its pixel
/// size. Values are read by the one label rule of every command (`LabelRule`: the nearest integer); values outside the
/// legend are counted, not guessed at.
public struct LabelMap: Sendable {
    public static let disc = 1, vertebralBody = 2, cord = 3, csf = 4, protrusion = 5, hyperintensity = 6, compressiveLesion = 7

    public let rows: Int
    public let columns: Int
    /// Pixel height (along rows) and width (along columns), mm.
    public let rowSpacing: Double
    public let columnSpacing: Double
    /// Legend label per pixel, row-major; pixels outside the legend read 0.
    public let labels: [UInt8]
    /// Pixels whose value does not round to a label from 0 to 7 (NaN included), by value as printed.
    public let outsideLegend: [String: Int]

    /// `values` row-major, `rows * columns` of them.
    public init(rows: Int, columns: Int, values: [Float], rowSpacing: Double, columnSpacing: Double) {
        precondition(values.count == rows * columns, "label map of \(values.count) values for \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.rowSpacing = rowSpacing
        self.columnSpacing = columnSpacing
        var labels = [UInt8](repeating: 0, count: values.count)
        var outside: [String: Int] = [:]
        for (i, value) in values.enumerated() {
            if let label = LabelRule.value(value), (0...7).contains(label) {
                labels[i] = UInt8(label)
            } else {
                outside[value.isNaN ? "nan" : String(format: "%g", value), default: 0] += 1
            }
        }
        self.labels = labels
        outsideLegend = outside
    }

    /// The label at `(row, column)`, 0 outside the map.
    public func label(_ row: Int, _ column: Int) -> Int {
        guard row >= 0, row < rows, column >= 0, column < columns else { return 0 }
        return Int(labels[row * columns + column])
    }

    /// Pixels with one of `labels`.
    func count(_ wanted: Set<Int>) -> Int { labels.reduce(0) { $0 + (wanted.contains(Int($1)) ? 1 : 0) } }

    /// Area of one pixel, mm².
    public var pixelArea: Double { rowSpacing * columnSpacing }

    /// One line naming the values outside the legend, or nil when there are none.
    public var legendProblem: String? {
        guard !outsideLegend.isEmpty else { return nil }
        let total = outsideLegend.values.reduce(0, +)
        let values = outsideLegend.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) (\($0.value) px)" }
        return "label values outside the legend 0-7 at \(total) pixels: " + values.joined(separator: ", ")
    }
}

/// Millimetre coordinates of a label map with `x` growing posteriorly and `y` inferiorly, so that the indicators
/// read the same whichever side the face is on.
struct SliceFrame {
    let map: LabelMap
    /// +1 when posterior is towards larger columns (the reference layout), -1 when the slice is mirrored.
    let posteriorSign: Double

    func point(row: Double, column: Double) -> PlanePoint {
        PlanePoint(posteriorSign * column * map.columnSpacing, row * map.rowSpacing)
    }

    func point(pixel index: Int) -> PlanePoint { point(row: Double(index / map.columns), column: Double(index % map.columns)) }

    func pixel(_ p: PlanePoint) -> (row: Double, column: Double) {
        (p.y / map.rowSpacing, posteriorSign * p.x / map.columnSpacing)
    }

    /// Row-major index of the pixel containing `p`, or nil outside the map.
    func index(_ p: PlanePoint) -> Int? {
        let (row, column) = pixel(p)
        let r = Int(row.rounded()), c = Int(column.rounded())
        guard r >= 0, r < map.rows, c >= 0, c < map.columns else { return nil }
        return r * map.columns + c
    }

    func label(at p: PlanePoint) -> Int { index(p).map { Int(map.labels[$0]) } ?? 0 }

    /// How far a pixel square reaches from its centre along the unit vector `u`, mm.
    func pixelReach(along u: PlanePoint) -> Double { 0.5 * (abs(u.x) * map.columnSpacing + abs(u.y) * map.rowSpacing) }

    /// Half the smaller pixel side, mm: the step that resolves every pixel.
    var fineStep: Double { 0.5 * min(map.rowSpacing, map.columnSpacing) }
}
