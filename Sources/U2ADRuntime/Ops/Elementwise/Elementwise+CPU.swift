extension CPUBackend: ElementwiseOps {
    public func fill(_ x: Buffer, with value: Float, count: Int) {
        floats(x).update(repeating: value, count: count)
    }

    public func copy(_ source: Buffer, into destination: Buffer, count: Int) {
        floats(destination).update(from: floats(source), count: count)
    }

    public func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int) {
        let ap = floats(a), bp = floats(b), op = floats(out)
        parallelRanges(count, grain: 1 << 16) { range in
            for i in range { op[i] = ap[i] + bp[i] }
        }
    }

    public func scale(_ x: Buffer, by alpha: Float, count: Int) {
        let xp = floats(x)
        parallelRanges(count, grain: 1 << 16) { range in
            for i in range { xp[i] *= alpha }
        }
    }
}
