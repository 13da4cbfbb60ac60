import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported element types: float64, float32, float16, int8/16/32/64, uint8/16/32/64 and bool,
/// in either byte order and in C or Fortran order. Readers always return values in C order.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
}

/// The parsed header of an `.npy` file.
public struct NPYHeader: Equatable, Sendable {
    /// The NumPy type string, e.g. `"<f8"`.
    public var descr: String
    /// True when the data is stored in Fortran (column-major) order.
    public var fortranOrder: Bool
    /// The array shape; empty for a 0-d array.
    public var shape: [Int]
    /// Format version `(major, minor)`.
    public var version: (major: Int, minor: Int)
    /// Byte offset of the first element.
    public var dataOffset: Int

    public static func == (a: NPYHeader, b: NPYHeader) -> Bool {
        a.descr == b.descr && a.fortranOrder == b.fortranOrder && a.shape == b.shape
            && a.version == b.version && a.dataOffset == b.dataOffset
    }
}
