/// The key of the project's one random-number generator, Philox4x32-10.
///
/// Every random draw in u2ad (initial weights, shuffling, augmentation, masks, MC pass schedules, dropout,
/// phantoms, inserted lesions) comes from a key derived from the run's `--seed` by purpose and counters, as
/// mlx-swift's and JAX's `key`/`split`:
///
/// ```swift
/// let masks = RandomKey(seed: 7).split(.masks)          // one stream per purpose
/// let epochKey = masks.fold(in: epoch)                  // and per counter
/// var stream = epochKey.stream()                        // sequential draws when a loop needs them
/// ```
///
/// Draws are addressed, never carried over: the same key and counter give the same bits on every platform and
/// backend, whatever was drawn before, which is what makes resumed training bit-identical.
public struct RandomKey: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The two 32-bit key words of Philox.
    public var low: UInt32
    public var high: UInt32

    /// The root key of a seed.
    public init(seed: UInt64) {
        low = UInt32(truncatingIfNeeded: seed)
        high = UInt32(truncatingIfNeeded: seed >> 32)
    }

    /// The key as one 64-bit value (the seed it was made from, for a root key).
    public var value: UInt64 { UInt64(high) << 32 | UInt64(low) }

    public var description: String { "RandomKey(0x" + String(value, radix: 16) + ")" }

    /// The sub-key for `purpose`.
    public func split(_ purpose: RandomPurpose) -> RandomKey { derive(purpose.rawValue, 0, 0) }

    /// The sub-key for counter `value` (an epoch, a slice, a patient).
    public func fold(in value: Int) -> RandomKey {
        let bits = UInt64(bitPattern: Int64(value))
        return derive(0x464F_4C44, UInt32(truncatingIfNeeded: bits), UInt32(truncatingIfNeeded: bits >> 32))  // "FOLD"
    }

    /// The sub-key for a name (a slice's file name), so that a slice's draws do not depend on its neighbours.
    public func fold(in name: String) -> RandomKey {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return derive(0x4E41_4D45, UInt32(truncatingIfNeeded: hash), UInt32(truncatingIfNeeded: hash >> 32))  // "NAME"
    }

    /// Four words at `counter`: the addressed draw that dropout, masks and streams are built from.
    @inline(__always)
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        Philox.block(counter, key: (low, high))
    }

    /// The 32-bit draw for `element` of the row addressed by (`stream`, `step`, `row`): counter
    /// `(element / 4, stream, step, row)`, word `element % 4`. Dropout and patch ranking draw this way, in Swift and in
    /// the kernels alike.
    @inline(__always)
    public func bits(stream: UInt32, step: UInt32, row: UInt32, element: UInt32) -> UInt32 {
        let out = block((element >> 2, stream, step, row))
        switch element & 3 {
        case 0: return out.0
        case 1: return out.1
        case 2: return out.2
        default: return out.3
        }
    }

    /// A sequential stream of draws from this key.
    public func stream() -> RandomStream { RandomStream(key: self) }

    private func derive(_ tag: UInt32, _ a: UInt32, _ b: UInt32) -> RandomKey {
        let out = block((tag, a, b, 0x4B45_5953))  // "KEYS"
        var key = RandomKey(seed: 0)
        key.low = out.0
        key.high = out.1
        return key
    }
}

/// What a sub-key is for. Listed in one place so that no two purposes share a stream.
public enum RandomPurpose: UInt32, Sendable, CaseIterable {
    case initialWeights = 1
    case shuffle
    case augmentation
    case masks
    case uncertaintyMaps
    case passSchedule
    case dropout
    case phantomCohort
    case phantomAnatomy
    case phantomLesions
    case phantomNoise
    case phantomArtefacts
    case lesionInsertion
    case bootstrap
    case testData
}
