/// `attention.cl` per head dimension, with the device's tiles.
final class AttentionKernels: OpenCLKernelSet {
    struct HeadKernels {
        let forward, dq, dkdv: OpenCLKernel
    }

    let tiles: AttentionTiles
    private let compiler: OpenCLCompiler
    private var byHeadDim: [Int: HeadKernels] = [:]

    init(_ backend: OpenCLBackend) throws {
        tiles = Attention.tiles(for: backend.device, settings: backend.settings)
        compiler = backend.compiler
    }

    func kernels(headDim: Int) throws -> HeadKernels {
        if let kernels = byHeadDim[headDim] { return kernels }
        let defines = Attention.defines(headDim: headDim, tiles: tiles), file = Attention.kernelFile
        let kernels = HeadKernels(forward: try compiler.kernel("attention_forward", file: file, defines: defines),
                                  dq: try compiler.kernel("attention_backward_dq", file: file, defines: defines),
                                  dkdv: try compiler.kernel("attention_backward_dkdv", file: file, defines: defines))
        byHeadDim[headDim] = kernels
        return kernels
    }

    /// The grid of a pass whose work items take `perItem` queries (or keys) each.
    func global(_ shape: AttentionShape, perItem: Int) -> [Int] {
        let span = tiles.block * perItem
        return [(shape.tokens + span - 1) / span * tiles.block, shape.heads, shape.batch]
    }
}

extension OpenCLBackend: AttentionOps {
    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) throws {
        let set = try kernels(AttentionKernels.self)
        let scale = 1 / Float(shape.headDim).squareRoot()
        try set.kernels(headDim: shape.headDim).forward.launch(
            global: set.global(shape, perItem: set.tiles.queries), local: [set.tiles.block, 1, 1],
            [.buffer(qkv), .buffer(out), .buffer(logSumExp), .int(shape.tokens), .int(shape.heads), .float(scale)]
                + (dropout ?? .inactive).kernelArguments,
            flops: shape.forwardFLOPs)
    }

    public func attentionBackward(qkv: Buffer, out: Buffer, gradOut: Buffer, logSumExp: Buffer, into dqkv: Buffer,
                                  shape: AttentionShape, dropout: DropoutSpec?) throws {
        let set = try kernels(AttentionKernels.self)
        let kernels = try set.kernels(headDim: shape.headDim)
        let scale = 1 / Float(shape.headDim).squareRoot()
        let rowDot = try makeBuffer(count: shape.batch * shape.heads * shape.tokens, shape: nil, elementType: .float32)
        let local = [set.tiles.block, 1, 1], dropoutArguments = (dropout ?? .inactive).kernelArguments
        let tail: [KernelArgument] = [.int(shape.tokens), .int(shape.heads), .float(scale)] + dropoutArguments
        try kernels.dq.launch(global: set.global(shape, perItem: set.tiles.queries), local: local,
                              [.buffer(qkv), .buffer(out), .buffer(gradOut), .buffer(logSumExp), .buffer(rowDot), .buffer(dqkv)] + tail,
                              flops: shape.backwardFLOPs / 3)
        try kernels.dkdv.launch(global: set.global(shape, perItem: set.tiles.keys), local: local,
                                [.buffer(qkv), .buffer(gradOut), .buffer(logSumExp), .buffer(rowDot), .buffer(dqkv)] + tail,
                                flops: 2 * shape.backwardFLOPs / 3)
    }
}
