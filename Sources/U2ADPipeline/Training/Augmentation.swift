import Foundation
import U2ADData
import U2ADModel
import U2ADRandom

/// The reference loader's augmentation (`augment_mr_image`): brightness then contrast through 8-bit
/// PIL `ImageEnhance`, additive Gaussian noise, clipping to [0, 1] and min-max normalisation.
///
/// ```
/// u8 = trunc(255 x)                               (numpy astype(uint8))
/// u8 = trunc(clip(b * u8, 0, 255))                (Brightness: blend with black, factor b)
/// m  = int(mean(u8) + 0.5)
/// u8 = trunc(clip(m + c * (u8 - m), 0, 255))      (Contrast: blend with the mean grey, factor c)
/// y  = clip(u8 / 255 + N(0, sigma), 0, 1);  y = (y - min y) / (max y - min y)
/// ```
/// with `b, c` uniform in [`lowestFactor`, `highestFactor`]. The random numbers come from the caller's
/// generator (the reference uses numpy's global one).
public struct Augmentation: Codable, Equatable, Sendable {
    /// Brightness and contrast factors are uniform in [lowestFactor, highestFactor] (0.8, 1.2).
    public var lowestFactor = 0.8
    public var highestFactor = 1.2
    /// Standard deviation of the additive Gaussian noise (0.02).
    public var noiseSigma = 0.02

    public init(lowestFactor: Double = 0.8, highestFactor: Double = 1.2, noiseSigma: Double = 0.02) {
        self.lowestFactor = lowestFactor
        self.highestFactor = highestFactor
        self.noiseSigma = noiseSigma
    }

    func validate() throws {
        guard lowestFactor.isFinite, highestFactor.isFinite, lowestFactor >= 0, lowestFactor <= highestFactor else {
            throw PipelineError.badOption("--augment-factors", "need 0 <= lowest <= highest, got \(lowestFactor), \(highestFactor)")
        }
        guard noiseSigma.isFinite, noiseSigma >= 0 else { throw PipelineError.badOption("--noise-sigma", "must not be negative") }
    }

    /// The augmented copy of `image` (values in [0, 1]), drawing from `random`.
    public func apply(_ image: [Float], random: inout RandomStream) -> [Float] {
        let brightness = lowestFactor + (highestFactor - lowestFactor) * random.uniform()
        let contrast = lowestFactor + (highestFactor - lowestFactor) * random.uniform()
        var bytes = image.map { value -> Int in
            let scaled = (Double(value.isFinite ? value : 0) * 255).rounded(.towardZero)
            return Int(min(max(scaled, 0), 255))
        }
        Augmentation.blend(&bytes, with: 0, factor: Float(brightness))
        let mean = Double(bytes.reduce(0, +)) / Double(max(bytes.count, 1))
        Augmentation.blend(&bytes, with: Int(mean + 0.5), factor: Float(contrast))
        var values = [Double](repeating: 0, count: bytes.count)
        for i in bytes.indices {
            let noisy = Double(Float(bytes[i]) / 255) + noiseSigma * random.normal()
            values[i] = min(max(noisy, 0), 1)
        }
        let low = values.min() ?? 0, high = (values.max() ?? 0) - low
        guard high > 0 else { return [Float](repeating: 0, count: values.count) }
        return values.map { Float(($0 - low) / high) }
    }

    /// PIL's `Image.blend(constant, image, factor)` on 8-bit values, computed in float32 and truncated.
    static func blend(_ bytes: inout [Int], with constant: Int, factor: Float) {
        let base = Float(constant)
        for i in bytes.indices {
            let value = base + factor * Float(bytes[i] - constant)
            bytes[i] = value <= 0 ? 0 : value >= 255 ? 255 : Int(value)
        }
    }
}
