import Foundation

/// The fields of a NIfTI-1 or NIfTI-2 header that this library uses, decoded from either byte order.
struct NIfTIHeader {
    var version: Int
    var bigEndian: Bool
    var dim: [Int]
    var datatype: Int
    var pixdim: [Double]
    var voxOffset: Double
    var sclSlope: Double
    var sclInter: Double
    var qformCode: Int
    var sformCode: Int
    var quaternion: [Double]
    var qoffset: [Double]
    var sform: [[Double]]
    var xyztUnits: Int
    var dimInfo: UInt8
    var descrip: String
    var magic: [UInt8]

    static let version1Size = 348
    static let version2Size = 540

    /// Header size announced by the first four bytes (348 or 540), and the byte order that gives it.
    static func announcedSize(_ bytes: UnsafeRawBufferPointer) -> (size: Int, bigEndian: Bool)? {
        guard bytes.count >= 4 else { return nil }
        for bigEndian in [false, true] {
            let size = Int(bytes.integer(at: 0, as: Int32.self, bigEndian: bigEndian))
            if size == version1Size || size == version2Size { return (size, bigEndian) }
        }
        return nil
    }

    /// Decodes a header; `bytes` must hold at least the size `announcedSize` returned.
    init(_ bytes: UnsafeRawBufferPointer, size: Int, bigEndian: Bool) {
        func i16(_ o: Int) -> Int { Int(bytes.integer(at: o, as: Int16.self, bigEndian: bigEndian)) }
        func i32(_ o: Int) -> Int { Int(bytes.integer(at: o, as: Int32.self, bigEndian: bigEndian)) }
        func i64(_ o: Int) -> Int { Int(bytes.integer(at: o, as: Int64.self, bigEndian: bigEndian)) }
        func f32(_ o: Int) -> Double { Double(Float(bitPattern: bytes.integer(at: o, as: UInt32.self, bigEndian: bigEndian))) }
        func f64(_ o: Int) -> Double { Double(bitPattern: bytes.integer(at: o, as: UInt64.self, bigEndian: bigEndian)) }
        func text(_ o: Int, _ length: Int) -> String {
            let raw = bytes[o..<(o + length)].prefix { $0 != 0 }
            return String(decoding: raw, as: UTF8.self)
        }
        self.bigEndian = bigEndian
        if size == NIfTIHeader.version1Size {
            version = 1
            dimInfo = bytes[39]
            dim = (0..<8).map { i16(40 + 2 * $0) }
            datatype = i16(70)
            pixdim = (0..<8).map { f32(76 + 4 * $0) }
            voxOffset = f32(108)
            sclSlope = f32(112)
            sclInter = f32(116)
            xyztUnits = Int(bytes[123])
            descrip = text(148, 80)
            qformCode = i16(252)
            sformCode = i16(254)
            quaternion = (0..<3).map { f32(256 + 4 * $0) }
            qoffset = (0..<3).map { f32(268 + 4 * $0) }
            sform = (0..<3).map { row in (0..<4).map { f32(280 + 16 * row + 4 * $0) } }
            magic = Array(bytes[344..<348])
        } else {
            version = 2
            magic = Array(bytes[4..<12])
            datatype = i16(12)
            dim = (0..<8).map { i64(16 + 8 * $0) }
            pixdim = (0..<8).map { f64(104 + 8 * $0) }
            voxOffset = Double(i64(168))
            sclSlope = f64(176)
            sclInter = f64(184)
            descrip = text(240, 80)
            qformCode = i32(344)
            sformCode = i32(348)
            quaternion = (0..<3).map { f64(352 + 8 * $0) }
            qoffset = (0..<3).map { f64(376 + 8 * $0) }
            sform = (0..<3).map { row in (0..<4).map { f64(400 + 32 * row + 8 * $0) } }
            xyztUnits = i32(500)
            dimInfo = bytes[524]
        }
    }

    /// Where and how the voxels are stored, after checking every field against the standard.
    struct Layout {
        var shape: [Int]
        var count: Int
        var dataType: NIfTIDataType
        var dataOffset: Int
        var dataBytes: Int
        /// `(slope, intercept)` when the values must be scaled.
        var scaling: (slope: Double, intercept: Double)?
    }

    func layout(name: String) throws -> Layout {
        let headerSize = version == 1 ? NIfTIHeader.version1Size : NIfTIHeader.version2Size
        try checkMagic(name: name)
        let rank = dim[0]
        guard (1...7).contains(rank) else {
            throw DataError.malformed(file: name, detail: "dim[0] is \(rank), expected 1 to 7")
        }
        for axis in 1...rank where dim[axis] < 1 {
            throw DataError.malformed(file: name, detail: "dim[\(axis)] is \(dim[axis]), dimensions must be positive")
        }
        if rank > 3, let axis = (4...rank).first(where: { dim[$0] != 1 }) {
            throw DataError.unsupported(file: name, detail: "dim[\(axis)] is \(dim[axis]), only 3-D volumes are read")
        }
        let shape = (1...3).map { $0 <= rank ? dim[$0] : 1 }
        guard let dataType = NIfTIDataType(rawValue: datatype) else {
            throw DataError.unsupported(file: name, detail: "NIfTI datatype code \(datatype)")
        }
        guard let count = elementCount(shape), let dataBytes = byteCount(of: count, dataType.scalarType) else {
            throw DataError.malformed(file: name, detail: "dimensions \(shape) are too large")
        }
        try DataLimits.checkElements(count, "shape \(shape)", file: name)
        // The decoded voxels (float32) and, for a gzip file, the decompressed bytes they come from.
        try MemoryBudget.check(count * 4 + dataBytes, for: "shape \(shape)", file: name)
        guard voxOffset.isFinite, voxOffset >= 0, voxOffset < 0x1p53 else {
            throw DataError.malformed(file: name, detail: "vox_offset is \(voxOffset)")
        }
        let minimumOffset = headerSize + 4
        let dataOffset = max(Int(voxOffset), minimumOffset)
        var scaling: (Double, Double)?
        if sclSlope.isFinite, sclSlope != 0 {
            guard sclInter.isFinite else {
                throw DataError.malformed(file: name, detail: "scl_inter is \(sclInter) with scl_slope \(sclSlope)")
            }
            if sclSlope != 1 || sclInter != 0 { scaling = (sclSlope, sclInter) }
        }
        return Layout(shape: shape, count: count, dataType: dataType, dataOffset: dataOffset,
                      dataBytes: dataBytes, scaling: scaling)
    }

    private func checkMagic(name: String) throws {
        let single: [UInt8] = version == 1 ? Array("n+1\0".utf8) : Array("n+2\0\r\n\u{1a}\n".utf8)
        let pair: [UInt8] = version == 1 ? Array("ni1\0".utf8) : Array("ni2\0\r\n\u{1a}\n".utf8)
        if magic == single { return }
        if magic.prefix(4) == pair.prefix(4) {
            throw DataError.unsupported(file: name, detail: "NIfTI header/image pair (.hdr/.img); convert to a single .nii")
        }
        let shown = magic.prefix(4).map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
        throw DataError.malformed(file: name, detail: "bad NIfTI-\(version) magic '\(shown)'")
    }

    var geometry: NIfTIGeometry {
        NIfTIGeometry(qformCode: qformCode, sformCode: sformCode, quaternion: quaternion, qoffset: qoffset,
                      pixdim: pixdim, sform: sform, xyztUnits: xyztUnits, dimInfo: dimInfo)
    }
}
