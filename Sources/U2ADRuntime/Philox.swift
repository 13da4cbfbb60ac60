/// Philox4x32-10, the counter-based generator of Salmon et al. (2011), bit-identical to `Kernels/philox.h`.
///
/// Dropout draws are addressed, not sequential: the 4x32 counter is
/// (element / 4, layer, step, pass) and the 2x32 key is the seed, and `element % 4`
/// picks one of the four output words. Any backend and any work split gives the same mask.
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

    /// The 32-bit draw for one element.
    @inline(__always)
    public static func draw(seed: UInt64, step: UInt32, layer: UInt32, pass: UInt32, element: UInt32) -> UInt32 {
        let out = block((element >> 2, layer, step, pass), key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        switch element & 3 {
        case 0: return out.0
        case 1: return out.1
        case 2: return out.2
        default: return out.3
        }
    }

    /// A uniform value in [0, 1) with 24 random bits, exact in float32.
    @inline(__always)
    public static func uniform(_ bits: UInt32) -> Float {
        Float(bits >> 8) * (1.0 / 16_777_216.0)
    }

    /// Whether dropout keeps this element.
    @inline(__always)
    public static func keeps(_ spec: DropoutSpec, pass: UInt32, element: UInt32) -> Bool {
        uniform(draw(seed: spec.seed, step: spec.step, layer: spec.layer, pass: pass, element: element)) >= spec.rate
    }
}
