import Foundation
@testable import U2ADData
import U2ADRandom
import XCTest

/// One fuzz target per parser: seeded mutations of real files (the shared data when present, else the fixtures),
/// aimed at the headers. Every read must give a value or a one-line DataError naming the file; none may trap, hang or
/// allocate past the limits. `U2AD_FUZZ_CASES` sets the cases per target (default 1000; docs/limits.md records a run
/// of 100,000 each).
final class ParserFuzzTests: XCTestCase {
    static var cases: Int { ProcessInfo.processInfo.environment["U2AD_FUZZ_CASES"].flatMap { Int($0) } ?? 1000 }

    func testNPY() throws {
        let seeds = try seedFiles(shared: ["u2ad-samples/clinical/2.npy"], fixtures: ["data/npy/f8_le_c_v1.npy", "data/npy/i2_be_f_v1.npy", "data/npy/u1_le_f_v3.npy"])
        try fuzz(seeds, header: 0..<128, name: "fuzz.npy") { data in
            let (shape, values) = try NPY.readFloats(from: data, name: "fuzz.npy")
            XCTAssertEqual(values.count, elementCount(shape))
        }
    }

    func testNIfTI() throws {
        var seeds = try seedFiles(shared: ["sct/t2/t2_seg-manual.nii.gz"], fixtures: ["data/nifti/small.nii", "data/nifti/nifti2.nii.gz"])
        // The decompressed header of each gzip seed, so that header damage is not only a broken gzip stream.
        for seed in seeds where Gzip.isCompressed(Data(seed)) { seeds.append(try inflate(seed)) }
        try fuzz(seeds, header: 0..<544, name: "fuzz.nii") { data in
            let volume = try NIfTIVolume.read(from: data, name: "fuzz.nii")
            XCTAssertEqual(volume.data.count, elementCount(volume.shape))
            _ = volume.axisCodes
            // The preprocessing of one slice (to a small output, for speed) meets the header's geometry.
            if let slice = try? volume.sagittalSlice(sourceIndex: 0) {
                var options = PreprocessingOptions()
                (options.cropSize, options.outputSize) = (24, 16)
                _ = try? Preprocessing.preprocess(image: Image2D(rows: slice.rows, cols: slice.columns, pixels: slice.pixels), labels: nil,
                                                  spacing: (slice.rowSpacing, slice.columnSpacing), options: options)
            }
        }
    }

    func testSafeTensors() throws {
        let seeds = try seedFiles(shared: [], fixtures: ["model/weights.safetensors", "data/safetensors/all_dtypes.safetensors"])
        try fuzz(seeds, header: 0..<4096, name: "fuzz.safetensors") { data in
            let file = try SafeTensorsFile.read(from: data, name: "fuzz.safetensors")
            for name in file.names.prefix(8) { _ = try file.floats(name) }
        }
    }

    // MARK: Harness

    private func seedFiles(shared: [String], fixtures: [String]) throws -> [[UInt8]] {
        let urls = shared.compactMap(sharedDataURL) + fixtures.map(fixtureURL)
        return try urls.map { [UInt8](try Data(contentsOf: $0)) }
    }

    private func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let reader = try GzipReader(Data(bytes), name: "seed")
        return try reader.read(count: 1 << 24)
    }

    /// Runs `read` on mutants of the seeds; a DataError must be one line naming `name`.
    private func fuzz(_ seeds: [[UInt8]], header: Range<Int>, name: String, read: (Data) throws -> Void) throws {
        var generator = RandomKey(seed: 12).split(.testData).fold(in: name).stream()
        var outcomes = (read: 0, rejected: 0)
        let seeds = seeds.filter { !$0.isEmpty }
        for index in 0..<Self.cases {
            let seed = seeds[index % seeds.count]
            let mutant = mutate(seed, header: header, &generator)
            do {
                try read(Data(mutant))
                outcomes.read += 1
            } catch let error as DataError {
                let message = error.description
                XCTAssertTrue(message.hasPrefix(name + ": ") && !message.contains("\n"), message)
                outcomes.rejected += 1
            }
        }
        print("\(name): \(Self.cases) mutants, \(outcomes.read) read, \(outcomes.rejected) rejected with a DataError")
        XCTAssertGreaterThan(outcomes.rejected, Self.cases / 10, "\(name): \(outcomes)")
    }

    /// One of: flipped bytes, an absurd value over a 2-, 4- or 8-byte field, a digit run replaced by an absurd
    /// number (text headers), a truncation, or a slice of the header repeated or removed.
    private func mutate(_ seed: [UInt8], header: Range<Int>, _ generator: inout RandomStream) -> [UInt8] {
        var bytes = seed
        let end = min(header.upperBound, bytes.count)
        func position() -> Int { Int(generator.next() % UInt64(max(end, 1))) }
        switch generator.next() % 6 {
        case 0:
            for _ in 0..<(1 + generator.next() % 4) { bytes[position()] ^= UInt8(truncatingIfNeeded: 1 + generator.next() % 255) }
        case 1:
            let absurd: [UInt64] = [0, .max, 1 << 63, 0x7fff_ffff, 0x8000_0000, 0x7f80_0000, 0x7fc0_0000, 0x7e96_7699, 0xff80_0000,
                                    0x7fff, 0x8000, 800, 1 << 40, 0x4f80_0000]
            let value = absurd[Int(generator.next() % UInt64(absurd.count))]
            let width = [2, 4, 8][Int(generator.next() % 3)]
            let start = min(position() / width * width, max(bytes.count - width, 0))
            withUnsafeBytes(of: value.littleEndian) { raw in
                for i in 0..<min(width, bytes.count - start) { bytes[start + i] = raw[i] }
            }
        case 2:
            let digits = (header.lowerBound..<end).filter { (0x30...0x39).contains(bytes[$0]) }
            guard let first = digits.isEmpty ? nil : digits[Int(generator.next() % UInt64(digits.count))] else { break }
            var last = first
            while last + 1 < end, (0x30...0x39).contains(bytes[last + 1]) { last += 1 }
            let numbers = ["0", "-1", "9223372036854775807", "99999999999999999999", "1e308", "4294967296", "", "65536", "1.5", "NaN"]
            bytes.replaceSubrange(first...last, with: Array(numbers[Int(generator.next() % UInt64(numbers.count))].utf8))
        case 3:
            bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
        case 4:
            let start = position(), length = Int(generator.next() % 64)
            let chunk = Array(bytes[start..<min(start + length, bytes.count)])
            bytes.insert(contentsOf: chunk, at: start)
        default:
            let start = position(), length = Int(generator.next() % 64)
            bytes.removeSubrange(start..<min(start + length, bytes.count))
        }
        return bytes
    }
}
