import Foundation

extension SafeTensorsFile {
    /// Writes float32 tensors (C order), sorted by name with contiguous data, atomically.
    /// Reading the file back and writing it again gives identical bytes.
    public static func write(
        _ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:], to url: URL
    ) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata, name: url.displayName), to: url)
    }

    /// Writes float64 tensors (C order), sorted by name with contiguous data, atomically.
    public static func write(
        _ tensors: [(name: String, shape: [Int], values: [Double])], metadata: [String: String] = [:], to url: URL
    ) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata, name: url.displayName), to: url)
    }

    /// The `.safetensors` bytes for float32 tensors.
    public static func encode(
        _ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:],
        name: String = "tensors.safetensors"
    ) throws -> Data {
        let entries = tensors.map { tensor in
            Entry(name: tensor.name, shape: tensor.shape, count: tensor.values.count, dtype: .float32) { data in
                appendLittleEndian(tensor.values, to: &data) { $0.bitPattern }
            }
        }
        return try encode(entries, metadata: metadata, file: name)
    }

    /// The `.safetensors` bytes for float64 tensors.
    public static func encode(
        _ tensors: [(name: String, shape: [Int], values: [Double])], metadata: [String: String] = [:],
        name: String = "tensors.safetensors"
    ) throws -> Data {
        let entries = tensors.map { tensor in
            Entry(name: tensor.name, shape: tensor.shape, count: tensor.values.count, dtype: .float64) { data in
                appendLittleEndian(tensor.values, to: &data) { $0.bitPattern }
            }
        }
        return try encode(entries, metadata: metadata, file: name)
    }

    private struct Entry {
        var name: String
        var shape: [Int]
        var count: Int
        var dtype: DType
        var appendBytes: (inout Data) -> Void
    }

    /// Header as the reference implementation writes it (compact JSON, metadata first,
    /// padded with spaces to a multiple of 8 bytes), then the data in the same order.
    private static func encode(_ entries: [Entry], metadata: [String: String], file: String) throws -> Data {
        let sorted = entries.sorted { utf8Precedes($0.name, $1.name) }
        for (index, entry) in sorted.enumerated() {
            guard entry.name != "__metadata__" else {
                throw DataError.invalidArgument(file: file, detail: "'__metadata__' cannot be a tensor name")
            }
            if index > 0, sorted[index - 1].name == entry.name {
                throw DataError.invalidArgument(file: file, detail: "tensor '\(entry.name)' appears twice")
            }
            guard let expected = elementCount(entry.shape), expected == entry.count else {
                throw DataError.invalidArgument(
                    file: file, detail: "tensor '\(entry.name)' has \(entry.count) values, shape \(entry.shape)")
            }
        }
        var fields = [String]()
        if !metadata.isEmpty {
            let pairs = metadata.sorted { utf8Precedes($0.key, $1.key) }.map { "\(jsonQuoted($0.key)):\(jsonQuoted($0.value))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for entry in sorted {
            let end = offset + entry.count * entry.dtype.scalarType.byteCount
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonQuoted(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var data = Data()
        data.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for entry in sorted { entry.appendBytes(&data) }
        return data
    }
}
