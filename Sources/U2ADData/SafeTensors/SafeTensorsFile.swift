import Foundation

/// A `.safetensors` file: a little-endian u64 header length, a JSON header, then the tensor data.
///
/// Reading validates the whole header up front (lengths, dtypes, offsets against shapes and the
/// data section), so the accessors only fail for unknown names or shape mismatches.
public struct SafeTensorsFile: Sendable {
    /// Element types defined by the safetensors format that this reader converts.
    public enum DType: String, Sendable, CaseIterable {
        case float64 = "F64", float32 = "F32", float16 = "F16", bfloat16 = "BF16"
        case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8"
        case uint64 = "U64", uint32 = "U32", uint16 = "U16", uint8 = "U8"
        case bool = "BOOL"

        var scalarType: ScalarType {
            switch self {
            case .float64: return .float64
            case .float32: return .float32
            case .float16: return .float16
            case .bfloat16: return .bfloat16
            case .int64: return .int64
            case .int32: return .int32
            case .int16: return .int16
            case .int8: return .int8
            case .uint64: return .uint64
            case .uint32: return .uint32
            case .uint16: return .uint16
            case .uint8: return .uint8
            case .bool: return .bool
            }
        }
    }

    /// Where one tensor lives in the data section.
    public struct TensorInfo: Equatable, Sendable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range relative to the start of the data section.
        public var dataOffsets: Range<Int>
    }

    /// The file name used in error messages.
    public let fileName: String
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor in the file, by name.
    public let tensors: [String: TensorInfo]
    /// The whole file; the data section starts at `dataStart`.
    let storage: Data
    let dataStart: Int

    /// Tensor names in sorted (byte-wise) order.
    public var names: [String] { tensors.keys.sorted(by: utf8Precedes) }

    /// The shape of a tensor, or nil when there is no tensor of that name.
    public func shape(_ name: String) -> [Int]? { tensors[name]?.shape }

    /// The stored element type of a tensor, or nil when there is no tensor of that name.
    public func dtype(_ name: String) -> DType? { tensors[name]?.dtype }

    /// A tensor's values converted to Float, in C order.
    public func floats(_ name: String) throws -> [Float] { try values(name, as: Float.self) }

    /// A tensor's values converted to Float, after checking its shape is `expected`.
    public func floats(_ name: String, shape expected: [Int]) throws -> [Float] {
        try checkShape(name, expected)
        return try values(name, as: Float.self)
    }

    /// A tensor's values converted to Double, in C order.
    public func doubles(_ name: String) throws -> [Double] { try values(name, as: Double.self) }

    /// A tensor's values converted to Double, after checking its shape is `expected`.
    public func doubles(_ name: String, shape expected: [Int]) throws -> [Double] {
        try checkShape(name, expected)
        return try values(name, as: Double.self)
    }

    private func checkShape(_ name: String, _ expected: [Int]) throws {
        guard let info = tensors[name] else { throw DataError.missingTensor(file: fileName, tensor: name) }
        guard info.shape == expected else {
            throw DataError.shapeMismatch(file: fileName, tensor: name, shape: info.shape, expected: expected)
        }
    }

    private func values<T: BinaryFloatingPoint>(_ name: String, as type: T.Type) throws -> [T] {
        guard let info = tensors[name] else { throw DataError.missingTensor(file: fileName, tensor: name) }
        let count = info.dataOffsets.count / info.dtype.scalarType.byteCount
        let range = (dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)
        return storage.withUnsafeBytes { bytes in
            let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
            return decodeScalars(slice, type: info.dtype.scalarType, count: count, bigEndian: false, as: T.self)
        }
    }
}

/// Byte-wise UTF-8 ordering, the order the reference safetensors implementation uses for names.
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
