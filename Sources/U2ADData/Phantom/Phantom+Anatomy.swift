import Foundation
import U2ADRandom

// The patient: drawn proportions and signals, vertebral levels, the curved column axis and its geometry helpers.

extension Phantom {
    // MARK: anatomy

    static func drawAnatomy(_ rng: inout RandomStream, options: PhantomOptions) -> PhantomAnatomy {
        let v = max(0, options.variability)
        let scale = Double(options.size) / 256
        // Mean +- half-range * variability.
        func draw(_ mean: Double, _ half: Double) -> Double { mean + half * v * (2 * rng.uniform() - 1) }
        let cord = draw(4.3, 0.6)
        return PhantomAnatomy(
            canalCenterCol: draw(134, 10) * scale,
            lordosis: draw(8, 6) * scale,
            tilt: draw(0, 0.1),
            cordHalfWidth: cord * scale,
            canalHalfWidth: (cord + draw(3.6, 1.0)) * scale,
            cordShift: draw(0, 0.8) * scale,
            bodyDepth: draw(21, 2.5) * scale,
            bodyHeight: draw(19, 1.6) * scale,
            discHeight: draw(6, 1) * scale,
            c2Top: draw(46, 8) * scale,
            brightness: draw(1, 0.15),
            cordSignal: draw(0.48, 0.06),
            csfSignal: draw(0.95, 0.05),
            marrowSignal: draw(0.42, 0.06),
            fatSignal: draw(0.8, 0.08),
            muscleSignal: draw(0.19, 0.04),
            noiseSigma: options.noiseSigma * draw(1, 0.35),
            biasStrength: options.biasStrength * draw(1, 0.5))
    }

    /// Smooth random field: bilinear interpolation (smoothstep-weighted) of a random lattice.
    struct ValueNoise {
        var gridRows: Int, gridCols: Int
        var cellRows: Double, cellCols: Double
        var values: [Double]

        init(rows: Int, cols: Int, cellRows: Double, cellCols: Double, rng: inout RandomStream) {
            self.cellRows = cellRows
            self.cellCols = cellCols
            gridRows = Int(Double(rows) / cellRows) + 3
            gridCols = Int(Double(cols) / cellCols) + 3
            values = (0..<(gridRows * gridCols)).map { _ in rng.uniform() }
        }

        /// Value in [0, 1] at pixel (r, c).
        func sample(_ r: Double, _ c: Double) -> Double {
            let y = min(max(r / cellRows + 1, 0), Double(gridRows - 2) - 1e-9)
            let x = min(max(c / cellCols + 1, 0), Double(gridCols - 2) - 1e-9)
            let i = Int(y), j = Int(x)
            var fy = y - Double(i), fx = x - Double(j)
            fy = fy * fy * (3 - 2 * fy)
            fx = fx * fx * (3 - 2 * fx)
            let a = values[i * gridCols + j], b = values[i * gridCols + j + 1]
            let c0 = values[(i + 1) * gridCols + j], d = values[(i + 1) * gridCols + j + 1]
            return (a * (1 - fx) + b * fx) * (1 - fy) + (c0 * (1 - fx) + d * fx) * fy
        }
    }

    /// One vertebral level along the column axis (rows of the axis-projected coordinate `s`).
    struct Level {
        var top: Double, bottom: Double          // body extent along s
        var discBottom: Double                   // end of the disc below
        var discSignal: Double
        var discBulge: Double                    // px beyond the body outline
        var spinousLength: Double
        var isC2: Bool
    }

    /// Pixel painter: alpha-composited signal and a hard label (label where sd < 0).
    struct Pixel {
        var value: Double = 0
        var label: Int = 0
        @inline(__always)
        mutating func paint(_ sd: Double, _ v: @autoclosure () -> Double, label l: Int? = nil) {
            let a = min(max(0.5 - sd, 0), 1)
            if a <= 0 { return }
            value = value * (1 - a) + v() * a
            if sd < 0, let l { label = l }
        }
    }

    struct Builder {
        let an: PhantomAnatomy
        let n: Int
        var levels: [Level] = []
        var densTop: Double = 0
        var foramen: Double = 0
        var skinPosterior: Double = 0
        var skinAnterior: Double = 0
        var prevertebral: Double = 0
        var airway: Double = 0
        var subcutaneousFat: Double = 0
        var posteriorCSF: Double = 0
        var texCoarse: ValueNoise
        var texFine: ValueNoise
        var texMuscle: ValueNoise
        var texSkin: ValueNoise
        var biasCoeffs: [Double] = []
        var lesions: [LesionPlacement] = []
        var confounders = DrawnConfounders.none
        // Per-row axis geometry.
        var center: [Double] = []
        var cosT: [Double] = []
        var sinT: [Double] = []
        /// The bent axis and the masses of a spondylosis phantom (see Phantom+Spondylosis.swift).
        var spondylosis: SpondylosisLayout? = nil

        init(anatomy: PhantomAnatomy, size: Int, rng: inout RandomStream) {
            an = anatomy
            n = size
            let scale = Double(size) / 256
            texCoarse = ValueNoise(rows: size, cols: size, cellRows: 14 * scale, cellCols: 14 * scale, rng: &rng)
            texFine = ValueNoise(rows: size, cols: size, cellRows: 3 * scale, cellCols: 3 * scale, rng: &rng)
            texMuscle = ValueNoise(rows: size, cols: size, cellRows: 16 * scale, cellCols: 3 * scale, rng: &rng)
            texSkin = ValueNoise(rows: size, cols: size, cellRows: 40 * scale, cellCols: 40 * scale, rng: &rng)
            biasCoeffs = (0..<6).map { _ in 2 * rng.uniform() - 1 }
            skinPosterior = an.canalHalfWidth + rng.uniform(80, 96) * scale
            skinAnterior = -(an.canalHalfWidth + an.bodyDepth + rng.uniform(55, 75) * scale)
            prevertebral = rng.uniform(3, 6) * scale
            airway = rng.uniform(9, 14) * scale
            subcutaneousFat = rng.uniform(6, 12) * scale
            posteriorCSF = rng.uniform(0.3, 1.5) * scale

            // Levels: C2 (taller, with dens), C3..T1, then whatever fits below.
            var top = an.c2Top
            var k = 0
            while top < Double(size) + 30 * scale {
                let isC2 = k == 0
                let h = an.bodyHeight * (isC2 ? 1.3 : rng.uniform(0.93, 1.07))
                let degenerate = rng.uniform() < 0.25
                let disc = an.discHeight * (degenerate ? rng.uniform(0.6, 0.8) : rng.uniform(0.85, 1.15))
                let signal = degenerate ? rng.uniform(0.22, 0.35) : rng.uniform(0.55, 0.8)
                let maxBulge = max(0, an.canalHalfWidth - an.cordHalfWidth - abs(an.cordShift) - 1.2 * scale)
                let bulge = min(maxBulge, (degenerate ? rng.uniform(0.8, 2.2) : rng.uniform(0.2, 1.0)) * scale)
                let spinous: Double
                switch k {
                case 0: spinous = 30
                case 5: spinous = 34      // C7, vertebra prominens
                case 6: spinous = 31
                default: spinous = rng.uniform(20, 25)
                }
                levels.append(Level(top: top, bottom: top + h, discBottom: top + h + disc, discSignal: signal,
                                    discBulge: bulge, spinousLength: spinous * scale, isC2: isC2))
                top += h + disc
                k += 1
            }
            densTop = an.c2Top - 0.75 * an.bodyHeight
            foramen = an.c2Top - 0.9 * an.bodyHeight - 6 * scale

            // Axis: lordosis between the C2 top and the T1 bottom, plus a tilt.
            let rTop = an.c2Top
            let rBot = levels.count > 6 ? levels[6].bottom : Double(size)
            let len = max(rBot - rTop, 1)
            let tanTilt = tan(an.tilt)
            for r in 0..<size {
                let y = Double(r)
                let u = (y - rTop) / len
                let c = an.canalCenterCol - an.lordosis * sin(Double.pi * u) + tanTilt * (y - Double(size) / 2)
                let dc = -an.lordosis * Double.pi / len * cos(Double.pi * u) + tanTilt
                let th = atan(dc)
                center.append(c)
                cosT.append(cos(th))
                sinT.append(sin(th))
            }
        }

        // MARK: geometry helpers (s along the axis in rows, d across in pixels, + posterior)

        func axisCoords(_ r: Int, _ c: Int) -> (s: Double, d: Double) {
            if let spondylosis { return spondylosis.curve.coordinates(SIMD2(Double(r), Double(c))) }
            let off = Double(c) - center[r]
            return (Double(r) + off * sinT[r] * cosT[r], off * cosT[r])
        }

        func pixel(fromAxis s: Double, _ d: Double) -> (row: Double, col: Double) {
            if let spondylosis {
                let p = spondylosis.curve.point(s: s, d: d)
                return (p.x, p.y)
            }
            // Inverse of axisCoords, solved by a few fixed-point steps on the row.
            var r = s
            for _ in 0..<4 {
                let ri = min(max(Int(r.rounded()), 0), n - 1)
                let off = d / cosT[ri]
                r = s - off * sinT[ri] * cosT[ri]
            }
            let ri = min(max(Int(r.rounded()), 0), n - 1)
            return (r, center[ri] + d / cosT[ri])
        }

        static func smoothstep(_ e0: Double, _ e1: Double, _ x: Double) -> Double {
            let t = min(max((x - e0) / (e1 - e0), 0), 1)
            return t * t * (3 - 2 * t)
        }

        /// Signed distance to a rounded box centred at (cs, cd) with half sizes (hs, hd) and corner radius rad.
        static func roundedBox(_ s: Double, _ d: Double, _ cs: Double, _ cd: Double,
                               _ hs: Double, _ hd: Double, _ rad: Double) -> Double {
            let qx = abs(s - cs) - (hs - rad), qy = abs(d - cd) - (hd - rad)
            let ox = max(qx, 0), oy = max(qy, 0)
            return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0) - rad
        }

        /// Approximate signed distance to an ellipse (scaled radial distance).
        static func ellipse(_ s: Double, _ d: Double, _ cs: Double, _ cd: Double, _ rs: Double, _ rd: Double) -> Double {
            let x = (s - cs) / rs, y = (d - cd) / rd
            let rho = (x * x + y * y).squareRoot()
            return (rho - 1) * min(rs, rd)
        }

        /// Signed distance to a capsule from p0 to p1 whose radius goes from r0 to r1.
        static func capsule(_ s: Double, _ d: Double, _ s0: Double, _ d0: Double,
                            _ s1: Double, _ d1: Double, _ r0: Double, _ r1: Double) -> Double {
            let vx = s1 - s0, vy = d1 - d0
            let wx = s - s0, wy = d - d0
            let t = min(max((wx * vx + wy * vy) / (vx * vx + vy * vy), 0), 1)
            let ex = wx - t * vx, ey = wy - t * vy
            return (ex * ex + ey * ey).squareRoot() - (r0 + (r1 - r0) * t)
        }

        /// Canal (CSF space) boundaries across the axis at axial position s.
        func canal(_ s: Double) -> (anterior: Double, posterior: Double, cordHalf: Double) {
            let open = openCanal(s)
            return spondylosis?.narrowed(open, at: s) ?? open
        }

        /// The canal before spondylosis masses narrow it.
        func openCanal(_ s: Double) -> (anterior: Double, posterior: Double, cordHalf: Double) {
            let scale = Double(n) / 256
            var ant = -an.canalHalfWidth
            var post = an.canalHalfWidth + posteriorCSF
            for lv in levels {
                let mid = (lv.bottom + lv.discBottom) / 2
                let half = max((lv.discBottom - lv.bottom) / 2 + 2.5 * scale, 1)
                let t = (s - mid) / half
                if abs(t) < 1 {
                    let bump = 0.5 * (1 + cos(Double.pi * t))
                    ant += lv.discBulge * bump
                    post -= 0.35 * lv.discBulge * bump     // ligamentum flavum infolding
                }
            }
            // Brainstem and cisterns widen above the foramen magnum.
            let up = Builder.smoothstep(foramen + 6 * scale, foramen - 40 * scale, s)
            let cordHalf = an.cordHalfWidth * (1 + 0.75 * up)
            ant -= 4 * scale * up + (cordHalf - an.cordHalfWidth)
            post += 9 * scale * up + (cordHalf - an.cordHalfWidth)
            return (ant, post, cordHalf)
        }
    }
}
