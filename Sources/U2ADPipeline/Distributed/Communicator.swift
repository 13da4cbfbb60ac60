import U2ADRuntime

/// The ranks of a job and the collective operations u2ad uses between them. Every rank makes the same calls in the
/// same order (MPI's rule for collectives); one that does not leaves the others waiting until `mpirun` ends the job.
///
/// ``SingleProcess`` is the one-rank job (every operation is the identity), so code written against a communicator
/// runs unchanged without `mpirun`; ``MPICommunicator`` is Open MPI's `MPI_COMM_WORLD`.
public protocol Communicator: AnyObject {
    /// This process's rank, from 0 to `size - 1`. Rank 0 writes the files and the progress.
    var rank: Int { get }
    /// The number of ranks in the job.
    var size: Int { get }
    /// Replaces `values` on every rank by their element-wise `reduction` over all ranks (the same result everywhere).
    func reduce(_ values: inout [Float], _ reduction: Reduction) throws
    func reduce(_ values: inout [Double], _ reduction: Reduction) throws
    /// Every rank's `values`, in rank order (the counts may differ between ranks).
    func allGather(_ values: [Float]) throws -> [[Float]]
}

/// An element-wise reduction over the ranks.
public enum Reduction: Sendable {
    case sum, minimum, maximum
}

/// A job of one process: rank 0 of 1, every collective the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func reduce(_ values: inout [Float], _ reduction: Reduction) throws {}
    public func reduce(_ values: inout [Double], _ reduction: Reduction) throws {}
    public func allGather(_ values: [Float]) throws -> [[Float]] { [values] }
}

public extension Communicator {
    /// Rank 0, the one that writes files and reports progress.
    var isRoot: Bool { rank == 0 }

    /// This rank's part of `count` items (see ``WorkShare/range(of:rank:size:)``).
    func share(of count: Int) -> Range<Int> { WorkShare.range(of: count, rank: rank, size: size) }

    /// Returns once every rank has called it (a one-value all-reduce).
    func waitForAll() throws {
        guard size > 1 else { return }
        var value = [0.0]
        try reduce(&value, .sum)
    }

    /// True on every rank when `flag` is true on any rank.
    func anyRank(_ flag: Bool) throws -> Bool {
        guard size > 1 else { return flag }
        var value = [flag ? 1.0 : 0.0]
        try reduce(&value, .maximum)
        return value[0] > 0
    }

    /// The smallest `value` over the ranks.
    func minimum(_ value: Int) throws -> Int {
        guard size > 1 else { return value }
        var values = [Double(value)]
        try reduce(&values, .minimum)
        return Int(values[0])
    }

    /// Sums the device buffer `buffer` over the ranks in place: one download, one all-reduce, one upload; nothing on one rank.
    func sum(_ buffer: Buffer, on backend: Backend) throws {
        guard size > 1 else { return }
        var values = try backend.download(buffer)
        try reduce(&values, .sum)
        try backend.upload(values, to: buffer)
    }

    /// Throws unless every rank holds bit-identical `values` (the ranks of a data-parallel run must, step after step).
    func checkIdentical(_ values: @autoclosure () throws -> [Float], what: String) throws {
        guard size > 1 else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in try values() { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
        let halves = [Double(hash >> 32), Double(hash & 0xFFFF_FFFF)]
        var low = halves, high = halves
        try reduce(&low, .minimum)
        try reduce(&high, .maximum)
        guard low == high else { throw DistributedError.diverged(what) }
    }
}

/// Errors of a distributed job, one line each.
public enum DistributedError: Error, CustomStringConvertible {
    /// Launched by `mpirun`, but Open MPI's library could not be loaded.
    case libraryUnavailable(tried: [String], reason: String)
    /// An MPI call failed.
    case call(String, String)
    /// Ranks that must hold identical values do not.
    case diverged(String)
    /// The command runs in one process only.
    case singleProcessOnly(String)

    public var description: String {
        switch self {
        case .libraryUnavailable(let tried, let reason):
            return "launched by mpirun, but Open MPI's library cannot be loaded (tried \(tried.joined(separator: ", ")): \(reason)); "
                + "install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or set U2AD_MPI_LIBRARY to the path of libmpi.so"
        case .call(let name, let message):
            return "\(name) failed: \(message)"
        case .diverged(let what):
            return "the ranks hold different \(what) (are they on different kinds of device? data-parallel training needs identical arithmetic on every rank)"
        case .singleProcessOnly(let command):
            return "\(command) runs in one process; launch it without mpirun (or with -n 1)"
        }
    }
}
