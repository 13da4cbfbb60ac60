// Float32 math for the CPU backend: scalar `fastExp` and `sigmoid`, straight-line code that LLVM vectorises
// in plain loops, and eight-lane (`SIMD8`) functions and helpers for the hot loops written on explicit vectors.

/// `exp(x)` with relative error below 5e-7 (about 4 ulp) for x in [-87, 88]; 0 below -87 (Cephes-style range reduction).
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let clamped = x < -87 ? -87 : (x > 88 ? 88 : x)
    // Round to nearest by truncation, which vectorises (a floor call does not on baseline x86-64).
    let n = Float(Int32(clamped * 1.442_695_04 + (clamped < 0 ? -0.5 : 0.5)))
    // Fused multiply-adds throughout (x86-64 FMA3 / ARM FMA): faster, and each step rounds once.
    var r = clamped.addingProduct(n, -0.693_359_375)
    r = r.addingProduct(n, 2.121_944_4e-4)
    var p: Float = 1.987_569_15e-4
    p = Float(1.398_199_95e-3).addingProduct(p, r)
    p = Float(8.333_451_9e-3).addingProduct(p, r)
    p = Float(4.166_579_6e-2).addingProduct(p, r)
    p = Float(1.666_666_55e-1).addingProduct(p, r)
    p = Float(5.000_000_1e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p, r * r)
    let scale = Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) &+ 127) &<< 23)
    return x < -87 ? 0 : p * scale
}

/// Exact-form GELU, `0.5 x (1 + erf(x / sqrt 2))`, on eight lanes.
@_transparent
func gelu8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let gaussian = exp2NonPositive8(x * x * -0.721_347_52)  // exp(-x^2 / 2) = 2^(-x^2 log2(e) / 2)
    return 0.5 * x * (1 + erf8(x * 0.707_106_781_186_547_5, gaussian: gaussian))
}

/// d GELU / dx = Phi(x) + x phi(x) on eight lanes; erf(x / sqrt 2) and phi share exp(-x^2 / 2).
@_transparent
func geluDerivative8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let gaussian = exp2NonPositive8(x * x * -0.721_347_52)
    let cdf = 0.5 * (1 + erf8(x * 0.707_106_781_186_547_5, gaussian: gaussian))
    return cdf + x * gaussian * 0.398_942_280_401_432_7
}

/// `erf(z)` on eight lanes given `exp(-z^2)`: Abramowitz and Stegun 7.1.26, absolute error below 5e-7 in float.
@_transparent
func erf8(_ z: SIMD8<Float>, gaussian: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let magnitude = lanewiseSelect(z, below: V(), then: -z, else: z)
    let t = 1 / (1 + 0.327_591_1 * magnitude)
    var poly = V(repeating: 1.061_405_429)
    poly = V(repeating: -1.453_152_027).addingProduct(poly, t)
    poly = V(repeating: 1.421_413_741).addingProduct(poly, t)
    poly = V(repeating: -0.284_496_736).addingProduct(poly, t)
    poly = V(repeating: 0.254_829_592).addingProduct(poly, t)
    let y = 1 - poly * t * gaussian
    return lanewiseSelect(z, below: V(), then: -y, else: y)
}

/// `y[i] = f(a[i], b[i])` for `count` floats, eight at a time; the last partial vector is padded with zeros.
/// `y` may be the same buffer as `a` or `b`.
@inline(__always)
func mapLanes(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
              _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= count {
        store8(f(load8(a + i), load8(b + i)), y + i)
        i += 8
    }
    guard i < count else { return }
    var tailA = SIMD8<Float>(), tailB = SIMD8<Float>()
    for lane in 0..<(count - i) {
        tailA[lane] = a[i + lane]
        tailB[lane] = b[i + lane]
    }
    let result = f(tailA, tailB)
    for lane in 0..<(count - i) { y[i + lane] = result[lane] }
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
func sigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

// Lane loops with one select each compile to single vector instructions (vmaxps, vblendvps);
// the generic `pointwiseMax` and nested selects do not.

@inline(__always)
func lanewiseMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = a[lane] > b[lane] ? a[lane] : b[lane] }
    return result
}

/// `a < b ? then : else` in each lane.
@inline(__always)
func lanewiseSelect(_ a: SIMD8<Float>, below b: SIMD8<Float>, then t: SIMD8<Float>, else e: SIMD8<Float>) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = a[lane] < b[lane] ? t[lane] : e[lane] }
    return result
}

/// `2^y` on eight lanes for `y <= 0` (softmax arguments after the row maximum is subtracted), about
/// 1e-7 relative error, 0 below -126. With scores already in base 2 the range reduction
/// is exact (`y - round(y)`), leaving a degree-6 polynomial for `2^f` on [-0.5, 0.5] and one scale.
@_transparent
func exp2NonPositive8(_ y: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let clamped = lanewiseMax(y, V(repeating: -126))
    let magic = V(repeating: 12_582_912)
    let shifted = clamped + magic
    let f = clamped - (shifted - magic)
    var p = V(repeating: 1.533_757_8e-4)
    p = V(repeating: 1.339_986e-3).addingProduct(p, f)
    p = V(repeating: 9.618_52e-3).addingProduct(p, f)
    p = V(repeating: 5.550_329e-2).addingProduct(p, f)
    p = V(repeating: 0.240_226_46).addingProduct(p, f)
    p = V(repeating: 0.693_147_18).addingProduct(p, f)
    p = V(repeating: 1).addingProduct(p, f)
    let scale = unsafeBitCast((unsafeBitCast(shifted, to: SIMD8<Int32>.self) &+ 127) &<< 23, to: V.self)
    return lanewiseSelect(y, below: V(repeating: -126), then: V(), else: p * scale)
}
