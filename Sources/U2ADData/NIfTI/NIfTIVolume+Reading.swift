import Foundation

extension NIfTIVolume {
    /// Reads a NIfTI-1 or NIfTI-2 file, `.nii` or gzip-compressed `.nii.gz` (detected from the content).
    public static func read(_ url: URL) throws -> NIfTIVolume {
        try read(from: readFileContents(url), name: url.displayName)
    }

    /// Decodes NIfTI bytes held in memory (plain or gzip); `name` is used in error messages.
    public static func read(from data: Data, name: String) throws -> NIfTIVolume {
        if Gzip.isCompressed(data) { return try readCompressed(data, name: name) }
        return try data.withUnsafeBytes { bytes in
            guard let (size, bigEndian) = NIfTIHeader.announcedSize(bytes) else {
                throw notNIfTI(bytes, name: name)
            }
            guard bytes.count >= size else {
                throw DataError.truncated(file: name, detail: "\(bytes.count) bytes, shorter than the \(size)-byte header")
            }
            let header = NIfTIHeader(bytes, size: size, bigEndian: bigEndian)
            let layout = try header.layout(name: name)
            guard layout.dataOffset <= bytes.count else {
                throw DataError.malformed(
                    file: name, detail: "vox_offset \(layout.dataOffset) is beyond the end of the file (\(bytes.count) bytes)")
            }
            guard layout.dataBytes <= bytes.count - layout.dataOffset else {
                throw DataError.truncated(
                    file: name,
                    detail: "shape \(layout.shape) needs \(layout.dataBytes) bytes of voxel data, file has \(bytes.count - layout.dataOffset)")
            }
            let voxels = UnsafeRawBufferPointer(rebasing: bytes[layout.dataOffset..<(layout.dataOffset + layout.dataBytes)])
            return makeVolume(header, layout, voxels, name: name)
        }
    }

    private static func readCompressed(_ data: Data, name: String) throws -> NIfTIVolume {
        let reader = try GzipReader(data, name: name)
        var headerBytes = try reader.read(count: NIfTIHeader.version1Size)
        let announced = headerBytes.withUnsafeBytes { NIfTIHeader.announcedSize($0) }
        guard let (size, bigEndian) = announced else {
            throw headerBytes.withUnsafeBytes { notNIfTI($0, name: name) }
        }
        if size > headerBytes.count { headerBytes += try reader.read(count: size - headerBytes.count) }
        guard headerBytes.count >= size else {
            throw DataError.truncated(file: name, detail: "decompressed data ends inside the \(size)-byte header")
        }
        let header = headerBytes.withUnsafeBytes { NIfTIHeader($0, size: size, bigEndian: bigEndian) }
        let layout = try header.layout(name: name)
        let capacity = data.count.multipliedReportingOverflow(by: Gzip.maximumExpansion).partialValue
        guard layout.dataOffset <= capacity, layout.dataBytes <= capacity - layout.dataOffset else {
            throw DataError.malformed(
                file: name,
                detail: "header declares \(layout.dataBytes) bytes of voxel data at offset \(layout.dataOffset), more than a \(data.count)-byte gzip file can hold")
        }
        let skipped = try reader.read(count: layout.dataOffset - size)
        guard skipped.count == layout.dataOffset - size else {
            throw DataError.malformed(file: name, detail: "vox_offset \(layout.dataOffset) is beyond the end of the decompressed data")
        }
        let voxels = try reader.read(count: layout.dataBytes)
        guard voxels.count == layout.dataBytes else {
            throw DataError.truncated(
                file: name,
                detail: "shape \(layout.shape) needs \(layout.dataBytes) bytes of voxel data, decompressed file has \(voxels.count)")
        }
        try reader.drain(limit: 1 << 20)
        return voxels.withUnsafeBytes { makeVolume(header, layout, $0, name: name) }
    }

    private static func makeVolume(
        _ header: NIfTIHeader, _ layout: NIfTIHeader.Layout, _ voxels: UnsafeRawBufferPointer, name: String
    ) -> NIfTIVolume {
        var values = decodeScalars(voxels, type: layout.dataType.scalarType, count: layout.count,
                                   bigEndian: header.bigEndian, as: Float.self)
        if let (slope, intercept) = layout.scaling {
            for i in values.indices { values[i] = Float(Double(values[i]) * slope + intercept) }
        }
        return NIfTIVolume(
            shape: layout.shape, data: values, geometry: header.geometry, sourceDataType: layout.dataType,
            headerDescription: header.descrip, name: name)
    }

    private static func notNIfTI(_ bytes: UnsafeRawBufferPointer, name: String) -> DataError {
        guard bytes.count >= 4 else {
            return .truncated(file: name, detail: "\(bytes.count) bytes, shorter than a NIfTI header")
        }
        let size = bytes.integer(at: 0, as: Int32.self, bigEndian: false)
        return .malformed(file: name, detail: "not a NIfTI file (sizeof_hdr is \(size), expected 348 or 540)")
    }

    init(shape: [Int], data: [Float], geometry: NIfTIGeometry, sourceDataType: NIfTIDataType,
         headerDescription: String, name: String) {
        self.shape = shape
        self.data = data
        self.geometry = geometry
        self.sourceDataType = sourceDataType
        self.headerDescription = headerDescription
        self.name = name
    }
}
