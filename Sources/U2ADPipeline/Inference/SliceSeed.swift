/// Per-slice seeds derived from the run's seed and the slice's name, so that a slice gets the same
/// masks and dropout draws whichever other slices share the run.
enum SliceSeed {
    /// FNV-1a of the name, mixed with `seed` and `stream` through SplitMix64's finaliser.
    static func derive(_ seed: UInt64, name: String, stream: UInt64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var z = seed ^ hash ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static let maskStream: UInt64 = 1
    static let dropoutStream: UInt64 = 2
}
