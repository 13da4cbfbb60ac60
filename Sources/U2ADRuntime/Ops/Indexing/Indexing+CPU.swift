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

    public func gatherRows(_ source: Buffer, rows: Buffer, into out: Buffer, count: Int, width: Int, fill: Buffer?, table: Buffer?, period: Int) {
        let sp = floats(source), ip = ints(rows), op = floats(out)
        let fp = fill.map { floats($0) }, tp = table.map { floats($0) }
        parallelRanges(count, grain: max(1, 16384 / max(width, 1))) { range in
            for r in range {
                let destination = op + r * width, j = Int(ip[r])
                if j >= 0 {
                    destination.update(from: sp + j * width, count: width)
                } else if let fp {
                    destination.update(from: fp, count: width)
                } else {
                    destination.update(repeating: 0, count: width)
                }
                if let tp {
                    let t = tp + (r % period) * width
                    for c in 0..<width { destination[c] += t[c] }
                }
            }
        }
    }

    public func buildMaskRows(order: Buffer, batch: Int, patches: Int, visible: Int, into rows: MaskRows) {
        let order = ints(order), encoder = ints(rows.encoder), decoder = ints(rows.decoder)
        let backward = rows.hasBackward
        let patchTokens = rows.patchTokens.map { ints($0) }, cls = rows.cls.map { ints($0) }
        let embedded = rows.embedded.map { ints($0) }, maskTokens = rows.maskTokens.map { ints($0) }
        for b in 0..<batch {
            let encoderBase = b * (1 + visible), decoderBase = b * (1 + patches)
            encoder[encoderBase] = -1
            decoder[decoderBase] = Int32(encoderBase)
            if backward {
                cls![b] = Int32(encoderBase)
                embedded![encoderBase] = Int32(decoderBase)
            }
            for j in 0..<patches {
                let l = Int(order[b * patches + j]), isVisible = j < visible
                if isVisible { encoder[encoderBase + 1 + j] = Int32(b * patches + l) }
                decoder[decoderBase + 1 + l] = isVisible ? Int32(encoderBase + 1 + j) : -1
                guard backward else { continue }
                patchTokens![b * patches + l] = isVisible ? Int32(encoderBase + 1 + j) : -1
                if isVisible {
                    embedded![encoderBase + 1 + j] = Int32(decoderBase + 1 + l)
                } else {
                    maskTokens![b * (patches - visible) + j - visible] = Int32(decoderBase + 1 + l)
                }
            }
        }
    }

    /// Whole rows of `patch` pixels at a time, one task per (image, patch row of the grid).
    public func patchify(_ images: Buffer, slots: Buffer, into patches: Buffer, batch: Int, size: Int, patch: Int) {
        let source = floats(images), slot = ints(slots), out = floats(patches)
        let grid = size / patch, area = patch * patch
        parallelFor(batch * grid) { task in
            let b = task / grid, r = task % grid
            let image = source + Int(slot[b]) * size * size, destination = out + b * size * size
            for c in 0..<grid {
                for py in 0..<patch {
                    (destination + (r * grid + c) * area + py * patch).update(from: image + (r * patch + py) * size + c * patch, count: patch)
                }
            }
        }
    }
}
