import Foundation

/// MAE's fixed 2-D sin-cos positional embedding with a zero cls row: `[1 + grid * grid, width]`.
///
/// The first half of each row encodes the patch column, the second half its row
/// (MAE's `np.meshgrid(grid_w, grid_h)` order), each half as sin then cos over `width / 4` frequencies.
public func sinCosPositionalEmbedding(width: Int, grid: Int) -> [Float] {
    precondition(width % 4 == 0, "positional embedding width must be a multiple of 4")
    let half = width / 2, quarter = half / 2
    var table = [Float](repeating: 0, count: (1 + grid * grid) * width)
    for r in 0..<grid {
        for c in 0..<grid {
            let row = (1 + r * grid + c) * width
            for i in 0..<quarter {
                // MAE computes omega in float64 then the table in float32.
                let omega = 1 / pow(10000.0, Double(i) / Double(quarter))
                table[row + i] = Float(sin(Double(c) * omega))
                table[row + quarter + i] = Float(cos(Double(c) * omega))
                table[row + half + i] = Float(sin(Double(r) * omega))
                table[row + half + quarter + i] = Float(cos(Double(r) * omega))
            }
        }
    }
    return table
}
