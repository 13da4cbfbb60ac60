import Foundation

// MARK: - Random numbers

/// SplitMix64 pseudo-random generator: tiny, seedable, and the same integer stream on every
/// platform (no Foundation randomness).
public struct PhantomRNG: Sendable, Equatable {
    private var generator: SplitMix64
    private var spare: Double?

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
        spare = nil
    }

    public var state: UInt64 { generator.state }

    /// Next 64 random bits.
    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * uniform()
    }

    /// Uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let n = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % n)
    }

    /// Standard normal (Marsaglia polar method).
    public mutating func normal() -> Double {
        if let s = spare {
            spare = nil
            return s
        }
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let q = u * u + v * v
            if q > 0 && q < 1 {
                let f = (-2 * log(q) / q).squareRoot()
                spare = v * f
                return u * f
            }
        }
    }

    /// A generator for sub-stream `index` of `seed` (independent of how much `self` was used).
    public static func derive(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var r = PhantomRNG(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        _ = r.next()
        return r.next()
    }
}

// MARK: - Options and results

/// One T2-hyperintense cord lesion: an ellipse aligned with the cord axis.
public struct PhantomLesion: Sendable, Equatable {
    /// Semi-axis along the cord, in pixels.
    public var semiAxisAlong: Double
    /// Semi-axis across the cord, in pixels (limited to fit inside the cord).
    public var semiAxisAcross: Double
    /// Relative brightening: lesion core = cord signal * (1 + contrast).
    public var contrast: Double
    /// Position along the cervical column, 0 = top of C2, 1 = bottom of T1; `nil` = random in 0.1...0.9.
    public var position: Double?
    /// Centre offset across the cord in units of the cord half-width (-1...1); `nil` = random in -0.3...0.3.
    public var offset: Double?

    public init(semiAxisAlong: Double, semiAxisAcross: Double, contrast: Double,
                position: Double? = nil, offset: Double? = nil) {
        self.semiAxisAlong = semiAxisAlong
        self.semiAxisAcross = semiAxisAcross
        self.contrast = contrast
        self.position = position
        self.offset = offset
    }

    /// An ellipse of about `area` pixels, `aspect` times longer along the cord than across.
    public init(area: Double, aspect: Double = 2, contrast: Double,
                position: Double? = nil, offset: Double? = nil) {
        let a = (area * aspect / Double.pi).squareRoot()
        self.init(semiAxisAlong: a, semiAxisAcross: a / aspect, contrast: contrast,
                  position: position, offset: offset)
    }
}

/// A lesion as placed in a phantom.
public struct PlacedLesion: Sendable, Equatable {
    public var lesion: PhantomLesion
    /// Centre (row, col) in the slice.
    public var centerRow: Double
    public var centerCol: Double
    /// Semi-axes actually used (across may be reduced to fit in the cord, along enlarged to keep the area).
    public var semiAxisAlong: Double
    public var semiAxisAcross: Double
    /// Pixels labelled 6 for this lesion.
    public var pixelCount: Int
}

/// Settings of the synthetic spine phantom.
public struct PhantomOptions: Sendable, Equatable {
    /// Side of the square slice.
    public var size: Int = 256
    /// Rician noise standard deviation relative to the CSF signal (about 1), before normalisation.
    public var noiseSigma: Double = 0.03
    /// Peak relative amplitude of the smooth multiplicative bias field.
    public var biasStrength: Double = 0.15
    /// Scale of the between-patient anatomical and contrast variation (0 = the mean patient).
    public var variability: Double = 1
    /// Lesions to place (empty = healthy).
    public var lesions: [PhantomLesion] = []
    /// Percentiles and ROI settings (the ROI channel is `Preprocessing.roiMask` of the labels).
    public var preprocessing = PreprocessingOptions()
    /// Clip to percentiles and min-max scale to [0, 1] like the preprocessing; otherwise the image
    /// is only clamped to [0, 1].
    public var normalize: Bool = true

    public init() {}
}

/// Parameters drawn for one synthetic patient (pixels unless stated).
public struct PhantomAnatomy: Sendable, Equatable {
    public var canalCenterCol: Double
    /// Peak anterior displacement of the mid-cervical column (lordosis).
    public var lordosis: Double
    /// In-plane rotation, radians (positive: lower column more posterior).
    public var tilt: Double
    public var cordHalfWidth: Double
    public var canalHalfWidth: Double
    /// Cord centre offset inside the canal (positive posterior).
    public var cordShift: Double
    public var bodyDepth: Double
    public var bodyHeight: Double
    public var discHeight: Double
    /// Row of the top of the C2 body (below the dens).
    public var c2Top: Double
    /// Global signal scale.
    public var brightness: Double
    public var cordSignal: Double
    public var csfSignal: Double
    public var marrowSignal: Double
    public var fatSignal: Double
    public var muscleSignal: Double
    public var noiseSigma: Double
    public var biasStrength: Double
}

/// One phantom slice with its ground truth.
public struct PhantomSample: Sendable, Equatable {
    /// The slice in the reference layout (image [0, 1], ROI, labels 0/1/2/3/4/6).
    public var slice: PreprocessedSlice
    public var seed: UInt64
    public var anatomy: PhantomAnatomy
    public var lesions: [PlacedLesion]
    /// The noise-free, bias-free signal before normalisation (same units as the anatomy signals).
    public var cleanSignal: Image2D

    public var isLesioned: Bool { !lesions.isEmpty }
    /// Total pixels labelled 6.
    public var lesionPixelCount: Int { slice.labels.pixels.reduce(0) { $0 + ($1 == 6 ? 1 : 0) } }
}

/// Ranges for random lesions in a cohort.
public struct PhantomLesionRanges: Sendable, Equatable {
    public var count: ClosedRange<Int> = 1...2
    /// Area in pixels.
    public var area: ClosedRange<Double> = 12...60
    public var aspect: ClosedRange<Double> = 1.5...3
    public var contrast: ClosedRange<Double> = 0.3...0.8
    public init() {}
}

// MARK: - Generator

/// Seeded generator of 256x256 sagittal cervical-spine-like T2 slices in the reference layout
/// (see docs/phantom.md). Anterior is left, superior is top. Label legend: 0 background,
/// 1 disc, 2 vertebral body, 3 cord, 4 CSF, 6 T2 hyperintensity.
///
/// The anatomy, the noise and the lesions use separate random streams, so the same seed gives
/// the same patient with and without lesions.
public enum Phantom {

    /// Generates one slice.
    public static func generate(seed: UInt64, options: PhantomOptions = PhantomOptions()) -> PhantomSample {
        var rng = PhantomRNG(seed: PhantomRNG.derive(seed, 1))
        let anatomy = drawAnatomy(&rng, options: options)
        var builder = Builder(anatomy: anatomy, size: options.size, rng: &rng)
        var lesionRng = PhantomRNG(seed: PhantomRNG.derive(seed, 2))
        builder.placeLesions(options.lesions, rng: &lesionRng)
        var noiseRng = PhantomRNG(seed: PhantomRNG.derive(seed, 3))
        return builder.render(seed: seed, options: options, noiseRng: &noiseRng)
    }

    /// `healthy` lesion-free slices then `lesioned` slices with random lesions, each a different
    /// patient derived from `seed`.
    public static func cohort(healthy: Int, lesioned: Int, seed: UInt64,
                              options: PhantomOptions = PhantomOptions(),
                              lesionRanges: PhantomLesionRanges = PhantomLesionRanges()) -> [PhantomSample] {
        var out: [PhantomSample] = []
        out.reserveCapacity(healthy + lesioned)
        for i in 0..<(healthy + lesioned) {
            let s = PhantomRNG.derive(seed, UInt64(1000 + i))
            var opt = options
            opt.lesions = []
            if i >= healthy {
                var r = PhantomRNG(seed: PhantomRNG.derive(s, 77))
                let n = r.int(in: lesionRanges.count)
                for _ in 0..<n {
                    opt.lesions.append(PhantomLesion(
                        area: r.uniform(lesionRanges.area.lowerBound, lesionRanges.area.upperBound),
                        aspect: r.uniform(lesionRanges.aspect.lowerBound, lesionRanges.aspect.upperBound),
                        contrast: r.uniform(lesionRanges.contrast.lowerBound, lesionRanges.contrast.upperBound)))
                }
            }
            out.append(generate(seed: s, options: opt))
        }
        return out
    }

    // MARK: anatomy

    static func drawAnatomy(_ rng: inout PhantomRNG, options: PhantomOptions) -> PhantomAnatomy {
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

        init(rows: Int, cols: Int, cellRows: Double, cellCols: Double, rng: inout PhantomRNG) {
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
        var lesions: [(center: (s: Double, d: Double), a: Double, b: Double, contrast: Double, spec: PhantomLesion)] = []
        // Per-row axis geometry.
        var center: [Double] = []
        var cosT: [Double] = []
        var sinT: [Double] = []

        init(anatomy: PhantomAnatomy, size: Int, rng: inout PhantomRNG) {
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
            let off = Double(c) - center[r]
            return (Double(r) + off * sinT[r] * cosT[r], off * cosT[r])
        }

        func pixel(fromAxis s: Double, _ d: Double) -> (row: Double, col: Double) {
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

        // MARK: lesions

        mutating func placeLesions(_ specs: [PhantomLesion], rng: inout PhantomRNG) {
            guard !specs.isEmpty, let first = levels.first else { return }
            let sTop = first.top
            let sBot = levels.count > 6 ? levels[6].bottom : min(Double(n) - 10, levels.last!.bottom)
            for spec in specs {
                let pos = spec.position ?? rng.uniform(0.1, 0.9)
                let off = spec.offset ?? rng.uniform(-0.3, 0.3)
                let s = sTop + (sBot - sTop) * min(max(pos, 0), 1)
                let half = canal(s).cordHalf
                let dc = an.cordShift + min(max(off, -1), 1) * half * 0.5
                let room = max(half - abs(dc - an.cordShift) - 0.3, 0.6)
                var b = max(spec.semiAxisAcross, 0.5)
                var a = max(spec.semiAxisAlong, 0.5)
                if b > room {
                    a *= b / room        // keep the area
                    b = room
                }
                lesions.append(((s, dc), a, b, spec.contrast, spec))
            }
        }

        // MARK: rendering

        func render(seed: UInt64, options: PhantomOptions, noiseRng: inout PhantomRNG) -> PhantomSample {
            let scale = Double(n) / 256
            var signal = [Double](repeating: 0, count: n * n)
            var labels = [Float](repeating: 0, count: n * n)
            var lesionCounts = [Int](repeating: 0, count: lesions.count)
            let boneRim = 0.1, ligament = 0.09, air = 0.015
            let brain = 0.45 * an.brightness

            for r in 0..<n {
                for c in 0..<n {
                    let (s, d) = axisCoords(r, c)
                    let rr = Double(r), cc = Double(c)
                    var px = Pixel()

                    // Body outline and soft tissue.
                    let wobble = 6 * scale * (texSkin.sample(rr, cc) - 0.5)
                    let post = skinPosterior + wobble + 10 * scale * sin(Double.pi * (s / Double(n)))
                    let ant = skinAnterior - wobble
                    let inBody = max(d - post, ant - d)
                    let coarse = texCoarse.sample(rr, cc)
                    let fine = texFine.sample(rr, cc)
                    if inBody < 1 {
                        let can = canal(s)
                        let bodyFront = can.anterior - 1.5 * scale - an.bodyDepth
                        // Base: anterior soft tissue / posterior muscle with fat streaks.
                        let base: Double
                        if d > can.posterior {
                            let m = texMuscle.sample(rr, cc)
                            let fatMix = 0.75 * Builder.smoothstep(0.7, 0.9, m)
                            base = an.muscleSignal * (0.8 + 0.4 * coarse) * (1 - fatMix) + an.fatSignal * 0.8 * fatMix
                        } else {
                            base = (an.muscleSignal + 0.06) * (0.8 + 0.4 * coarse)
                        }
                        px.paint(inBody, base * an.brightness)
                        // Skin line and subcutaneous fat, posterior and anterior.
                        px.paint(max(post - subcutaneousFat - d, d - post + 1.2 * scale),
                                 an.fatSignal * (0.92 + 0.16 * fine) * an.brightness)
                        px.paint(max(d - (ant + 4 * scale), ant + 1 * scale - d), an.fatSignal * 0.85 * an.brightness)
                        // Airway anterior to the prevertebral soft tissue.
                        let airPost = bodyFront - prevertebral
                        px.paint(max(d - airPost, airPost - airway - d, densTop - 25 * scale - s), air)

                        // Posterior fossa: cerebellum inside the occipital bone.
                        let cbS = foramen - 34 * scale, cbD = can.posterior + 30 * scale
                        let boneSD = Builder.ellipse(s, d, cbS, cbD, 50 * scale, 42 * scale)
                        if boneSD < 1 && d > can.posterior - 2 {
                            px.paint(boneSD, boneRim)
                            let folia = 0.06 * sin(2 * Double.pi * (s + 0.6 * d) / (4.5 * scale))
                            px.paint(Builder.ellipse(s, d, cbS, cbD, 43 * scale, 35 * scale),
                                     brain * (0.95 + folia + 0.1 * coarse))
                        }
                        // Clivus (skull base) above the dens.
                        let clivus = Builder.capsule(s, d, densTop - 4 * scale, can.anterior - 6 * scale,
                                                     densTop - 60 * scale, can.anterior - 30 * scale, 4.5 * scale, 6 * scale)
                        if clivus < 1 {
                            px.paint(clivus, boneRim)
                            px.paint(clivus + 1.5 * scale, an.marrowSignal * 0.9 * (0.9 + 0.2 * fine) * an.brightness)
                        }

                        // Discs, vertebral bodies, posterior elements.
                        if d > bodyFront - 4 * scale && d < can.anterior + 4 * scale {
                            let bodyCD = -an.canalHalfWidth - 1.5 * scale - an.bodyDepth / 2
                            for lv in levels {
                                // Disc below this body.
                                if s > lv.bottom - 3 && s < lv.discBottom + 3 {
                                    let mid = (lv.bottom + lv.discBottom) / 2
                                    let hs = (lv.discBottom - lv.bottom) / 2 + 1.5 * scale
                                    let hd = an.bodyDepth / 2 + lv.discBulge
                                    let sd = Builder.roundedBox(s, d, mid, bodyCD, hs, hd, 2 * scale)
                                    let nucleus = Builder.smoothstep(0.8, 0.3, abs(d - bodyCD) / hd)
                                    px.paint(sd, lv.discSignal * (0.55 + 0.45 * nucleus) * (0.95 + 0.1 * fine) * an.brightness,
                                             label: 1)
                                }
                                if s > lv.top - 3 && s < lv.bottom + 3 {
                                    let hs = (lv.bottom - lv.top) / 2
                                    let sd = Builder.roundedBox(s, d, (lv.top + lv.bottom) / 2, bodyCD, hs,
                                                                an.bodyDepth / 2, 3 * scale)
                                    px.paint(sd, boneRim, label: 2)
                                    px.paint(sd + 1.3 * scale,
                                             an.marrowSignal * (0.8 + 0.25 * fine + 0.15 * coarse) * an.brightness)
                                }
                                if lv.isC2 && s > densTop - 3 && s < lv.top + 3 {
                                    let hd = an.bodyDepth * 0.22
                                    let sd = Builder.roundedBox(s, d, (densTop + lv.top + 4 * scale) / 2,
                                                                bodyCD + an.bodyDepth * 0.2, (lv.top + 4 * scale - densTop) / 2,
                                                                hd, hd * 0.9)
                                    px.paint(sd, boneRim, label: 2)
                                    px.paint(sd + 1.3 * scale, an.marrowSignal * (0.85 + 0.2 * fine) * an.brightness)
                                }
                            }
                        }
                        // C1 anterior arch.
                        if let c2 = levels.first {
                            let c1s = densTop + 0.35 * (c2.top - densTop)
                            let ca = Builder.ellipse(s, d, c1s, bodyCD0 - an.bodyDepth * 0.05 - 0.5 * an.bodyDepth * 0.44 - 5 * scale,
                                                     4.5 * scale, 3.2 * scale)
                            if ca < 1 {
                                px.paint(ca, boneRim)
                                px.paint(ca + 1.2 * scale, an.marrowSignal * 0.9 * an.brightness)
                            }
                            // C1 posterior arch.
                            let cp = Builder.ellipse(s, d, c1s, an.canalHalfWidth + posteriorCSF + 9 * scale, 4.5 * scale, 6 * scale)
                            if cp < 1 {
                                px.paint(cp, boneRim)
                                px.paint(cp + 1.2 * scale, an.marrowSignal * 0.9 * an.brightness)
                            }
                        }
                        if d > can.posterior {
                            for lv in levels {
                                let s0 = lv.top + 0.35 * (lv.bottom - lv.top)
                                guard s > s0 - 12 * scale, s < s0 + lv.spinousLength * 0.8 + 12 * scale else { continue }
                                let d0 = an.canalHalfWidth + posteriorCSF + 2.5 * scale
                                let sd = Builder.capsule(s, d, s0, d0, s0 + 0.5 * lv.spinousLength, d0 + lv.spinousLength,
                                                         (lv.isC2 ? 8.5 : 7) * scale, 4.5 * scale)
                                if sd < 1 {
                                    px.paint(sd, boneRim)
                                    px.paint(sd + 1.3 * scale, an.marrowSignal * (0.8 + 0.3 * fine) * an.brightness)
                                }
                            }
                        }

                        // Dural sac: dark dura / ligaments, CSF, cord, lesions.
                        let duraSD = max(can.anterior - 1.3 * scale - d, d - can.posterior - 1.3 * scale)
                        px.paint(duraSD, ligament)
                        let csfSD = max(can.anterior - d, d - can.posterior)
                        px.paint(csfSD, an.csfSignal * (0.97 + 0.06 * fine) * an.brightness, label: 4)
                        let cordSD = abs(d - an.cordShift) - can.cordHalf
                        let cordValue = an.cordSignal * (0.96 + 0.08 * coarse) * an.brightness
                        px.paint(cordSD, cordValue, label: 3)
                        if cordSD < 0.5 {
                            for (k, les) in lesions.enumerated() {
                                let x = (s - les.center.s) / les.a, y = (d - les.center.d) / les.b
                                let rho = (x * x + y * y).squareRoot()
                                if rho > 1 + 1 / min(les.a, les.b) { continue }
                                // Half-intensity edge at rho == 1, about one pixel wide.
                                let sd = (rho - 1) * min(les.a, les.b)
                                let w = min(max(0.5 - sd, 0), 1)
                                let inCord = min(max(0.5 - cordSD, 0), 1)
                                px.value += w * inCord * les.contrast * cordValue
                                if sd < 0 && cordSD < 0 && px.label != 6 {
                                    px.label = 6
                                    lesionCounts[k] += 1
                                }
                            }
                        }
                    }
                    signal[r * n + c] = px.value
                    labels[r * n + c] = Float(px.label)
                }
            }

            // Bias field, Rician noise, normalisation.
            let clean = Image2D(rows: n, cols: n, doubles: signal)
            var noisy = signal
            let sigma = an.noiseSigma * an.brightness
            for r in 0..<n {
                let y = 2 * Double(r) / Double(n - 1) - 1
                for c in 0..<n {
                    let x = 2 * Double(c) / Double(n - 1) - 1
                    let b = biasCoeffs
                    let field = 1 + an.biasStrength * (0.45 * b[0] * x + 0.45 * b[1] * y + 0.3 * b[2] * x * y
                                                       + 0.3 * b[3] * (x * x - 0.33) + 0.3 * b[4] * (y * y - 0.33)
                                                       + 0.2 * b[5] * sin(2.2 * x + 1.3 * y))
                    let v = signal[r * n + c] * field
                    if sigma > 0 {
                        let re = v + sigma * noiseRng.normal()
                        let im = sigma * noiseRng.normal()
                        noisy[r * n + c] = (re * re + im * im).squareRoot()
                    } else {
                        noisy[r * n + c] = max(v, 0)
                    }
                }
            }
            let image: [Double]
            if options.normalize {
                image = Preprocessing.clipAndNormalize(noisy, lowerPercentile: options.preprocessing.lowerPercentile,
                                                       upperPercentile: options.preprocessing.upperPercentile)
            } else {
                image = noisy.map { min(max($0, 0), 1) }
            }
            let labelImage = Image2D(rows: n, cols: n, pixels: labels)
            let roi = Preprocessing.roiMask(labels: labelImage, options: options.preprocessing)
            let slice = PreprocessedSlice(image: Image2D(rows: n, cols: n, doubles: image), roi: roi, labels: labelImage)
            let placed: [PlacedLesion] = lesions.enumerated().map { k, les in
                let p = pixel(fromAxis: les.center.s, les.center.d)
                return PlacedLesion(lesion: les.spec, centerRow: p.row, centerCol: p.col,
                                    semiAxisAlong: les.a, semiAxisAcross: les.b, pixelCount: lesionCounts[k])
            }
            return PhantomSample(slice: slice, seed: seed, anatomy: an, lesions: placed, cleanSignal: clean)
        }

        /// Body centre across the axis for a straight canal (used for the C1 arch).
        var bodyCD0: Double { -an.canalHalfWidth - 1.5 * Double(n) / 256 - an.bodyDepth / 2 }
    }
}
