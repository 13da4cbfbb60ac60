import CZlib
import Foundation

/// gzip compression and streaming decompression through zlib.
enum Gzip {
    /// True when the bytes start with the gzip magic number.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Largest expansion deflate can achieve; used to reject headers that declare more data than a file can hold.
    static let maximumExpansion = 1032

    /// Compresses `data` into a single gzip member.
    static func compress(_ data: Data, level: Int32 = 6, name: String) throws -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.unwritable(file: name, reason: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        let status: Int32 = data.withUnsafeBytes { input in
            var remaining = input.count
            var next = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
            var result = Z_OK
            repeat {
                let take = min(remaining, Int(UInt32.max / 2))
                stream.next_in = next
                stream.avail_in = uInt(take)
                remaining -= take
                let flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH
                repeat {
                    result = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(chunk)
                        let code = deflate(&stream, flush)
                        output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
                        return code
                    }
                } while stream.avail_out == 0 && result == Z_OK
                next = stream.next_in
            } while remaining > 0 && result == Z_OK
            return result
        }
        guard status == Z_STREAM_END else {
            throw DataError.unwritable(file: name, reason: "zlib deflate failed (code \(status))")
        }
        return output
    }
}

/// Decompresses a gzip file (one or more members) on demand, so callers can stop after the bytes they need.
/// Any corrupt or truncated stream is reported as a `DataError`; every call makes progress or fails.
final class GzipReader {
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var consumed = 0
    private var finished = false
    private let name: String

    init(_ compressed: Data, name: String) throws {
        self.name = name
        input = .allocate(byteCount: max(compressed.count, 1), alignment: 1)
        compressed.withUnsafeBytes { input.copyMemory(from: $0) }
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            input.deallocate()
            throw DataError.unreadable(file: name, reason: "zlib inflateInit2 failed")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Fills `buffer` and returns how many bytes were written; fewer than requested only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        while produced < buffer.count && !finished {
            if stream.avail_in == 0 {
                let take = min(input.count - consumed, Int(UInt32.max / 2))
                stream.next_in = input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(take)
                consumed += take
            }
            let room = min(buffer.count - produced, Int(UInt32.max / 2))
            stream.next_out = buffer.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(room)
            let code = inflate(&stream, Z_NO_FLUSH)
            produced += room - Int(stream.avail_out)
            switch code {
            case Z_OK:
                continue
            case Z_STREAM_END:
                try startNextMemberIfAny()
            case Z_BUF_ERROR where stream.avail_in == 0 && consumed < input.count:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw DataError.truncated(file: name, detail: "gzip stream ends unexpectedly")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "code \(code)"
                throw DataError.malformed(file: name, detail: "corrupt gzip stream (\(message))")
            }
        }
        return produced
    }

    /// Reads up to `count` bytes, growing the result only as data actually arrives.
    func read(count: Int) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(min(count, 1 << 24))
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while result.count < count {
            let want = min(count - result.count, chunk.count)
            let got = try chunk.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            result.append(contentsOf: chunk[0..<got])
            if got < want { break }
        }
        return result
    }

    /// Discards up to `limit` further bytes so that zlib verifies the member's CRC and length.
    func drain(limit: Int) throws {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var left = limit
        while left > 0 && !finished {
            let want = min(left, scratch.count)
            let got = try scratch.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            left -= got
            if got < want { break }
        }
    }

    /// After a member ends: continue with a following gzip member, or stop (trailing bytes that are not gzip are ignored).
    private func startNextMemberIfAny() throws {
        let pending = Int(stream.avail_in)
        let nextOffset = consumed - pending
        guard nextOffset + 2 <= input.count,
              input[nextOffset] == 0x1f, input[nextOffset + 1] == 0x8b else {
            finished = true
            return
        }
        guard inflateReset(&stream) == Z_OK else {
            throw DataError.malformed(file: name, detail: "corrupt gzip stream (cannot restart)")
        }
    }
}
