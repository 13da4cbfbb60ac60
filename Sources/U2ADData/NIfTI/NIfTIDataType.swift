/// NIfTI voxel data types this library reads (codes from the NIfTI-1 standard).
public enum NIfTIDataType: Int, Sendable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64
    case int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280

    var scalarType: ScalarType {
        switch self {
        case .uint8: return .uint8
        case .int16: return .int16
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        case .int8: return .int8
        case .uint16: return .uint16
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        }
    }
}

/// Voxel types the NIfTI writer produces.
public enum NIfTIOutputType: Sendable {
    /// 32-bit float, values written as they are.
    case float32
    /// Unsigned byte: values are rounded and clamped to 0...255, NaN becomes 0 (for masks and label maps).
    case uint8
}
