extension CPUBackend: DropoutOps {
    public func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec) {
        let xp = floats(x), yp = floats(y)
        guard spec.isActive else {
            if xp != yp { yp.update(from: xp, count: count) }
            return
        }
        let keepScale = 1 / (1 - spec.rate)
        parallelRanges(count, grain: 1 << 14) { range in
            for i in range {
                let keep = spec.keeps(pass: spec.firstPass + UInt32(i / rowLength), element: UInt32(i % rowLength))
                yp[i] = keep ? xp[i] * keepScale : 0
            }
        }
    }
}
