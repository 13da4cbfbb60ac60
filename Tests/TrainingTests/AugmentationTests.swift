import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADPipeline
import U2ADRandom

final class AugmentationTests: XCTestCase {
    func testOutputIsNormalisedAndSeeded() {
        var random = TestRandom(1)
        let image = (0..<4096).map { _ in Float(random.uniform()) * 0.7 + 0.1 }
        var a = RandomKey(seed: 42).stream(), b = RandomKey(seed: 42).stream(), c = RandomKey(seed: 43).stream()
        let first = Augmentation().apply(image, random: &a)
        XCTAssertEqual(first, Augmentation().apply(image, random: &b))
        XCTAssertNotEqual(first, Augmentation().apply(image, random: &c))
        XCTAssertEqual(first.min(), 0)
        XCTAssertEqual(first.max(), 1)
    }

    func testIdentityFactorsQuantiseToEightBits() {
        let image: [Float] = [0, 0.25, 0.5, 1]
        var random = RandomKey(seed: 0).stream()
        let out = Augmentation(lowestFactor: 1, highestFactor: 1, noiseSigma: 0).apply(image, random: &random)
        // trunc(255 x) = 0, 63, 127, 255, then min-max normalised.
        XCTAssertEqual(out, [0, Float(Double(Float(63) / 255) / Double(Float(255) / 255)), Float(Double(Float(127) / 255)), 1])
        var flat = RandomKey(seed: 0).stream()
        XCTAssertEqual(Augmentation(noiseSigma: 0).apply([0.5, 0.5], random: &flat), [0, 0], "a constant image must not give NaN")
    }
}
