import Foundation

extension NIfTIVolume {
    /// Writes a single-file NIfTI-1 image atomically, gzip-compressed when the path ends in `.gz`.
    /// The geometry (qform, sform, pixdim, units) is copied, so readers place it exactly like the source.
    public func write(to url: URL, as type: NIfTIOutputType = .float32) throws {
        let compressed = url.pathExtension.lowercased() == "gz"
        try AtomicFile.write(encoded(as: type, compressed: compressed, name: url.displayName), to: url)
    }

    /// The bytes of a little-endian single-file NIfTI-1 image (352-byte header, then voxels).
    public func encoded(as type: NIfTIOutputType = .float32, compressed: Bool = false, name: String? = nil) throws -> Data {
        let fileName = name ?? self.name
        guard shape.count == 3, let count = elementCount(shape), count == data.count,
              shape.allSatisfy({ (1...Int(Int16.max)).contains($0) }), geometry.hasHeaderSizes else {
            throw DataError.invalidArgument(
                file: fileName,
                detail: "cannot write shape \(shape) with \(data.count) values as NIfTI-1 (or geometry arrays have the wrong sizes)")
        }
        var header = [UInt8](repeating: 0, count: 352)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        func putFloat(_ value: Double, at offset: Int) { put(Float(value).bitPattern, at: offset) }

        put(Int32(348), at: 0)
        header[39] = geometry.dimInfo
        for (index, value) in ([3] + shape + [1, 1, 1, 1]).enumerated() { put(Int16(value), at: 40 + 2 * index) }
        put(Int16(type == .float32 ? 16 : 2), at: 70)
        put(Int16(type == .float32 ? 32 : 8), at: 72)
        let pixdim = [geometry.qfac] + geometry.spacing + Array(geometry.pixdim.dropFirst(4).prefix(4))
        for (index, value) in pixdim.enumerated() { putFloat(value, at: 76 + 4 * index) }
        putFloat(352, at: 108)
        putFloat(1, at: 112)
        header[123] = UInt8(truncatingIfNeeded: geometry.xyztUnits)
        let description = Array(headerDescription.utf8.prefix(79))
        header.replaceSubrange(148..<(148 + description.count), with: description)
        put(Int16(clamping: geometry.qformCode), at: 252)
        put(Int16(clamping: geometry.sformCode), at: 254)
        for index in 0..<3 {
            putFloat(geometry.quaternion[index], at: 256 + 4 * index)
            putFloat(geometry.qoffset[index], at: 268 + 4 * index)
            for column in 0..<4 { putFloat(geometry.sform[index][column], at: 280 + 16 * index + 4 * column) }
        }
        header.replaceSubrange(344..<348, with: Array("n+1\0".utf8))

        var file = Data(header)
        switch type {
        case .float32:
            appendLittleEndian(data, to: &file) { $0.bitPattern }
        case .uint8:
            file.append(contentsOf: data.map { $0.isNaN ? 0 : UInt8(min(max($0, 0), 255).rounded()) })
        }
        return compressed ? try Gzip.compress(file, name: fileName) : file
    }
}
