extension CPUBackend: IndexingOps {
    public func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) {
        let sp = floats(source), ip = ints(index), op = floats(out)
        let fp = fill.map { floats($0) }
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range {
                let j = Int(ip[i])
                op[i] = j >= 0 ? sp[j] : (fp.map { $0[i % fillPeriod] } ?? 0)
            }
        }
    }

    public func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) {
        let sp = floats(source), ip = ints(index), op = floats(out)
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range where ip[i] >= 0 { op[Int(ip[i])] += sp[i] }
        }
    }

    public func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) {
        let xp = floats(x), tp = floats(table), op = floats(out)
        parallelRanges(rows, grain: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let t = tp + (r % period) * cols
                for c in 0..<cols { op[r * cols + c] = xp[r * cols + c] + t[c] }
            }
        }
    }
}
