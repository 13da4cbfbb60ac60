import Foundation

extension NPY {
    /// Reads an `.npy` file of any supported numeric type as Float, in C order.
    public static func readFloats(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        try readFloats(from: readFileContents(url), name: url.displayName)
    }

    /// Reads an `.npy` file of any supported numeric type as Double, in C order.
    public static func readDoubles(_ url: URL) throws -> (shape: [Int], values: [Double]) {
        try readDoubles(from: readFileContents(url), name: url.displayName)
    }

    /// Decodes `.npy` bytes as Float in C order; `name` is used in error messages.
    public static func readFloats(from data: Data, name: String) throws -> (shape: [Int], values: [Float]) {
        try decode(data, name: name, as: Float.self)
    }

    /// Decodes `.npy` bytes as Double in C order; `name` is used in error messages.
    public static func readDoubles(from data: Data, name: String) throws -> (shape: [Int], values: [Double]) {
        try decode(data, name: name, as: Double.self)
    }

    /// Reads only the header of an `.npy` file held in memory, validating that the data it declares is present.
    public static func readHeader(from data: Data, name: String) throws -> NPYHeader {
        try data.withUnsafeBytes { try parseHeader($0, name: name).header }
    }

    private static func decode<T: BinaryFloatingPoint>(
        _ data: Data, name: String, as type: T.Type
    ) throws -> (shape: [Int], values: [T]) {
        try data.withUnsafeBytes { bytes in
            let (header, scalar, bigEndian, count) = try parseHeader(bytes, name: name)
            // The values, and their C-order copy for a Fortran-order array.
            try MemoryBudget.check(count * MemoryLayout<T>.stride * (header.fortranOrder ? 2 : 1), for: "shape \(header.shape)", file: name)
            let payload = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
            let stored = decodeScalars(payload, type: scalar, count: count, bigEndian: bigEndian, as: T.self)
            let values = header.fortranOrder ? fortranToC(stored, shape: header.shape) : stored
            return (header.shape, values)
        }
    }

    private static func parseHeader(
        _ bytes: UnsafeRawBufferPointer, name: String
    ) throws -> (header: NPYHeader, scalar: ScalarType, bigEndian: Bool, count: Int) {
        guard bytes.count >= 10 else {
            throw DataError.truncated(file: name, detail: "\(bytes.count) bytes, shorter than the .npy preamble")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw DataError.malformed(file: name, detail: "not a .npy file (bad magic)")
        }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        let preamble: Int, headerLength: Int
        switch major {
        case 1:
            preamble = 10
            headerLength = Int(bytes.integer(at: 8, as: UInt16.self, bigEndian: false))
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DataError.truncated(file: name, detail: "\(bytes.count) bytes, shorter than the .npy preamble")
            }
            preamble = 12
            headerLength = Int(bytes.integer(at: 8, as: UInt32.self, bigEndian: false))
        default:
            throw DataError.unsupported(file: name, detail: ".npy format version \(major).\(minor)")
        }
        guard headerLength <= DataLimits.maximumNPYHeaderLength else {
            throw DataError.unsupported(
                file: name, detail: "header length \(headerLength) is more than the limit of \(DataLimits.maximumNPYHeaderLength) bytes")
        }
        let dataOffset = preamble + headerLength
        guard dataOffset <= bytes.count else {
            throw DataError.truncated(file: name, detail: "header declares \(headerLength) bytes but the file is \(bytes.count) bytes")
        }
        let headerBytes = bytes[preamble..<dataOffset]
        let text = major == 3
            ? String(decoding: headerBytes, as: UTF8.self)
            : String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        guard case let .dictionary(entries)? = PythonLiteral.parse(text) else {
            throw DataError.malformed(file: name, detail: "header is not a Python dictionary literal")
        }
        func entry(_ key: String) throws -> PythonLiteral {
            guard let found = entries.first(where: { $0.key == .string(key) }) else {
                throw DataError.malformed(file: name, detail: "header has no '\(key)' entry")
            }
            return found.value
        }
        let descr: String
        switch try entry("descr") {
        case let .string(value): descr = value
        case .list: throw DataError.unsupported(file: name, detail: "structured dtype")
        default: throw DataError.malformed(file: name, detail: "header 'descr' is not a string")
        }
        guard case let .boolean(fortranOrder) = try entry("fortran_order") else {
            throw DataError.malformed(file: name, detail: "header 'fortran_order' is not True or False")
        }
        var shape = [Int]()
        switch try entry("shape") {
        case let .tuple(items), let .list(items):
            for item in items {
                guard case let .integer(dimension) = item, dimension >= 0 else {
                    throw DataError.malformed(file: name, detail: "header 'shape' holds a value that is not a non-negative integer")
                }
                shape.append(dimension)
            }
        default:
            throw DataError.malformed(file: name, detail: "header 'shape' is not a tuple")
        }
        guard let (scalar, bigEndian) = scalarType(descr: descr) else {
            let kind = descr.contains("O") ? "object dtype '\(descr)'" : "dtype '\(descr)'"
            throw DataError.unsupported(file: name, detail: kind)
        }
        guard let count = elementCount(shape), let dataBytes = byteCount(of: count, scalar) else {
            throw DataError.malformed(file: name, detail: "shape \(shape) is too large")
        }
        try DataLimits.checkElements(count, "shape \(shape)", file: name)
        guard dataBytes <= bytes.count - dataOffset else {
            throw DataError.truncated(
                file: name,
                detail: "shape \(shape) of '\(descr)' needs \(dataBytes) data bytes, file has \(bytes.count - dataOffset)")
        }
        let header = NPYHeader(
            descr: descr, fortranOrder: fortranOrder, shape: shape, version: (major, minor), dataOffset: dataOffset)
        return (header, scalar, bigEndian, count)
    }

    /// Maps a NumPy type string such as `"<f4"` to an element type and byte order.
    static func scalarType(descr: String) -> (ScalarType, bigEndian: Bool)? {
        var code = Substring(descr)
        var bigEndian = false
        if let first = code.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            code = code.dropFirst()
        }
        let types: [Substring: ScalarType] = [
            "f8": .float64, "f4": .float32, "f2": .float16,
            "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
            "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64,
            "b1": .bool, "?": .bool,
        ]
        guard let type = types[code] else { return nil }
        return (type, bigEndian)
    }
}

/// Reorders values stored in Fortran order (first index fastest) into C order (last index fastest).
func fortranToC<T>(_ values: [T], shape: [Int]) -> [T] {
    guard shape.count > 1, !values.isEmpty else { return values }
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    var source = 0
    let last = shape.count - 1
    return [T](unsafeUninitializedCapacity: values.count) { out, initialized in
        for destination in 0..<values.count {
            (out.baseAddress! + destination).initialize(to: values[source])
            var axis = last
            while axis >= 0 {
                index[axis] += 1
                source += fortranStrides[axis]
                if index[axis] < shape[axis] { break }
                source -= fortranStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        initialized = values.count
    }
}
