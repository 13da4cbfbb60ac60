import CZlib
import Foundation

/// The size and CRC-32 (zlib's, as gzip and PNG use) of a file: detects any flipped bit, any burst of up to 32
/// damaged bits and any truncation.
public struct FileChecksum: Codable, Equatable, Sendable {
    public var bytes: Int
    /// Eight lowercase hexadecimal digits.
    public var crc32: String

    /// The checksum of the file at `url`, read in 1 MiB pieces.
    public init(of url: URL) throws {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw DataError.unreadable(file: url.displayName, reason: fileErrorReason(error, path: url.path))
        }
        defer { try? handle.close() }
        var crc = CZlib.crc32(0, nil, 0), total = 0
        while true {
            let piece: Data
            do { piece = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DataError.unreadable(file: url.displayName, reason: fileErrorReason(error, path: url.path))
            }
            if piece.isEmpty { break }
            total += piece.count
            crc = piece.withUnsafeBytes { CZlib.crc32(crc, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
        }
        bytes = total
        crc32 = String(format: "%08x", UInt32(truncatingIfNeeded: crc))
    }
}
