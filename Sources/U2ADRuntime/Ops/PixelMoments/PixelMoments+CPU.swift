extension CPUBackend: PixelMomentsOps {
    /// Runs in parallel (they hold different slots); within a run, pass by pass and patch by patch.
    public func accumulatePixelMoments(_ reconstructions: Buffer, table: Buffer, runs: Int, into moments: Buffer, shape: PixelMomentsShape) {
        let values = floats(reconstructions), entries = ints(table), storage = (moments.storage as! HostStorage).pointer
        let size = shape.size, patch = shape.patch, grid = size / patch, area = patch * patch, pixels = shape.pixels
        let rowsPerPass = 1 + shape.patchCount, words = shape.sampledWords
        let sampled = UnsafeRawPointer(entries + 3 * runs).assumingMemoryBound(to: UInt32.self)
        parallelFor(runs) { run in
            let slot = Int(entries[3 * run]), first = Int(entries[3 * run + 1]), end = Int(entries[3 * run + 2])
            let base = storage + 4 * slot * shape.slotWords
            let mean = base.assumingMemoryBound(to: Double.self), m2 = (base + 8 * pixels).assumingMemoryBound(to: Double.self)
            let count = (base + 16 * pixels).assumingMemoryBound(to: Int32.self)
            for b in first..<end {
                for word in 0..<words {
                    var bits = sampled[b * words + word]
                    while bits != 0 {
                        let l = word * 32 + bits.trailingZeroBitCount
                        bits &= bits - 1
                        let row = values + ((b * rowsPerPass) + 1 + l) * area
                        let corner = (l / grid) * patch * size + (l % grid) * patch
                        for k in 0..<area {
                            let pixel = corner + (k / patch) * size + k % patch
                            let value = Double(row[k])
                            count[pixel] += 1
                            let delta = value - mean[pixel]
                            mean[pixel] += delta / Double(count[pixel])
                            m2[pixel] += delta * (value - mean[pixel])
                        }
                    }
                }
            }
        }
    }

    public func finishPixelMoments(_ moments: Buffer, slot: Int, images: Buffer, regions: Buffer, into maps: Buffer, shape: PixelMomentsShape) {
        let pixels = shape.pixels, base = (moments.storage as! HostStorage).pointer + 4 * slot * shape.slotWords
        let mean = base.assumingMemoryBound(to: Double.self), m2 = (base + 8 * pixels).assumingMemoryBound(to: Double.self)
        let count = (base + 16 * pixels).assumingMemoryBound(to: Int32.self)
        let image = floats(images) + slot * pixels, out = floats(maps)
        let region = UnsafeRawPointer(ints(regions) + slot * shape.regionWords).assumingMemoryBound(to: UInt32.self)
        for pixel in 0..<pixels {
            let inside = (region[pixel / 32] >> UInt32(pixel % 32)) & 1 != 0
            var reconstruction = image[pixel], epistemic: Float = 0
            if inside && count[pixel] > 0 {
                reconstruction = Float(mean[pixel])
                epistemic = Float(m2[pixel] / Double(count[pixel]))
            }
            out[pixel] = reconstruction
            out[pixels + pixel] = epistemic
            out[2 * pixels + pixel] = inside ? abs(image[pixel] - reconstruction) : 0
        }
    }
}
