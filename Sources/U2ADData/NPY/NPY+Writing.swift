import Foundation

extension NPY {
    /// Writes float32 values (C order) as a little-endian version 1.0 `.npy` file.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(values, shape: shape, name: url.displayName), to: url)
    }

    /// Writes float64 values (C order) as a little-endian version 1.0 `.npy` file.
    public static func write(_ values: [Double], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(values, shape: shape, name: url.displayName), to: url)
    }

    /// Writes uint8 values (C order) as a version 1.0 `.npy` file.
    public static func write(_ values: [UInt8], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(values, shape: shape, name: url.displayName), to: url)
    }

    /// The `.npy` bytes for float32 values in C order.
    public static func encode(_ values: [Float], shape: [Int], name: String = "array.npy") throws -> Data {
        var data = try preamble(descr: "<f4", shape: shape, count: values.count, name: name)
        appendLittleEndian(values, to: &data) { $0.bitPattern }
        return data
    }

    /// The `.npy` bytes for float64 values in C order.
    public static func encode(_ values: [Double], shape: [Int], name: String = "array.npy") throws -> Data {
        var data = try preamble(descr: "<f8", shape: shape, count: values.count, name: name)
        appendLittleEndian(values, to: &data) { $0.bitPattern }
        return data
    }

    /// The `.npy` bytes for uint8 values in C order.
    public static func encode(_ values: [UInt8], shape: [Int], name: String = "array.npy") throws -> Data {
        var data = try preamble(descr: "|u1", shape: shape, count: values.count, name: name)
        data.append(contentsOf: values)
        return data
    }

    /// Magic, version and header, padded with spaces so the data starts on a 64-byte boundary as NumPy does.
    private static func preamble(descr: String, shape: [Int], count: Int, name: String) throws -> Data {
        guard let expected = elementCount(shape), expected == count else {
            throw DataError.invalidArgument(file: name, detail: "\(count) values do not fill shape \(shape)")
        }
        let dimensions = shape.map(String.init)
        let shapeText = shape.count == 1 ? "(\(dimensions[0]),)" : "(\(dimensions.joined(separator: ", ")))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        guard header.utf8.count <= Int(UInt16.max) else {
            throw DataError.invalidArgument(file: name, detail: "shape \(shape) does not fit a version 1.0 header")
        }
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        return data
    }
}
