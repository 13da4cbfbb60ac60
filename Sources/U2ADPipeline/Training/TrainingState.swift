/// Where a run stands; saved as `state.json` in every checkpoint.
public struct TrainingState: Codable, Equatable, Sendable {
    /// 2: Philox keys for every draw (format 1 runs drew shuffles and augmentation from SplitMix64).
    public static let currentFormat = 2

    public var format = TrainingState.currentFormat
    /// The options the run started with.
    public var options: TrainingOptions
    /// Epoch in progress, 0-based (`options.epochs` once finished).
    public var epoch = 0
    /// Batches of `epoch` already trained.
    public var batchesDone = 0
    /// Optimizer steps taken (Adam's step counter).
    public var step = 0
    /// Generator state: every draw is addressed by (seed, purpose, epoch, slice), so the seed and the
    /// counters above are all there is (see ``Trainer`` and `RandomKey`).
    public var random: RandomState
    /// Size of `metrics.jsonl` when the checkpoint was written; a resumed run truncates it there.
    public var metricsBytes: UInt64 = 0
    /// Names of the training slices, in training-set order (a resumed run checks the folder still holds them).
    public var slices: [String] = []
    /// Backend kind and device that trained (bit-identical resumption needs the same backend).
    public var backend = ""
    public var device = ""
    /// Ranks that trained the last steps (nil: one process); another count resumes equal to float rounding.
    public var ranks: Int?
    /// Training time so far, seconds.
    public var seconds = 0.0
    /// Running sums over the batches of `epoch`, so that the epoch's mean loss survives an interruption.
    public var epochLoss = LossSums()
    /// Epoch of the uncertainty maps stored beside the checkpoint (adaptation).
    public var uncertaintyEpoch: Int?
    public var finished = false

    public init(options: TrainingOptions) {
        self.options = options
        random = RandomState(seed: options.seed, epoch: 0, step: 0)
    }

    /// The random-state record of the counters.
    public struct RandomState: Codable, Equatable, Sendable {
        public var generator = "philox4x32-10 keys split by purpose, addressed by (seed, epoch, slice)"
        public var seed: UInt64
        public var epoch: Int
        public var step: Int
    }

    /// Loss sums over the trained batches of an epoch.
    public struct LossSums: Codable, Equatable, Sendable {
        public var batches = 0
        public var total = 0.0
        public var intensity = 0.0
        public var edge = 0.0

        public mutating func add(intensity: Double, edge: Double) {
            batches += 1
            self.intensity += intensity
            self.edge += edge
            total += 10 * intensity + edge
        }

        public var meanTotal: Double { batches > 0 ? total / Double(batches) : .nan }
        public var meanIntensity: Double { batches > 0 ? intensity / Double(batches) : .nan }
        public var meanEdge: Double { batches > 0 ? edge / Double(batches) : .nan }
    }
}
