import Foundation
import U2ADRuntime

/// The job this process belongs to: the ranks `mpirun` started (Open MPI's `MPI_COMM_WORLD`), or this process alone.
public enum World {
    private static var shared: Communicator?
    private static var mpi: MPICommunicator?

    /// The job's communicator, created on the first call: under `mpirun` (``RuntimeSettings/placement``) Open MPI is
    /// loaded and initialised, and finalised when the process exits normally; otherwise a ``SingleProcess``.
    public static func communicator(settings: RuntimeSettings = .current) throws -> Communicator {
        if let shared { return shared }
        let communicator: Communicator
        if settings.placement != nil {
            let world = try MPICommunicator(libraryPath: settings.mpiLibrary)
            mpi = world
            atexit { World.mpi?.finalize() }
            communicator = world
        } else {
            communicator = SingleProcess()
        }
        shared = communicator
        return communicator
    }

    /// Ends the whole job with `code` when this process runs MPI (`MPI_Abort`: every rank stops, `mpirun` reports it);
    /// returns without doing anything otherwise. For a rank that fails: the others would wait for it forever.
    public static func abortIfDistributed(code: Int32) {
        mpi?.abort(code: code)
    }

    /// Throws unless the job is one process: for commands that do not run distributed.
    public static func requireSingleProcess(_ command: String, settings: RuntimeSettings = .current) throws {
        if let placement = settings.placement, placement.size > 1 { throw DistributedError.singleProcessOnly(command) }
    }
}
