extension CPUBackend: ReductionOps {
    /// Blocks of 64 columns in parallel, each summed over `length` in order.
    public func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction) {
        let xp = floats(x), op = floats(out)
        let blocks = (inner + 63) / 64
        parallelFor(outer * blocks) { task in
            let o = task / blocks
            let start = (task % blocks) * 64
            let end = min(inner, start + 64)
            let base = xp + o * length * inner
            let destination = op + o * inner
            for i in start..<end { destination[i] = operation == .max ? -.infinity : 0 }
            for j in 0..<length {
                let row = base + j * inner
                if operation == .max {
                    for i in start..<end { destination[i] = Swift.max(destination[i], row[i]) }
                } else {
                    for i in start..<end { destination[i] += row[i] }
                }
            }
            if operation == .mean {
                let scale = 1 / Float(length)
                for i in start..<end { destination[i] *= scale }
            }
        }
    }
}
