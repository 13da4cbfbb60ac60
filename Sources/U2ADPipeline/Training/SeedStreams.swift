import U2ADData
import U2ADModel

/// Independent random streams derived from the run's one `--seed`.
///
/// Every draw of a run is addressed by (seed, purpose, epoch, slice) rather than taken from a running
/// generator, so the generator state of a run is just these counters: a resumed run draws exactly what
/// the uninterrupted run would have, whatever the batch composition.
public enum SeedStream: UInt64, Sendable {
    case initialWeights = 1
    case shuffle = 2
    case augmentation = 3
    case masks = 4
    case uncertainty = 5

    /// A 64-bit seed for this purpose and the given counters (SplitMix64 hashing).
    public func seed(_ runSeed: UInt64, _ counters: Int...) -> UInt64 {
        var generator = SplitMix64(seed: runSeed ^ (rawValue &* 0xD1B5_4A32_D192_ED03))
        var value = generator.next()
        for counter in counters {
            generator = SplitMix64(seed: value ^ UInt64(bitPattern: Int64(counter)))
            value = generator.next()
        }
        return value
    }

    /// The order in which epoch `epoch` visits `count` slices (Fisher-Yates).
    public static func shuffledOrder(count: Int, runSeed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var generator = SplitMix64(seed: SeedStream.shuffle.seed(runSeed, epoch))
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }
}
