import Foundation

/// The cord's centre line and width, row by row, read from a label map in the reference layout (superior top), where
/// the cord runs roughly from top to bottom.
struct CordAxis {
    /// One row that holds cord.
    struct Row {
        var row: Int
        /// First and last column of the row's longest run of cord pixels.
        var first: Int
        var last: Int
        /// Tilt of the centre line from vertical, radians (positive: lower rows further right).
        var tilt: Double

        var center: Double { Double(first + last) / 2 }
        /// Width across the centre line, pixels.
        var width: Double { Double(last - first + 1) * cos(tilt) }
        /// Unit vectors (row, col) along the centre line (downwards) and across it (posterior, right).
        var along: (row: Double, col: Double) { (cos(tilt), sin(tilt)) }
        var across: (row: Double, col: Double) { (-sin(tilt), cos(tilt)) }
    }

    var rows: [Row]

    /// The rows of `labels` with a pixel in `cordLabels`; the tilt is the least-squares slope of the run centres within
    /// `reach` rows.
    init(labels: Image2D, cordLabels: Set<Float> = [3, 6], reach: Int = 4) {
        var runs: [(row: Int, first: Int, last: Int)] = []
        for r in 0..<labels.rows {
            var best: (first: Int, last: Int)?
            var c = 0
            while c < labels.cols {
                guard cordLabels.contains(labels[r, c]) else { c += 1; continue }
                let first = c
                while c < labels.cols && cordLabels.contains(labels[r, c]) { c += 1 }
                if best.map({ c - first > $0.last - $0.first + 1 }) ?? true { best = (first, c - 1) }
            }
            if let best { runs.append((r, best.first, best.last)) }
        }
        rows = runs.indices.map { i in
            let nearby = runs.filter { abs($0.row - runs[i].row) <= reach }
            let meanRow = nearby.reduce(0.0) { $0 + Double($1.row) } / Double(nearby.count)
            let meanCol = nearby.reduce(0.0) { $0 + Double($1.first + $1.last) / 2 } / Double(nearby.count)
            var covariance = 0.0, variance = 0.0
            for run in nearby {
                let dr = Double(run.row) - meanRow
                covariance += dr * (Double(run.first + run.last) / 2 - meanCol)
                variance += dr * dr
            }
            let slope = variance > 0 ? covariance / variance : 0
            return Row(row: runs[i].row, first: runs[i].first, last: runs[i].last, tilt: atan(slope))
        }
    }
}
