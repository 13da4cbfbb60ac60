/// Philox4x32-10, the counter-based generator of Salmon et al. (2011), bit-identical to `philox_draw` in the kernels'
/// shared header (`Sources/U2ADRuntime/Ops/common.h`).
///
/// A draw is a pure function of a key and a 128-bit counter: nothing is carried from one draw to the next, so any
/// backend, any work split and a resumed run draw the same numbers.
public enum Philox {
    @inline(__always)
    static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let product = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: product >> 32), UInt32(truncatingIfNeeded: product))
    }

    /// Ten rounds of Philox4x32 on `counter` with `key`.
    @inline(__always)
    public static func block(_ counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            let p0 = mulhilo(0xD251_1F53, c.0)
            let p1 = mulhilo(0xCD9E_8D57, c.2)
            c = (p1.hi ^ c.1 ^ k.0, p1.lo, p0.hi ^ c.3 ^ k.1, p0.lo)
            if round < 9 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
        }
        return c
    }

    /// A uniform value in [0, 1) with 24 random bits, exact in float32.
    @inline(__always)
    public static func uniform(_ bits: UInt32) -> Float {
        Float(bits >> 8) * (1.0 / 16_777_216.0)
    }
}
