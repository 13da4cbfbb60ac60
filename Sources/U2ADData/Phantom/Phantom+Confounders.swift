import Foundation
import U2ADRandom

// The confounders of a clinical scan: partial volume at the cord border, CSF flow, k-space truncation with
// band-limited Rician noise, and cord-label errors.

extension Phantom.Builder {
    /// Draws one patient's confounders; flow artefacts lie between the foramen magnum and the bottom of C5.
    func drawConfounders(_ options: PhantomConfounders, rng: inout RandomStream) -> DrawnConfounders {
        let pixelMM = 200 / Double(n)
        func draw(_ range: ClosedRange<Double>) -> Double { rng.uniform(range.lowerBound, range.upperBound) }
        let thickness = draw(options.sliceThickness) / pixelMM
        let offset = rng.uniform(-options.sliceOffset, options.sliceOffset) / pixelMM
        let ratio = draw(options.cordWidthRatio)
        let top = foramen
        let bottom = levels.count > 3 ? levels[3].discBottom : Double(n) * 0.6
        let scale = Double(n) / 256
        var flows: [FlowArtefact] = []
        for _ in 0..<rng.int(in: options.flowVoids) {
            flows.append(FlowArtefact(along: rng.uniform(top, bottom), anterior: rng.uniform() < 0.7,
                                      semiAxisAlong: rng.uniform(4, 14) * scale, signalFactor: 1 - draw(options.flowVoidDepth)))
        }
        if rng.uniform() < options.flowEnhancementProbability {
            flows.append(FlowArtefact(along: rng.uniform(top, bottom), anterior: rng.uniform() < 0.5,
                                      semiAxisAlong: rng.uniform(3, 8) * scale, signalFactor: draw(options.flowEnhancementGain)))
        }
        let spread = log(max(options.noiseSpread, 1))
        var maskErrors: [CordMaskErrorRun] = []
        var row = 0
        while row < n {
            let length = max(Int((Double(rng.int(in: options.maskErrorRun)) * scale).rounded()), 1)
            if rng.uniform() < options.maskErrorProbability {
                let kind = CordMaskError.allCases[rng.below(CordMaskError.allCases.count)]
                maskErrors.append(CordMaskErrorRun(rows: row..<min(row + length, n), kind: kind))
            }
            row += length
        }
        return DrawnConfounders(sliceThickness: thickness, sliceOffset: offset, cordWidthRatio: ratio, flowArtefacts: flows,
                                bandwidthAcross: draw(options.bandwidthAcross), bandwidthAlong: draw(options.bandwidthAlong),
                                cordHeterogeneity: options.cordHeterogeneity,
                                noiseFactor: exp(rng.uniform(-spread, spread)), maskErrors: maskErrors)
    }

    // MARK: cord signal and partial volume

    /// The noise-free cord signal at pixel (row, col).
    func cordSignal(row: Double, col: Double) -> Double {
        let h = confounders.cordHeterogeneity
        return an.cordSignal * (1 - h + 2 * h * texCoarse.sample(row, col)) * an.brightness
    }

    /// Share of the slice that is cord at `delta` pixels across from the cord's centre line, for a cord of
    /// anterior-posterior half-width `half`: the overlap of the slab (thickness, offset) with the cord's elliptical
    /// cross-section, averaged over four sub-samples across the pixel.
    func cordFraction(_ delta: Double, half: Double) -> Double {
        var sum = 0.0
        for k in 0..<4 { sum += slabCordFraction(delta + (Double(k) - 1.5) * 0.25, half: half) }
        return sum / 4
    }

    private func slabCordFraction(_ delta: Double, half: Double) -> Double {
        let q = delta / half
        guard abs(q) < 1 else { return 0 }
        let w = half * confounders.cordWidthRatio * (1 - q * q).squareRoot()
        let t = confounders.sliceThickness, x0 = confounders.sliceOffset
        if t <= 0 { return abs(x0) < w ? 1 : 0 }
        return max(min(x0 + t / 2, w) - max(x0 - t / 2, -w), 0) / t
    }

    /// Distance from the cord's centre line to where the cord fraction falls to 0.5 (the labelled half-width).
    func labelledCordHalf(_ half: Double) -> Double {
        var lo = 0.0, hi = half + 1
        for _ in 0..<30 {
            let mid = (lo + hi) / 2
            if cordFraction(mid, half: half) >= 0.5 { lo = mid } else { hi = mid }
        }
        return lo
    }

    // MARK: CSF flow

    /// Factor on the CSF signal at (s, d) from the flow artefacts; `texture` in [0, 1] roughens their outline.
    func flowFactor(_ s: Double, _ d: Double, canal can: (anterior: Double, posterior: Double, cordHalf: Double),
                    texture: Double) -> Double {
        var factor = 1.0
        for flow in confounders.flowArtefacts where abs(s - flow.along) < flow.semiAxisAlong + 3 {
            let cordEdge = flow.anterior ? an.cordShift - can.cordHalf : an.cordShift + can.cordHalf
            let wall = flow.anterior ? can.anterior : can.posterior
            let gapHalf = max(abs(cordEdge - wall) / 2 + 1, 1)
            let w = CordLesion.ellipseWeight(along: s - flow.along, across: d - (cordEdge + wall) / 2,
                                             semiAxes: (flow.semiAxisAlong, gapHalf), edgeWidth: 4)
            factor *= 1 + (flow.signalFactor - 1) * min(w * (0.6 + 0.8 * texture), 1)
        }
        return factor
    }

    // MARK: acquisition

    /// Band-limited complex acquisition: complex Gaussian noise added to `signal`, both filtered by the truncated-sinc
    /// kernels of the drawn bandwidths (Gibbs ringing, correlated noise), then the magnitude (Rician). `sigma` is the
    /// per-pixel noise standard deviation after filtering.
    func acquire(_ signal: [Double], sigma: Double, rng: inout RandomStream) -> [Double] {
        let across = Self.truncationKernel(bandwidth: confounders.bandwidthAcross)
        let along = Self.truncationKernel(bandwidth: confounders.bandwidthAlong)
        var real = signal
        var imaginary = [Double](repeating: 0, count: signal.count)
        if sigma > 0 {
            let gain = { (k: [Double]) in k.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            let raw = sigma / (gain(across) * gain(along))
            for i in 0..<real.count {
                real[i] += raw * rng.normal()
                imaginary[i] = raw * rng.normal()
            }
        }
        real = filtered(real, across: across, along: along)
        imaginary = filtered(imaginary, across: across, along: along)
        return zip(real, imaginary).map { ($0 * $0 + $1 * $1).squareRoot() }
    }

    /// `bandwidth * sinc(bandwidth * k)` for |k| <= 12, scaled to sum 1; `[1]` at full bandwidth.
    static func truncationKernel(bandwidth: Double) -> [Double] {
        guard bandwidth < 1 else { return [1] }
        let reach = 12
        let taps = (-reach...reach).map { k -> Double in
            let x = Double.pi * bandwidth * Double(k)
            return k == 0 ? bandwidth : bandwidth * sin(x) / x
        }
        let total = taps.reduce(0, +)
        return taps.map { $0 / total }
    }

    /// Separable convolution, `across` along each row (columns) then `along` down each column, edges replicated.
    private func filtered(_ x: [Double], across: [Double], along: [Double]) -> [Double] {
        func pass(_ input: [Double], _ kernel: [Double], step: Int, lineStep: Int) -> [Double] {
            guard kernel.count > 1 else { return input }
            let reach = kernel.count / 2, size = n
            var out = input
            input.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    kernel.withUnsafeBufferPointer { k in
                        for line in 0..<size {
                            let base = line * lineStep
                            for i in 0..<size {
                                var acc = 0.0
                                for t in 0..<k.count {
                                    let j = min(max(i + t - reach, 0), size - 1)
                                    acc += k[t] * src[base + j * step]
                                }
                                dst[base + i * step] = acc
                            }
                        }
                    }
                }
            }
            return out
        }
        return pass(pass(x, across, step: 1, lineStep: n), along, step: n, lineStep: 1)
    }

    // MARK: cord label errors

    /// `labels` (row-major, true labels) with the drawn cord-label errors applied across the cord (columns). Cord
    /// pixels only trade places with CSF pixels; lesion pixels (6) count as cord and keep their label.
    func labelsWithMaskErrors(_ labels: [Float]) -> [Float] {
        var out = labels
        func label(_ r: Int, _ c: Int) -> Float { c >= 0 && c < n ? labels[r * n + c] : 0 }
        func isCord(_ l: Float) -> Bool { l == 3 || l == 6 }
        for run in confounders.maskErrors {
            for r in run.rows {
                for c in 0..<n {
                    let here = labels[r * n + c]
                    guard here == 3 || here == 4 else { continue }
                    let left = label(r, c - 1), right = label(r, c + 1)
                    let cord: Bool
                    switch run.kind {
                    case .dilated: cord = here == 3 || isCord(left) || isCord(right)
                    case .eroded: cord = here == 3 && left != 4 && right != 4
                    case .shiftedAnterior: cord = isCord(right)
                    case .shiftedPosterior: cord = isCord(left)
                    }
                    out[r * n + c] = cord ? 3 : 4
                }
            }
        }
        return out
    }
}
