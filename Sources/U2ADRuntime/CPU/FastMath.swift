/// Float32 transcendental functions for the CPU backend, written as straight-line scalar code
/// (arithmetic, floor, selects and bit casts only) so that loops over arrays auto-vectorise.

typealias Vec = SIMD16<Float>

/// `exp(x)` with about 2 ulp error for x in [-87, 88]; 0 below -87 (Cephes-style range reduction).
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

/// `erf(x)`, Abramowitz and Stegun 7.1.26: absolute error below 2e-7.
@inline(__always)
func fastErf(_ x: Float) -> Float { erf(x, gaussian: fastExp(-x * x)) }

/// `erf(x)` given `exp(-x^2)`, so callers that also need the Gaussian compute it once.
@inline(__always)
func erf(_ x: Float, gaussian: Float) -> Float {
    let a = x < 0 ? -x : x
    let t = 1 / (1 + 0.327_591_1 * a)
    var poly: Float = 1.061_405_429
    poly = Float(-1.453_152_027).addingProduct(poly, t)
    poly = Float(1.421_413_741).addingProduct(poly, t)
    poly = Float(-0.284_496_736).addingProduct(poly, t)
    poly = Float(0.254_829_592).addingProduct(poly, t)
    poly *= t
    let y = 1 - poly * gaussian
    return x < 0 ? -y : y
}

/// Exact-form GELU, `0.5 x (1 + erf(x / sqrt 2))`.
@inline(__always)
func gelu(_ x: Float) -> Float { 0.5 * x * (1 + fastErf(x * 0.707_106_781_186_547_5)) }

/// d GELU / dx = Phi(x) + x phi(x); erf(x / sqrt 2) and phi share exp(-x^2 / 2).
@inline(__always)
func geluDerivative(_ x: Float) -> Float {
    let gaussian = fastExp(-0.5 * x * x)
    let cdf = 0.5 * (1 + erf(x * 0.707_106_781_186_547_5, gaussian: gaussian))
    return cdf + x * gaussian * 0.398_942_280_401_432_7
}

@inline(__always)
func sigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

@inline(__always)
func activate(_ x: Float, _ activation: Activation) -> Float {
    switch activation {
    case .gelu: return gelu(x)
    case .sigmoid: return sigmoid(x)
    case .none: return x
    }
}

/// Sum of `count` floats in sixteen lanes, in a fixed order.
@inline(__always)
func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = Vec()
    var i = 0
    while i + 16 <= count {
        accumulator += UnsafeRawPointer(x + i).loadUnaligned(as: Vec.self)
        i += 16
    }
    var total = accumulator.sum()
    while i < count { total += x[i]; i += 1 }
    return total
}

/// Deterministic dot product: sixteen lanes accumulated in a fixed order.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = Vec()
    var i = 0
    while i + 16 <= count {
        accumulator += UnsafeRawPointer(a + i).loadUnaligned(as: Vec.self) * UnsafeRawPointer(b + i).loadUnaligned(as: Vec.self)
        i += 16
    }
    var total = accumulator.sum()
    while i < count { total += a[i] * b[i]; i += 1 }
    return total
}

/// `y[0..<count] += alpha * x[0..<count]`.
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { y[i] = y[i].addingProduct(alpha, x[i]) }
}

/// `fastExp` on eight lanes at once, for loops written with explicit vectors. Rounds with the 1.5 * 2^23
/// trick instead of a conversion. `@_transparent` because `@inline(__always)` does not reliably inline
/// functions taking `SIMD8` (a call per vector costs half the attention forward).
@_transparent
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    typealias V = SIMD8<Float>
    let clamped = lanewiseMin(lanewiseMax(x, V(repeating: -87)), V(repeating: 88))
    let magic = V(repeating: 12_582_912)
    let shifted = magic.addingProduct(clamped, V(repeating: 1.442_695_04))
    let n = shifted - magic
    var r = clamped.addingProduct(n, V(repeating: -0.693_359_375))
    r = r.addingProduct(n, V(repeating: 2.121_944_4e-4))
    var p = V(repeating: 1.987_569_15e-4)
    p = V(repeating: 1.398_199_95e-3).addingProduct(p, r)
    p = V(repeating: 8.333_451_9e-3).addingProduct(p, r)
    p = V(repeating: 4.166_579_6e-2).addingProduct(p, r)
    p = V(repeating: 1.666_666_55e-1).addingProduct(p, r)
    p = V(repeating: 5.000_000_1e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p, r * r)
    // The low bits of `shifted` hold n; adding the bias and shifting builds 2^n.
    let scale = unsafeBitCast((unsafeBitCast(shifted, to: SIMD8<Int32>.self) &+ 127) &<< 23, to: V.self)
    let y = p * scale
    return lanewiseSelect(x, below: V(repeating: -87), then: V(), else: y)
}

/// `a < b ? then : else` in each lane.
@inline(__always)
func lanewiseSelect(_ a: SIMD8<Float>, below b: SIMD8<Float>, then t: SIMD8<Float>, else e: SIMD8<Float>) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = a[lane] < b[lane] ? t[lane] : e[lane] }
    return result
}

// Lane loops with one select each compile to single vector instructions (vmaxps, vminps);
// the generic `pointwiseMax` and nested selects do not.

@inline(__always)
func lanewiseMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = a[lane] > b[lane] ? a[lane] : b[lane] }
    return result
}

@inline(__always)
func lanewiseMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    var result = SIMD8<Float>()
    for lane in 0..<8 { result[lane] = a[lane] < b[lane] ? a[lane] : b[lane] }
    return result
}
