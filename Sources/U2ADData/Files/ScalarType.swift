import Foundation

/// An element type stored in a file, with its size on disk.
enum ScalarType: Sendable, Equatable {
    case bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, bfloat16, float32, float64

    var byteCount: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }
}

/// Multiplies the dimensions of a shape, returning nil on a negative dimension or overflow.
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}

/// Number of bytes taken by `count` elements of `type`, or nil on overflow.
func byteCount(of count: Int, _ type: ScalarType) -> Int? {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: type.byteCount)
    return overflow ? nil : bytes
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func integer<T: FixedWidthInteger>(at offset: Int, as type: T.Type, bigEndian: Bool) -> T {
        let raw = loadUnaligned(fromByteOffset: offset, as: T.self)
        return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
    }
}

/// Decodes `count` elements of `type` starting at the beginning of `bytes` (which must hold them all).
func decodeScalars<T: BinaryFloatingPoint>(
    _ bytes: UnsafeRawBufferPointer, type: ScalarType, count: Int, bigEndian: Bool, as: T.Type
) -> [T] {
    [T](unsafeUninitializedCapacity: count) { out, initialized in
        switch type {
        case .bool:
            for i in 0..<count { out[i] = bytes[i] != 0 ? 1 : 0 }
        case .int8:
            for i in 0..<count { out[i] = T(Int8(bitPattern: bytes[i])) }
        case .uint8:
            for i in 0..<count { out[i] = T(bytes[i]) }
        case .int16:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 2, as: Int16.self, bigEndian: bigEndian)) }
        case .uint16:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 2, as: UInt16.self, bigEndian: bigEndian)) }
        case .int32:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 4, as: Int32.self, bigEndian: bigEndian)) }
        case .uint32:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 4, as: UInt32.self, bigEndian: bigEndian)) }
        case .int64:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 8, as: Int64.self, bigEndian: bigEndian)) }
        case .uint64:
            for i in 0..<count { out[i] = T(bytes.integer(at: i &* 8, as: UInt64.self, bigEndian: bigEndian)) }
        case .float16:
            for i in 0..<count {
                out[i] = T(floatFromHalfBits(bytes.integer(at: i &* 2, as: UInt16.self, bigEndian: bigEndian)))
            }
        case .bfloat16:
            for i in 0..<count {
                let bits = UInt32(bytes.integer(at: i &* 2, as: UInt16.self, bigEndian: bigEndian)) << 16
                out[i] = T(Float(bitPattern: bits))
            }
        case .float32:
            for i in 0..<count {
                out[i] = T(Float(bitPattern: bytes.integer(at: i &* 4, as: UInt32.self, bigEndian: bigEndian)))
            }
        case .float64:
            for i in 0..<count {
                out[i] = T(Double(bitPattern: bytes.integer(at: i &* 8, as: UInt64.self, bigEndian: bigEndian)))
            }
        }
        initialized = count
    }
}

/// Converts IEEE 754 half-precision bits to a Float (exact for every half value, NaN and infinities kept).
func floatFromHalfBits(_ half: UInt16) -> Float {
    let sign: UInt32 = UInt32(half & 0x8000) << 16
    let exponent = UInt32((half >> 10) & 0x1f)
    let mantissa = UInt32(half & 0x3ff)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1f {
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Appends the little-endian bytes of an array of fixed-width values.
func appendLittleEndian<T, Bits: FixedWidthInteger>(_ values: [T], to data: inout Data, bitPattern: (T) -> Bits) {
    if 1.littleEndian == 1 {
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        return
    }
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
    for value in values {
        withUnsafeBytes(of: bitPattern(value).littleEndian) { bytes.append(contentsOf: $0) }
    }
    data.append(contentsOf: bytes)
}
