import Foundation

/// Sequential draws from a ``RandomKey``: the n-th 32-bit word is word `n % 4` of the Philox block at counter `n / 4`.
///
/// A stream's whole state is its key, a counter and the spare normal of the polar method, so it can be saved and
/// restored exactly. It is a `RandomNumberGenerator`, so `shuffled(using:)` works too, but the project's own draws use
/// the methods below, which are the same on every platform.
public struct RandomStream: RandomNumberGenerator, Sendable, Equatable {
    public let key: RandomKey
    /// 32-bit words drawn so far.
    public private(set) var position: UInt64 = 0
    private var block: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var spareNormal: Double?

    public init(key: RandomKey) { self.key = key }

    public static func == (a: RandomStream, b: RandomStream) -> Bool {
        a.key == b.key && a.position == b.position && a.spareNormal == b.spareNormal
    }

    /// The next 32 random bits.
    @inline(__always)
    public mutating func nextWord() -> UInt32 {
        let lane = position & 3
        if lane == 0 {
            block = key.block((UInt32(truncatingIfNeeded: position >> 2), UInt32(truncatingIfNeeded: position >> 34), 0x5354_524D, 0))  // "STRM"
        }
        position += 1
        switch lane {
        case 0: return block.0
        case 1: return block.1
        case 2: return block.2
        default: return block.3
        }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let high = UInt64(nextWord())
        return high << 32 | UInt64(nextWord())
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Uniform in `0..<bound` (Lemire's multiply-shift on 32 bits; the bias is below 2^-32 per unit of `bound`).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max), "bound \(bound) out of range")
        return Int((UInt64(nextWord()) &* UInt64(bound)) >> 32)
    }

    /// Uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// Standard normal (Marsaglia's polar method; the second value of each pair is kept for the next call).
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let q = u * u + v * v
            if q > 0 && q < 1 {
                let f = (-2 * log(q) / q).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }

    /// `values` in a uniformly random order (Fisher-Yates from the end).
    public mutating func shuffled<T>(_ values: [T]) -> [T] {
        var out = values
        if out.count > 1 {
            for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, below(i + 1)) }
        }
        return out
    }
}
