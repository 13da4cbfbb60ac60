import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread-safe "please stop" flag the training loop checks between steps; it then writes a checkpoint
/// and returns ``TrainingOutcome/interrupted(checkpoint:)``.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var signalSource: DispatchSourceSignal?

    public init() {}

    public var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }

    public func request() {
        lock.lock(); requested = true; lock.unlock()
    }

    /// Turns SIGINT (Ctrl-C) into a stop request; a second SIGINT exits at once with status 130
    /// (checkpoints are written atomically, so that is safe too).
    public func stopOnInterrupt(announce: @escaping @Sendable () -> Void = {}) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            if self.isRequested { exit(130) }
            self.request()
            announce()
        }
        source.resume()
        signalSource = source
    }
}
