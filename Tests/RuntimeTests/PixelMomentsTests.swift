import XCTest
@testable import U2ADRuntime

final class PixelMomentsTests: XCTestCase {
    /// Two batches over three slots, with runs of several passes and passes sampling overlapping patches, against the
    /// float64 host update: identical on the CPU, and on an OpenCL device with float64.
    func testMomentsAndMapsMatchTheHostWelfordUpdate() throws {
        var random = TestRandom(21)
        let shape = PixelMomentsShape(size: 32, patch: 8, slots: 3)
        let L = shape.patchCount, area = shape.patch * shape.patch, pixels = shape.pixels
        let images = random.floats(shape.slots * pixels)
        let regions = (0..<shape.slots).map { _ in (0..<pixels).map { _ in random.uniform() < 0.7 ? Float(1) : 0 } }
        let batches: [(runs: [(slot: Int, passes: Range<Int>)], sampled: [[Int]])] = [
            ([(slot: 2, passes: 0..<3), (slot: 0, passes: 3..<5)], [[0, 5, 9], [5, 6], [], [1, 15, 3], [3]]),
            ([(slot: 0, passes: 0..<2), (slot: 1, passes: 2..<4)], [[3, 4], [4, 3, 0], [7], [7, 8, 9, 10]]),
        ]
        var reference = (0..<shape.slots).map { _ in HostPixelMoments(pixels: pixels) }
        let heads = batches.map { batch in random.floats(batch.sampled.count * (1 + L) * area).map { 1 / (1 + exp(-$0)) } }
        for (batch, head) in zip(batches, heads) {
            for run in batch.runs {
                for b in run.passes {
                    for l in batch.sampled[b] {
                        for k in 0..<area {
                            let pixel = ((l / 4) * 8 + k / 8) * 32 + (l % 4) * 8 + k % 8
                            reference[run.slot].add(Double(head[(b * (1 + L) + 1 + l) * area + k]), at: pixel)
                        }
                    }
                }
            }
        }
        for backend in try backendsUnderTest() {
            let moments = try backend.makeBuffer([shape.momentWords])
            try backend.fill(moments, with: 0, count: shape.momentWords)
            for (batch, head) in zip(batches, heads) {
                try backend.accumulatePixelMoments(try backend.makeBuffer(head), table: try backend.makeIndexBuffer(shape.table(runs: batch.runs, sampled: batch.sampled)),
                                                   runs: batch.runs.count, into: moments, shape: shape)
            }
            let imageBuffer = try backend.makeBuffer(images), regionBuffer = try backend.makeIndexBuffer(regions.flatMap { shape.regionBits($0) })
            let maps = try backend.makeBuffer([3 * pixels])
            let exact = backend.kind == .cpu || (openCLDeviceForTests?.hasFloat64 ?? false)
            for slot in 0..<shape.slots {
                try backend.finishPixelMoments(moments, slot: slot, images: imageBuffer, regions: regionBuffer, into: maps, shape: shape)
                let values = try backend.startDownload(maps).values()
                let expected = reference[slot].maps(image: Array(images[(slot * pixels)..<((slot + 1) * pixels)]), region: regions[slot])
                let message = "\(label(backend)) slot \(slot)"
                if exact {
                    XCTAssertEqual(Array(values[0..<pixels]), expected.reconstruction, message)
                    XCTAssertEqual(Array(values[pixels..<(2 * pixels)]), expected.epistemic, message)
                    XCTAssertEqual(Array(values[(2 * pixels)...]), expected.aleatoric, message)
                } else {
                    XCTAssertLessThan(maxAbsoluteDifference(Array(values[0..<pixels]), expected.reconstruction), 1e-6, message)
                    XCTAssertLessThan(maxAbsoluteDifference(Array(values[pixels..<(2 * pixels)]), expected.epistemic), 1e-6, message)
                }
            }
            XCTAssertGreaterThan(reference[1].count.filter { $0 > 0 }.count, 0)
        }
    }

    func testTableAndRegionBitsLayout() {
        let shape = PixelMomentsShape(size: 16, patch: 4, slots: 2)
        XCTAssertEqual(shape.table(runs: [(slot: 1, passes: 0..<2)], sampled: [[0, 3], [15]]), [1, 0, 2, 0b1001, 1 << 15])
        XCTAssertEqual(shape.regionBits((0..<256).map { $0 == 33 || $0 == 255 ? 1 : 0 }).enumerated().filter { $0.element != 0 }.map(\.offset), [1, 7])
        XCTAssertEqual(shape.slotWords % viewAlignment, 0)
    }
}
