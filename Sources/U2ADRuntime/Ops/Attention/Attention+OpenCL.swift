/// `attention.cl` per head dimension, with the device's block size.
final class AttentionKernels: OpenCLKernelSet {
    struct HeadKernels {
        let forward, rowDot, dq, dkdv: OpenCLKernel
    }

    let block: Int
    private let compiler: OpenCLCompiler
    private var byHeadDim: [Int: HeadKernels] = [:]

    init(_ backend: OpenCLBackend) throws {
        block = Attention.block(for: backend.device)
        compiler = backend.compiler
    }

    func kernels(headDim: Int) throws -> HeadKernels {
        if let kernels = byHeadDim[headDim] { return kernels }
        let defines = Attention.defines(headDim: headDim, block: block), file = Attention.kernelFile
        let kernels = HeadKernels(forward: try compiler.kernel("attention_forward", file: file, defines: defines),
                                  rowDot: try compiler.kernel("attention_backward_rowdot", file: file, defines: defines),
                                  dq: try compiler.kernel("attention_backward_dq", file: file, defines: defines),
                                  dkdv: try compiler.kernel("attention_backward_dkdv", file: file, defines: defines))
        byHeadDim[headDim] = kernels
        return kernels
    }
}

extension OpenCLBackend: AttentionOps {
    public func attentionForward(qkv: Buffer, into out: Buffer, logSumExp: Buffer, shape: AttentionShape, dropout: DropoutSpec?) throws {
        let set = try kernels(AttentionKernels.self)
        let scale = 1 / Float(shape.headDim).squareRoot()
        try set.kernels(headDim: shape.headDim).forward.launch(
            global: [shape.tokens, shape.heads, shape.batch], local: [set.block, 1, 1],
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
        let global = [shape.tokens, shape.heads, shape.batch], local = [set.block, 1, 1]
        try kernels.rowDot.launch(global: global, local: local,
                                  [.buffer(out), .buffer(gradOut), .buffer(rowDot), .int(shape.tokens), .int(shape.heads)])
        let arguments: [KernelArgument] = [.buffer(qkv), .buffer(gradOut), .buffer(logSumExp), .buffer(rowDot), .buffer(dqkv),
                                           .int(shape.tokens), .int(shape.heads), .float(scale)] + (dropout ?? .inactive).kernelArguments
        try kernels.dq.launch(global: global, local: local, arguments, flops: shape.backwardFLOPs / 3)
        try kernels.dkdv.launch(global: global, local: local, arguments, flops: 2 * shape.backwardFLOPs / 3)
    }
}
