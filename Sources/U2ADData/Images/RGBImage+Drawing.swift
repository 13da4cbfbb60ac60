import Foundation

/// Lines, dots and text on figures. Coordinates are pixels of the image (row, column), fractional allowed; anything
/// outside the image is clipped.
extension RGBImage {
    /// Sets one pixel, if inside.
    public mutating func set(_ row: Int, _ column: Int, _ color: RGB) {
        guard row >= 0, row < rows, column >= 0, column < cols else { return }
        let i = 3 * (row * cols + column)
        pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
    }

    /// A filled disc of `radius` pixels around `(row, column)`.
    public mutating func fillCircle(row: Double, column: Double, radius: Double, color: RGB) {
        let r0 = Int((row - radius).rounded(.down)), r1 = Int((row + radius).rounded(.up))
        let c0 = Int((column - radius).rounded(.down)), c1 = Int((column + radius).rounded(.up))
        guard r0 <= r1, c0 <= c1 else { return }
        for r in r0...r1 {
            for c in c0...c1 {
                let dr = Double(r) - row, dc = Double(c) - column
                if dr * dr + dc * dc <= radius * radius + 0.25 { set(r, c, color) }
            }
        }
    }

    /// A straight line `width` pixels wide; `dash` > 0 draws dashes of that length with equal gaps.
    public mutating func drawLine(from a: (row: Double, column: Double), to b: (row: Double, column: Double),
                                  color: RGB, width: Double = 1, dash: Double = 0) {
        guard a.row.isFinite, a.column.isFinite, b.row.isFinite, b.column.isFinite else { return }
        let length = ((b.row - a.row) * (b.row - a.row) + (b.column - a.column) * (b.column - a.column)).squareRoot()
        // Only the part of the line inside the image (with a margin for its width) is walked.
        var low = 0.0, high = 1.0
        let margin = width + 1
        for (start, delta, limit) in [(a.row, b.row - a.row, Double(rows)), (a.column, b.column - a.column, Double(cols))] {
            if abs(delta) < 1e-12 {
                if start < -margin || start > limit + margin { return }
                continue
            }
            let t0 = (-margin - start) / delta, t1 = (limit + margin - start) / delta
            low = max(low, min(t0, t1))
            high = min(high, max(t0, t1))
        }
        guard low <= high else { return }
        let steps = max(1, Int((length * (high - low) * 3).rounded(.up)))
        for k in 0...steps {
            let t = low + (high - low) * Double(k) / Double(steps)
            if dash > 0, Int((t * length / dash).rounded(.down)) % 2 == 1 { continue }
            fillCircle(row: a.row + t * (b.row - a.row), column: a.column + t * (b.column - a.column), radius: max(width / 2, 0.5), color: color)
        }
    }

    /// Text in ``BitmapFont`` with its top-left corner at `(row, column)`, each font pixel `scale` image pixels, on an
    /// optional background box.
    public mutating func drawText(_ text: String, row: Int, column: Int, color: RGB, scale: Int = 1, background: RGB? = nil) {
        if let background {
            let width = RGBImage.textWidth(text, scale: scale), height = (BitmapFont.height + 2) * scale
            for r in (row - scale)..<(row - scale + height) { for c in (column - scale)..<(column + width + scale) { set(r, c, background) } }
        }
        for (k, character) in text.enumerated() {
            let left = column + k * BitmapFont.advance * scale
            for fr in 0..<BitmapFont.height {
                for fc in 0..<BitmapFont.width where BitmapFont.isSet(character, row: fr, column: fc) {
                    for dr in 0..<scale { for dc in 0..<scale { set(row + fr * scale + dr, left + fc * scale + dc, color) } }
                }
            }
        }
    }

    /// Width of `text` in image pixels at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int {
        max(0, text.count * BitmapFont.advance - 1) * scale
    }
}
