import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bounds every reader checks before it allocates or converts a value (see docs/limits.md). A value beyond one
/// is a one-line `DataError` naming the file, the value and the limit.
public enum DataLimits {
    /// Most elements in one array read from a file: a NIfTI volume's voxels, an `.npy` array, a safetensors tensor
    /// (2^28, 1 GiB as float32; a 512 x 512 x 1024 volume).
    public static let maximumElements = 1 << 28
    /// Longest `.npy` header (NumPy's own `max_header_size`).
    public static let maximumNPYHeaderLength = 10_000
    /// Voxel sizes the preprocessing resamples from, in millimetres.
    public static let voxelSizeMM: ClosedRange<Double> = 1e-3...100
    /// Longest side of a slice once resampled to the target spacing, in pixels.
    public static let maximumResampledSide = 8192

    /// Throws when `count` elements of `what` exceed ``maximumElements``.
    static func checkElements(_ count: Int, _ what: String, file: String) throws {
        guard count <= maximumElements else {
            throw DataError.unsupported(file: file, detail: "\(what) has \(count) elements, more than the limit of \(maximumElements) (2^28)")
        }
    }
}

/// What the host can still give, so that a volume or a model is refused with a message rather than allocated
/// until the process is killed.
public enum MemoryBudget {
    /// Bytes the system can still allocate: `MemAvailable` of /proc/meminfo, lowered to the cgroup's limit less its
    /// usage when the process runs in a memory-limited cgroup; nil where neither is known (then nothing is refused).
    public static var available: Int? {
        var result: Int?
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            result = kilobytes.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kilobytes * 1024
        }
        func number(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let limit = number("/sys/fs/cgroup/memory.max"), let used = number("/sys/fs/cgroup/memory.current") {
            result = min(result ?? Int.max, max(limit - used, 0))
        }
        return result
    }

    /// Throws when `bytes` exceed the memory available; `what` says what needs them (e.g. "shape [800, 800, 800]").
    public static func check(_ bytes: Int, for what: String, file: String) throws {
        guard let available, bytes > available else { return }
        throw DataError.unsupported(file: file, detail: "\(what) needs \(byteText(bytes)) of memory, only \(byteText(available)) is available")
    }

    /// `1.50 GiB`.
    static func byteText(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.2f GiB", gib) : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}

/// The one rule for label values, the same in every command: a stored label (a float in `.npy` and NIfTI files) is
/// the nearest integer to it; NaN, infinities and values of magnitude 2^31 or more are not labels.
public enum LabelRule {
    /// Magnitude a label must stay below.
    public static let limit: Float = 2_147_483_648

    /// The label a stored value stands for, or nil for a value no label can have.
    @inline(__always)
    public static func value(_ x: Float) -> Int? {
        guard x.isFinite, abs(x) < limit else { return nil }
        return Int(x.rounded())
    }

    /// Throws, naming `file` and the first offending element, when a value of `labels` is not a label.
    public static func check(_ labels: [Float], file: String, what: String = "label") throws {
        guard let index = labels.firstIndex(where: { value($0) == nil }) else { return }
        throw DataError.malformed(
            file: file,
            detail: "\(what) value \(labels[index]) at element \(index) is not a label (labels must be finite numbers of magnitude below 2^31; they are rounded to the nearest integer)")
    }

    /// The distinct labels of `labels` other than 0, sorted (values that are not labels are left out).
    public static func distinct(_ labels: [Float]) -> [Int] {
        var seen = Set<Int>()
        for x in labels where x != 0 { if let label = value(x), label != 0 { seen.insert(label) } }
        return seen.sorted()
    }
}

/// A sentence for a file-system error about `path`, never Foundation's raw domain and code.
public func fileErrorReason(_ error: Error, path: String) -> String {
    var isFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code))).lowercased()
    }
    if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))).lowercased() }
    switch CocoaError.Code(rawValue: nsError.domain == NSCocoaErrorDomain ? nsError.code : -1) {
    case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
    case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
    case .fileWriteFileExists: return isFolder.boolValue ? "a folder of that name is in the way" : "a file of that name is in the way"
    case .fileWriteOutOfSpace: return "no space left on the device"
    case .fileWriteVolumeReadOnly: return "the file system is read-only"
    default:
        if exists && isFolder.boolValue { return "is a folder" }
        return exists ? "input/output error" : "no such file or folder"
    }
}
