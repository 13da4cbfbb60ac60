/// Vectorised float32 transcendental functions for the CPU backend (Cephes-style range reduction).

typealias Vec = SIMD16<Float>

/// `exp(x)` with about 1 ulp error for x in [-87, 88]; `exp(-inf) = 0`.
@inline(__always)
func fastExp(_ x: Vec) -> Vec {
    let clamped = x.clamped(lowerBound: Vec(repeating: -87.0), upperBound: Vec(repeating: 88.0))
    let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
    var r = clamped - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = Vec(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * r * r + r + 1
    let exponent = SIMD16<Int32>(truncatingIfNeeded: SIMD16<Int32>(n) &+ 127) &<< 23
    let scale = unsafeBitCast(exponent, to: Vec.self)
    var result = p * scale
    result.replace(with: 0, where: x .< -87.0)
    return result
}

@inline(__always)
func fastExp(_ x: Float) -> Float { fastExp(Vec(repeating: x))[0] }

/// `erf(x)`, Abramowitz and Stegun 7.1.26 refined: absolute error below 2e-7.
@inline(__always)
func fastErf(_ x: Vec) -> Vec {
    let a = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.327_591_1 * a)
    var poly = Vec(repeating: 1.061_405_429)
    poly = poly * t - 1.453_152_027
    poly = poly * t + 1.421_413_741
    poly = poly * t - 0.284_496_736
    poly = poly * t + 0.254_829_592
    poly = poly * t
    let y = 1 - poly * fastExp(Vec(repeating: 0) - a * a)
    var result = y
    result.replace(with: -y, where: x .< 0)
    return result
}

/// Exact-form GELU, `0.5 x (1 + erf(x / sqrt 2))`.
@inline(__always)
func gelu(_ x: Vec) -> Vec { 0.5 * x * (1 + fastErf(x * 0.707_106_781_186_547_5)) }

/// d GELU / dx = Phi(x) + x phi(x).
@inline(__always)
func geluDerivative(_ x: Vec) -> Vec {
    let cdf = 0.5 * (1 + fastErf(x * 0.707_106_781_186_547_5))
    let pdf = fastExp(x * x * Vec(repeating: -0.5)) * 0.398_942_280_401_432_7
    return cdf + x * pdf
}

@inline(__always)
func sigmoid(_ x: Vec) -> Vec { 1 / (1 + fastExp(Vec(repeating: 0) - x)) }

/// Applies `body` to `count` floats at `pointer` in SIMD16 chunks, padding the tail.
@inline(__always)
func mapInPlace(_ pointer: UnsafeMutablePointer<Float>, _ count: Int, _ body: (Vec) -> Vec) {
    var i = 0
    while i + 16 <= count {
        let raw = UnsafeMutableRawPointer(pointer + i)
        raw.storeBytes(of: body(raw.loadUnaligned(as: Vec.self)), as: Vec.self)
        i += 16
    }
    if i < count {
        var tail = Vec()
        for j in 0..<(count - i) { tail[j] = pointer[i + j] }
        let out = body(tail)
        for j in 0..<(count - i) { pointer[i + j] = out[j] }
    }
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
    var sum = accumulator.sum()
    while i < count { sum += a[i] * b[i]; i += 1 }
    return sum
}

/// `y[0..<count] += alpha * x[0..<count]`.
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    let a = Vec(repeating: alpha)
    var i = 0
    while i + 16 <= count {
        let raw = UnsafeMutableRawPointer(y + i)
        raw.storeBytes(of: raw.loadUnaligned(as: Vec.self) + a * UnsafeRawPointer(x + i).loadUnaligned(as: Vec.self), as: Vec.self)
        i += 16
    }
    while i < count { y[i] += alpha * x[i]; i += 1 }
}
