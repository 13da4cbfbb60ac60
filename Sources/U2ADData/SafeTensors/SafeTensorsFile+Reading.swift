import Foundation

extension SafeTensorsFile {
    /// Largest header accepted, as in the reference implementation.
    static let maximumHeaderLength = 100_000_000

    /// Reads and validates a `.safetensors` file (memory-mapped when possible).
    public static func read(_ url: URL) throws -> SafeTensorsFile {
        try read(from: readFileContents(url), name: url.displayName)
    }

    /// Validates `.safetensors` bytes held in memory; `name` is used in error messages.
    public static func read(from data: Data, name: String) throws -> SafeTensorsFile {
        let data = data.startIndex == 0 ? data : Data(data)
        guard data.count >= 8 else {
            throw DataError.truncated(file: name, detail: "\(data.count) bytes, shorter than the 8-byte header length")
        }
        let declared = data.withUnsafeBytes { $0.integer(at: 0, as: UInt64.self, bigEndian: false) }
        guard declared <= UInt64(data.count - 8) else {
            throw DataError.truncated(file: name, detail: "header length \(declared) exceeds the \(data.count - 8) bytes after it")
        }
        let headerLength = Int(declared)
        guard headerLength <= maximumHeaderLength else {
            throw DataError.malformed(file: name, detail: "header length \(headerLength) exceeds \(maximumHeaderLength) bytes")
        }
        let dataStart = 8 + headerLength
        let dataLength = data.count - dataStart
        let entries: [String: JSONValue]
        do {
            entries = try JSONDecoder().decode([String: JSONValue].self, from: data.subdata(in: 8..<dataStart))
        } catch {
            throw DataError.malformed(file: name, detail: "header is not a JSON object")
        }

        var metadata = [String: String]()
        var tensors = [String: TensorInfo]()
        for (key, value) in entries {
            if key == "__metadata__" {
                metadata = try parseMetadata(value, file: name)
            } else {
                tensors[key] = try parseTensor(key, value, dataLength: dataLength, file: name)
            }
        }
        try checkLayout(tensors, dataLength: dataLength, file: name)
        return SafeTensorsFile(fileName: name, metadata: metadata, tensors: tensors, storage: data, dataStart: dataStart)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case let .object(fields) = value else {
            throw DataError.malformed(file: file, detail: "'__metadata__' is not an object")
        }
        var metadata = [String: String]()
        for (key, field) in fields {
            guard case let .string(text) = field else {
                throw DataError.malformed(file: file, detail: "'__metadata__' entry '\(key)' is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseTensor(_ name: String, _ value: JSONValue, dataLength: Int, file: String) throws -> TensorInfo {
        func fail(_ detail: String) -> DataError { .malformed(file: file, detail: "tensor '\(name)' \(detail)") }
        func integers(_ field: JSONValue?) -> [Int]? {
            guard case let .array(items)? = field else { return nil }
            var result = [Int]()
            for item in items {
                guard case let .integer(number) = item, number >= 0 else { return nil }
                result.append(number)
            }
            return result
        }
        guard case let .object(fields) = value else { throw fail("is not an object") }
        guard case let .string(dtypeName)? = fields["dtype"] else { throw fail("has no 'dtype' string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw DataError.unsupported(file: file, detail: "tensor '\(name)' has unknown dtype '\(dtypeName)'")
        }
        guard let shape = integers(fields["shape"]) else { throw fail("has no valid 'shape' (non-negative integers)") }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
            throw fail("has no valid 'data_offsets' (two non-negative integers)")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end, end <= dataLength else {
            throw fail("has data offsets [\(begin), \(end)] outside the \(dataLength)-byte data section")
        }
        guard let count = elementCount(shape), let needed = byteCount(of: count, dtype.scalarType) else {
            throw fail("has shape \(shape), too large")
        }
        try DataLimits.checkElements(count, "tensor '\(name)' of shape \(shape)", file: file)
        guard end - begin == needed else {
            throw fail("has data offsets [\(begin), \(end)] (\(end - begin) bytes) but shape \(shape) of \(dtypeName) needs \(needed) bytes")
        }
        return TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Tensors must tile the data section exactly: no overlap, no gap, nothing after the last one.
    private static func checkLayout(_ tensors: [String: TensorInfo], dataLength: Int, file: String) throws {
        let ordered = tensors.sorted { a, b in
            let (x, y) = (a.value.dataOffsets, b.value.dataOffsets)
            if x.lowerBound != y.lowerBound { return x.lowerBound < y.lowerBound }
            if x.upperBound != y.upperBound { return x.upperBound < y.upperBound }
            return utf8Precedes(a.key, b.key)
        }
        var position = 0
        var previous: String?
        for (name, info) in ordered {
            if info.dataOffsets.lowerBound < position, let previous {
                throw DataError.malformed(file: file, detail: "tensors '\(previous)' and '\(name)' overlap in the data section")
            }
            if info.dataOffsets.lowerBound > position {
                throw DataError.malformed(
                    file: file, detail: "data section has unused bytes \(position)..<\(info.dataOffsets.lowerBound) before tensor '\(name)'")
            }
            position = info.dataOffsets.upperBound
            previous = name
        }
        guard position == dataLength else {
            throw DataError.malformed(file: file, detail: "data section has \(dataLength - position) bytes after the last tensor")
        }
    }
}
