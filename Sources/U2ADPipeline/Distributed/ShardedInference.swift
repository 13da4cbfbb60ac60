/// MC inference over several ranks. Every rank plans the whole run (slices, schedules, batches: cheap and
/// deterministic), runs its own contiguous run of batches, and the maps are all-gathered, so every rank ends with
/// every slice's maps, bit-identical to one process's: a slice's passes are never split between ranks (its moments
/// accumulate in pass order), and the batches are the ones one process would run.
extension UncertaintyMaps {
    /// Each rank's run of batches: contiguous, about equal in passes, cut only where a slice's passes begin.
    static func batchRuns(_ batches: [[PassJob]], ranks: Int) -> [Range<Int>] {
        WorkShare.balancedRuns(weights: batches.map(\.count), cuttable: batches.map { $0.first?.pass == 0 }, size: ranks)
    }

    /// Replaces, on every rank, the maps of the slices other ranks computed by theirs (one all-gather of the
    /// reconstruction, epistemic and aleatoric maps).
    static func gatherMaps(_ maps: inout [SliceMaps], batches: [[PassJob]], runs: [Range<Int>], communicator: Communicator) throws {
        guard communicator.size > 1 else { return }
        let slicesOfRank = runs.map { run in Array(Set(batches[run].flatMap { $0.map(\.slice) })).sorted() }
        var mine: [Float] = []
        for s in slicesOfRank[communicator.rank] { mine += maps[s].reconstruction + maps[s].epistemic + maps[s].aleatoric }
        let gathered = try communicator.allGather(mine)
        for (r, slices) in slicesOfRank.enumerated() where r != communicator.rank {
            let values = gathered[r]
            guard values.count == slices.reduce(0, { $0 + 3 * maps[$1].size * maps[$1].size }) else {
                throw DistributedError.diverged("MC inference plans (rank \(r) sent \(values.count) map values for \(slices.count) slices)")
            }
            var offset = 0
            for s in slices {
                let n = maps[s].size * maps[s].size
                maps[s].reconstruction = Array(values[offset..<(offset + n)])
                maps[s].epistemic = Array(values[(offset + n)..<(offset + 2 * n)])
                maps[s].aleatoric = Array(values[(offset + 2 * n)..<(offset + 3 * n)])
                offset += 3 * n
            }
        }
    }
}

extension Communicator {
    /// `plan` with the smallest capacity of any rank, so that every rank cuts the same batches (ranks may have
    /// devices of different memory).
    func agreed(_ plan: BatchPlan) throws -> BatchPlan {
        let capacity = try minimum(plan.capacity)
        guard capacity < plan.capacity else { return plan }
        var agreed = plan
        agreed.capacity = capacity
        agreed.reason += "; \(capacity) on every rank (the smallest device's)"
        return agreed
    }
}
