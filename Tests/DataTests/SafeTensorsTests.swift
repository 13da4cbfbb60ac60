import Foundation
import U2ADData
import XCTest
import U2ADRandom

final class SafeTensorsTests: XCTestCase {
    private let f32Only = fixtureURL("data/safetensors/f32_only.safetensors")
    private let allDtypes = fixtureURL("data/safetensors/all_dtypes.safetensors")

    func testReadsFileWrittenByPython() throws {
        let file = try SafeTensorsFile.read(f32Only)
        XCTAssertEqual(file.names, ["blocks.0.attn.qkv.bias", "blocks.0.attn.qkv.weight", "empty", "head.scale"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.shape("blocks.0.attn.qkv.weight"), [3, 4])
        XCTAssertEqual(file.dtype("head.scale"), .float32)
        XCTAssertNil(file.shape("missing"))
        XCTAssertEqual(try file.floats("blocks.0.attn.qkv.weight"), (0..<12).map { (Float($0) - 5.5) / 4 })
        XCTAssertEqual(try file.floats("blocks.0.attn.qkv.bias", shape: [3]), [1.5, -2.25, 3.0])
        XCTAssertEqual(try file.doubles("head.scale"), [0.125])
        XCTAssertEqual(file.shape("head.scale"), [])
        XCTAssertEqual(try file.floats("empty"), [])
    }

    func testEveryDtypeConvertsToFloat() throws {
        let file = try SafeTensorsFile.read(allDtypes)
        XCTAssertEqual(file.metadata, ["source": "numpy", "version": "1"])
        let signed: [Float] = [-2, -1, 0, 1, 2, 3]
        for name in ["f64", "f32", "f16", "i64", "i32", "i16", "i8"] {
            XCTAssertEqual(try file.floats(name, shape: [2, 3]), signed, name)
        }
        XCTAssertEqual(try file.floats("u8"), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try file.doubles("bool"), [0, 1, 0, 1, 0, 1])
        XCTAssertEqual(file.dtype("f16"), .float16)
    }

    func testBFloat16() throws {
        // 1.0, -2.5 and 0.15625 are exact in bfloat16: 0x3F80, 0xC020, 0x3E20.
        let data = handMade(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}"#,
                            payload: [0x80, 0x3F, 0x20, 0xC0, 0x20, 0x3E])
        XCTAssertEqual(try SafeTensorsFile.read(from: data, name: "bf16.safetensors").floats("w"), [1, -2.5, 0.15625])
    }

    func testRewriteGivesIdenticalBytes() throws {
        let original = try Data(contentsOf: f32Only)
        let file = try SafeTensorsFile.read(f32Only)
        let tensors = try file.names.map { (name: $0, shape: file.shape($0) ?? [], values: try file.floats($0)) }
        let folder = try temporaryFolder(self, "data")
        let url = folder.appendingPathComponent("copy.safetensors")
        try SafeTensorsFile.write(tensors, metadata: file.metadata, to: url)
        XCTAssertEqual(try Data(contentsOf: url), original, "Swift writer differs from safetensors.numpy.save_file")

        let again = try SafeTensorsFile.read(url)
        let second = try again.names.map { (name: $0, shape: again.shape($0) ?? [], values: try again.floats($0)) }
        XCTAssertEqual(try SafeTensorsFile.encode(second, metadata: again.metadata), original)
    }

    func testWriterSortsNamesAndStoresDoubles() throws {
        let data = try SafeTensorsFile.encode(
            [(name: "z", shape: [2], values: [1.0, 2.0]), (name: "a", shape: [1, 1], values: [Double.pi])],
            metadata: ["b": "2", "a": "quote\"d"])
        let file = try SafeTensorsFile.read(from: data, name: "d.safetensors")
        XCTAssertEqual(file.names, ["a", "z"])
        XCTAssertEqual(file.dtype("a"), .float64)
        XCTAssertEqual(try file.doubles("a"), [Double.pi])
        XCTAssertEqual(file.metadata, ["b": "2", "a": "quote\"d"])
        XCTAssertEqual(data.count % 8, 0)
    }

    func testWriterRejectsBadInput() {
        assertDataError(try SafeTensorsFile.encode([(name: "w", shape: [2, 2], values: [Float](repeating: 0, count: 3))], name: "o.safetensors"),
                        contains: ["o.safetensors", "'w'"])
        assertDataError(try SafeTensorsFile.encode([(name: "w", shape: [1], values: [Float(1)]), (name: "w", shape: [1], values: [Float(2)])]),
                        contains: ["appears twice"])
    }

    func testShapeMismatchMessage() throws {
        let file = try SafeTensorsFile.read(f32Only)
        assertDataError(try file.floats("blocks.0.attn.qkv.weight", shape: [3, 8]),
                        contains: ["f32_only.safetensors: tensor 'blocks.0.attn.qkv.weight' has shape [3, 4], expected [3, 8]"])
        assertDataError(try file.floats("nope"), contains: ["f32_only.safetensors", "'nope'"])
    }

    func testInvalidFilesGiveClearErrors() throws {
        let good = try Data(contentsOf: f32Only)
        let cases: [(Data, [String])] = [
            (good.prefix(5), ["truncated"]),
            (good.prefix(200), ["truncated", "header length"]),
            (Data([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) + good.dropFirst(8), ["header length"]),
            (good.dropLast(4), ["'head.scale'", "outside"]),
            (good + Data([0, 0, 0, 0]), ["4 bytes after the last tensor"]),
            (handMade(header: "{\"w\": [1, 2", payload: []), ["not a JSON object"]),
            (handMade(header: #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, payload: [0]),
             ["'w'", "unknown dtype 'F8_E4M3'"]),
            (handMade(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0]),
             ["'w'", "needs 8 bytes"]),
            (handMade(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99]}}"#, payload: [0, 0, 0, 0]),
             ["'w'", "outside the 4-byte data section"]),
            (handMade(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
                      payload: [UInt8](repeating: 0, count: 6)), ["overlap"]),
            (handMade(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                      payload: [UInt8](repeating: 0, count: 8)), ["unused bytes", "'a'"]),
            (handMade(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0]), ["'a'", "shape"]),
            (handMade(header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0]), ["'a'", "shape"]),
            (handMade(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0]),
             ["'a'", "too large"]),
            (handMade(header: #"{"__metadata__":{"k":1}}"#, payload: []), ["'__metadata__'"]),
        ]
        for (index, (data, fragments)) in cases.enumerated() {
            assertDataError(try SafeTensorsFile.read(from: data, name: "case\(index).safetensors"),
                            contains: ["case\(index).safetensors"] + fragments)
        }
    }

    func testRandomTruncationsAndFlipsNeverCrash() throws {
        let good = try Data(contentsOf: allDtypes)
        var generator = RandomKey(seed: 5).stream()
        for _ in 0..<300 {
            var bytes = [UInt8](good)
            if generator.next() % 2 == 0 {
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            } else {
                for _ in 0..<(1 + generator.next() % 3) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            do {
                let file = try SafeTensorsFile.read(from: Data(bytes), name: "m.safetensors")
                for name in file.names { _ = try file.floats(name) }
            } catch is DataError {}
        }
    }

    private func handMade(header: String, payload: [UInt8]) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: payload)
        return data
    }
}
