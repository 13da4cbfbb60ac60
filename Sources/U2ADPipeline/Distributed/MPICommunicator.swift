import Foundation
import U2ADRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Open MPI's C interface, loaded with `dlopen` when the process was launched by `mpirun`, so that the binary needs no
/// MPI to build or to run alone. Open MPI's handles (`MPI_Comm`, `MPI_Datatype`, `MPI_Op`) are addresses of its
/// predefined objects, read with `dlsym` (`ompi_mpi_comm_world`, ...); its library ABI (`libmpi.so.40`) is the same
/// from Open MPI 3.0 to 5.x.
final class OpenMPILibrary {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThread = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommunicatorQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias SetErrorHandler = @convention(c) (Handle, Handle) -> Int32
    typealias AllReduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias AllGather = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias AllGatherVarying = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>,
                                                 UnsafePointer<Int32>, Handle, Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias ErrorString = @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    /// The names tried when `U2AD_MPI_LIBRARY` is not set.
    static let defaultNames = ["libmpi.so.40", "libmpi.so"]
    /// `MPI_THREAD_FUNNELED`: only the main thread calls MPI (the CPU backend's workers never do).
    static let threadFunneled: Int32 = 1
    /// `MPI_IN_PLACE` in Open MPI's `mpi.h`.
    static let inPlace = UnsafeRawPointer(bitPattern: 1)

    let world, float, double, int64, sum, minimum, maximum, errorsReturn: Handle
    let initThread: InitThread
    let commRank, commSize: CommunicatorQuery
    let setErrorHandler: SetErrorHandler
    let allReduce: AllReduce
    let allGather: AllGather
    let allGatherVarying: AllGatherVarying
    let abort: Abort
    let finalize: Finalize
    let errorString: ErrorString

    /// Opens `path` (else the default names) and resolves every symbol u2ad calls.
    init(path: String?) throws {
        let names = path.map { [$0] } ?? OpenMPILibrary.defaultNames
        var library: UnsafeMutableRawPointer?
        var reason = ""
        for name in names {
            // RTLD_GLOBAL: Open MPI's own plugins resolve their symbols against the library.
            library = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if library != nil { break }
            reason = dlerror().map { String(cString: $0) } ?? "not found"
        }
        guard let library else { throw DistributedError.libraryUnavailable(tried: names, reason: reason) }
        func symbol(_ name: String) throws -> Handle {
            guard let address = dlsym(library, name) else {
                throw DistributedError.libraryUnavailable(tried: names, reason: "it has no symbol \(name); is it Open MPI (not MPICH)?")
            }
            return address
        }
        func function<T>(_ name: String, _ type: T.Type) throws -> T { unsafeBitCast(try symbol(name), to: type) }
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        int64 = try symbol("ompi_mpi_int64_t")
        sum = try symbol("ompi_mpi_op_sum")
        minimum = try symbol("ompi_mpi_op_min")
        maximum = try symbol("ompi_mpi_op_max")
        errorsReturn = try symbol("ompi_mpi_errors_return")
        initThread = try function("MPI_Init_thread", InitThread.self)
        commRank = try function("MPI_Comm_rank", CommunicatorQuery.self)
        commSize = try function("MPI_Comm_size", CommunicatorQuery.self)
        setErrorHandler = try function("MPI_Comm_set_errhandler", SetErrorHandler.self)
        allReduce = try function("MPI_Allreduce", AllReduce.self)
        allGather = try function("MPI_Allgather", AllGather.self)
        allGatherVarying = try function("MPI_Allgatherv", AllGatherVarying.self)
        abort = try function("MPI_Abort", Abort.self)
        finalize = try function("MPI_Finalize", Finalize.self)
        errorString = try function("MPI_Error_string", ErrorString.self)
    }

    /// Throws the MPI error text of `code` unless it is `MPI_SUCCESS`.
    func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        let message = errorString(code, &text, &length) == 0 ? String(cString: text) : "error code \(code)"
        throw DistributedError.call(call, message)
    }
}

/// `MPI_COMM_WORLD` of Open MPI: the ranks `mpirun` started. Collectives run on host memory, from the main thread.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    let library: OpenMPILibrary
    /// Most elements one MPI call moves (its counts are 32-bit); larger transfers go in pieces.
    static let largestCall = Int(Int32.max)

    /// Loads Open MPI (`U2AD_MPI_LIBRARY`, else `libmpi.so.40`), initialises it and returns errors instead of aborting.
    init(libraryPath: String?) throws {
        library = try OpenMPILibrary(path: libraryPath)
        var provided: Int32 = 0
        try library.check(library.initThread(nil, nil, OpenMPILibrary.threadFunneled, &provided), "MPI_Init_thread")
        try library.check(library.setErrorHandler(library.world, library.errorsReturn), "MPI_Comm_set_errhandler")
        var value: Int32 = 0
        try library.check(library.commRank(library.world, &value), "MPI_Comm_rank")
        rank = Int(value)
        try library.check(library.commSize(library.world, &value), "MPI_Comm_size")
        size = Int(value)
    }

    public func reduce(_ values: inout [Float], _ reduction: Reduction) throws {
        try reduceInPlace(&values, type: library.float, reduction)
    }

    public func reduce(_ values: inout [Double], _ reduction: Reduction) throws {
        try reduceInPlace(&values, type: library.double, reduction)
    }

    private func reduceInPlace<T>(_ values: inout [T], type: OpenMPILibrary.Handle, _ reduction: Reduction) throws {
        let operation: OpenMPILibrary.Handle
        switch reduction {
        case .sum: operation = library.sum
        case .minimum: operation = library.minimum
        case .maximum: operation = library.maximum
        }
        try values.withUnsafeMutableBytes { bytes in
            let stride = MemoryLayout<T>.stride
            var start = 0
            while start < bytes.count / stride {
                let count = min(bytes.count / stride - start, MPICommunicator.largestCall)
                try library.check(library.allReduce(OpenMPILibrary.inPlace, bytes.baseAddress! + start * stride, Int32(count), type,
                                                    operation, library.world), "MPI_Allreduce")
                start += count
            }
        }
    }

    public func allGather(_ values: [Float]) throws -> [[Float]] {
        var counts = [Int64](repeating: 0, count: size)
        var mine = Int64(values.count)
        try counts.withUnsafeMutableBytes { all in
            try library.check(library.allGather(&mine, 1, library.int64, all.baseAddress, 1, library.int64, library.world), "MPI_Allgather")
        }
        var gathered = [[Float]](repeating: [], count: size)
        for r in 0..<size { gathered[r].reserveCapacity(Int(counts[r])) }
        // Rounds of at most `largestCall / size` elements per rank keep every count and offset within 32 bits.
        let perRound = max(1, MPICommunicator.largestCall / size)
        var sent = 0
        while gathered.indices.contains(where: { gathered[$0].count < Int(counts[$0]) }) {
            let roundCounts = (0..<size).map { Int32(min(Int(counts[$0]) - gathered[$0].count, perRound)) }
            var offsets = [Int32](repeating: 0, count: size)
            for r in 1..<max(size, 1) { offsets[r] = offsets[r - 1] + roundCounts[r - 1] }
            var received = [Float](repeating: 0, count: Int(roundCounts.reduce(0, +)))
            let piece = Array(values[sent..<(sent + Int(roundCounts[rank]))])
            try piece.withUnsafeBytes { send in
                try received.withUnsafeMutableBytes { receive in
                    try library.check(library.allGatherVarying(send.baseAddress, roundCounts[rank], library.float, receive.baseAddress,
                                                               roundCounts, offsets, library.float, library.world), "MPI_Allgatherv")
                }
            }
            for r in 0..<size { gathered[r] += received[Int(offsets[r])..<Int(offsets[r] + roundCounts[r])] }
            sent += Int(roundCounts[rank])
        }
        return gathered
    }

    /// Ends the MPI job of every rank with `code` (`MPI_Abort`); for a rank that cannot go on.
    func abort(code: Int32) -> Never {
        _ = library.abort(library.world, code)
        exit(code)
    }

    /// `MPI_Finalize`, once, after the last collective of a rank that finished normally.
    func finalize() { _ = library.finalize() }
}
