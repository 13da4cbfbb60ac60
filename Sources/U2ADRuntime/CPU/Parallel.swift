import Dispatch
import Foundation

/// Worker count for the CPU backend: ``RuntimeSettings/threads`` (`U2AD_THREADS`), else the cores shared evenly by the
/// ranks `mpirun` placed on this node (every core without `mpirun`).
public let cpuThreadCount: Int = RuntimeSettings.current.threads
    ?? max(1, ProcessInfo.processInfo.activeProcessorCount / (RuntimeSettings.current.placement?.localSize ?? 1))

/// Runs `body(chunk)` for `chunks` chunks on the CPU workers; serial when one worker or one chunk.
@inline(__always)
func parallelFor(_ chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 || cpuThreadCount <= 1 {
        for chunk in 0..<chunks { body(chunk) }
    } else {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
    }
}

/// Splits `0..<count` into at most `cpuThreadCount * 4` ranges of at least `grain` items and runs them in parallel.
@inline(__always)
func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let pieces = max(1, min(cpuThreadCount * 4, count / max(grain, 1)))
    let size = (count + pieces - 1) / pieces
    parallelFor(pieces) { piece in
        let start = piece * size
        let end = min(count, start + size)
        if start < end { body(start..<end) }
    }
}
