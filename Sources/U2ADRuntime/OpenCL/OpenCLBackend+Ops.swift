import Foundation

extension OpenCLBackend {
    // MARK: GEMM

    public func gemm(_ a: Buffer, _ b: Buffer, into c: Buffer, m: Int, n: Int, k: Int,
                     transposeA: Bool, transposeB: Bool,
                     bias: Buffer?, activation: Activation, residual: Buffer?) {
        let tiles = gemmTiles
        let options = gemmOptions(transposeA, transposeB, bias: bias != nil, activation: activation, residual: residual != nil)
        let local = [tiles.tileN / tiles.workPerThreadN, tiles.tileM / tiles.workPerThreadM]
        let global = [(n + tiles.tileN - 1) / tiles.tileN * local[0], (m + tiles.tileM - 1) / tiles.tileM * local[1]]
        launch("gemm", file: "gemm.cl", options: options, global: global, local: local,
               [.int(m), .int(n), .int(k), .buffer(a), .buffer(b), .buffer(c), .buffer(bias ?? c), .buffer(residual ?? c)],
               flops: 2 * Double(m) * Double(n) * Double(k), bytes: 4 * Double(m * k + k * n + m * n))
    }

    // MARK: Elementwise and reductions

    public func fill(_ x: Buffer, with value: Float, count: Int) {
        launch("fill", file: "elementwise.cl", global: [count], local: [64], [.buffer(x), .float(value), .int(count)], bytes: 4 * Double(count))
    }

    public func copy(_ source: Buffer, into destination: Buffer, count: Int) {
        launch("copy", file: "elementwise.cl", global: [count], local: [64], [.buffer(source), .buffer(destination), .int(count)], bytes: 8 * Double(count))
    }

    public func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int) {
        launch("add", file: "elementwise.cl", global: [count], local: [64], [.buffer(a), .buffer(b), .buffer(out), .int(count)], bytes: 12 * Double(count))
    }

    public func scale(_ x: Buffer, by alpha: Float, count: Int) {
        launch("scale", file: "elementwise.cl", global: [count], local: [64], [.buffer(x), .float(alpha), .int(count)], bytes: 8 * Double(count))
    }

    public func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction) {
        // Fixed chunking (not tied to the device) keeps results identical across devices.
        let chunkLength = 256
        let chunks = max(1, (length + chunkLength - 1) / chunkLength)
        guard let partial = try? makeBuffer(count: outer * chunks * inner, shape: nil, elementType: .float32) else {
            fatal("out of device memory for a reduction partial of \(outer * chunks * inner) floats")
        }
        launch("reduce_partial", file: "elementwise.cl", global: [inner, chunks, outer], local: nil,
               [.buffer(x), .buffer(partial), .int(outer), .int(length), .int(inner), .int(chunks), .int(chunkLength), .int(Int(operation.rawValue))],
               bytes: 4 * Double(outer * length * inner))
        launch("reduce_final", file: "elementwise.cl", global: [inner, outer], local: nil,
               [.buffer(partial), .buffer(out), .int(outer), .int(chunks), .int(inner), .int(length), .int(Int(operation.rawValue))])
    }

    public func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int) {
        launch("activation_forward", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(x), .buffer(y), .int(count), .int(Int(activation.rawValue))], bytes: 8 * Double(count))
    }

    public func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int) {
        launch("activation_backward", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(pre), .buffer(gradOutput), .buffer(gradInput), .int(count), .int(Int(activation.rawValue))], bytes: 12 * Double(count))
    }

    // MARK: Indexing

    public func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) {
        launch("gather", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(source), .buffer(index), .buffer(out), .int(count), .buffer(fill ?? source), .int(fill == nil ? 0 : 1), .int(max(fillPeriod, 1))],
               bytes: 12 * Double(count))
    }

    public func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) {
        launch("scatter_add", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(source), .buffer(index), .buffer(out), .int(count)], bytes: 16 * Double(count))
    }

    public func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) {
        launch("add_broadcast_rows", file: "elementwise.cl", global: [cols, rows], local: nil,
               [.buffer(x), .buffer(table), .buffer(out), .int(rows), .int(cols), .int(period)], bytes: 12 * Double(rows * cols))
    }

    // MARK: LayerNorm

    /// Work items per row in the LayerNorm kernels (a power of two).
    var layerNormGroup: Int { device.type == .gpu ? 32 : 8 }
    var layerNormOptions: String { "-DWG=\(layerNormGroup)" }

    public func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                                 mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) {
        launch("layernorm_forward", file: "layernorm.cl", options: layerNormOptions, global: [rows * layerNormGroup], local: [layerNormGroup],
               [.buffer(x), .buffer(gamma), .buffer(beta), .buffer(y), .buffer(mean), .buffer(rstd), .int(rows), .int(dim), .float(epsilon)],
               flops: 8 * Double(rows * dim), bytes: 8 * Double(rows * dim))
    }

    public func layerNormBackward(_ dy: Buffer, x: Buffer, gamma: Buffer, mean: Buffer, rstd: Buffer,
                                  dx: Buffer, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int, accumulate: Bool) {
        launch("layernorm_backward_input", file: "layernorm.cl", options: layerNormOptions, global: [rows * layerNormGroup], local: [layerNormGroup],
               [.buffer(dy), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(dx), .int(rows), .int(dim), .int(accumulate ? 1 : 0)],
               flops: 12 * Double(rows * dim), bytes: 12 * Double(rows * dim))
        let chunks = 32
        let chunkRows = (rows + chunks - 1) / chunks
        guard let partial = try? makeBuffer(count: chunks * 2 * dim, shape: nil, elementType: .float32) else {
            fatal("out of device memory for a layernorm partial")
        }
        launch("layernorm_backward_params_partial", file: "layernorm.cl", options: layerNormOptions, global: [dim, chunks], local: nil,
               [.buffer(dy), .buffer(x), .buffer(mean), .buffer(rstd), .buffer(partial), .int(rows), .int(dim), .int(chunkRows)],
               bytes: 8 * Double(rows * dim))
        launch("layernorm_backward_params_final", file: "layernorm.cl", options: layerNormOptions, global: [dim], local: nil,
               [.buffer(partial), .buffer(dgamma), .buffer(dbeta), .int(dim), .int(chunks)])
    }

    // MARK: Attention

    private func dropoutArguments(_ dropout: DropoutSpec?) -> [KernelArgument] {
        let spec = dropout.flatMap { $0.isActive ? $0 : nil } ?? DropoutSpec(rate: 0, seed: 0)
        return [.float(spec.rate), .uint(UInt32(truncatingIfNeeded: spec.seed)), .uint(UInt32(truncatingIfNeeded: spec.seed >> 32)),
                .uint(spec.step), .uint(spec.layer), .uint(spec.firstPass)]
    }

    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) {
        let scale = 1 / Float(shape.headDim).squareRoot()
        let t = Double(shape.tokens)
        launch("attention_forward", file: "attention.cl", options: attentionOptions(shape.headDim),
               global: [shape.tokens, shape.heads, shape.batch], local: [attentionBlock, 1, 1],
               [.buffer(qkv), .buffer(out), .buffer(logSumExp), .int(shape.tokens), .int(shape.heads), .float(scale)] + dropoutArguments(dropout),
               flops: 4 * Double(shape.batch * shape.heads * shape.headDim) * t * t)
    }

    public func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                                  shape: AttentionShape, dropout: DropoutSpec?) {
        let scale = 1 / Float(shape.headDim).squareRoot()
        let options = attentionOptions(shape.headDim)
        guard let rowdot = try? makeBuffer(count: shape.batch * shape.heads * shape.tokens, shape: nil, elementType: .float32) else {
            fatal("out of device memory for attention backward")
        }
        let global = [shape.tokens, shape.heads, shape.batch]
        let local = [attentionBlock, 1, 1]
        launch("attention_backward_rowdot", file: "attention.cl", options: options, global: global, local: local,
               [.buffer(out), .buffer(gradOut), .buffer(rowdot), .int(shape.tokens), .int(shape.heads)])
        let arguments: [KernelArgument] = [.buffer(qkv), .buffer(gradOut), .buffer(logSumExp), .buffer(rowdot), .buffer(dqkv),
                                           .int(shape.tokens), .int(shape.heads), .float(scale)] + dropoutArguments(dropout)
        let t = Double(shape.tokens)
        let flops = 4 * Double(shape.batch * shape.heads * shape.headDim) * t * t
        launch("attention_backward_dq", file: "attention.cl", options: options, global: global, local: local, arguments, flops: flops)
        launch("attention_backward_dkdv", file: "attention.cl", options: options, global: global, local: local, arguments, flops: 2 * flops)
    }

    // MARK: Dropout and Adam

    public func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec) {
        guard spec.isActive else {
            if x !== y { copy(x, into: y, count: count) }
            return
        }
        launch("dropout", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(x), .buffer(y), .int(count), .int(rowLength), .float(spec.rate),
                .uint(UInt32(truncatingIfNeeded: spec.seed)), .uint(UInt32(truncatingIfNeeded: spec.seed >> 32)),
                .uint(spec.step), .uint(spec.layer), .uint(spec.firstPass)], bytes: 8 * Double(count))
    }

    public func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep) {
        let correction1 = 1 - Float(pow(Double(step.beta1), Double(step.step)))
        let correction2Root = Float(Double(1 - pow(Double(step.beta2), Double(step.step))).squareRoot())
        launch("adam", file: "elementwise.cl", global: [count], local: [64],
               [.buffer(parameters), .buffer(gradients), .buffer(firstMoment), .buffer(secondMoment), .int(count),
                .float(step.beta1), .float(step.beta2), .float(step.epsilon), .float(step.learningRate / correction1),
                .float(correction2Root), .float(1 - step.learningRate * step.weightDecay)], bytes: 20 * Double(count))
    }
}
