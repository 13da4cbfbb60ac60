final class LayerNormKernels: OpenCLKernelSet {
    let groupSize: Int
    let forward, backwardParametersFinal: OpenCLKernel
    private let compiler: OpenCLCompiler
    private var backwardByColumns: [Int: OpenCLKernel] = [:]

    init(_ backend: OpenCLBackend) throws {
        groupSize = LayerNorm.groupSize(for: backend.device, settings: backend.settings)
        compiler = backend.compiler
        let defines = LayerNorm.defines(groupSize: groupSize, columnsPerItem: 1)
        forward = try compiler.kernel("layernorm_forward", file: LayerNorm.kernelFile, defines: defines)
        backwardParametersFinal = try compiler.kernel("layernorm_backward_params_final", file: LayerNorm.kernelFile, defines: defines)
    }

    /// The backward kernel for rows of `dim` values (each work item keeps the partial sums of its columns).
    func backward(dim: Int) throws -> OpenCLKernel {
        let columns = (dim + groupSize - 1) / groupSize
        if let kernel = backwardByColumns[columns] { return kernel }
        let kernel = try compiler.kernel("layernorm_backward", file: LayerNorm.kernelFile,
                                         defines: LayerNorm.defines(groupSize: groupSize, columnsPerItem: columns))
        backwardByColumns[columns] = kernel
        return kernel
    }
}

extension OpenCLBackend: LayerNormOps {
    public func layerNormForward(_ x: Buffer, gamma: Buffer, beta: Buffer, into y: Buffer,
                                 mean: Buffer, rstd: Buffer, rows: Int, dim: Int, epsilon: Float) throws {
        let kernels = try kernels(LayerNormKernels.self)
        try kernels.forward.launch(global: [rows * kernels.groupSize], local: [kernels.groupSize],
                                   [.buffer(x), .buffer(gamma), .buffer(beta), .buffer(y), .buffer(mean), .buffer(rstd), .int(rows), .int(dim),
                                    .float(epsilon)], flops: LayerNorm.flops(rows: rows, dim: dim), bytes: 8 * Double(rows * dim))
    }

    public func layerNormBackward(_ dy: Buffer, x: Buffer, gamma: Buffer, mean: Buffer, rstd: Buffer,
                                  dx: Buffer, adding addend: Buffer?, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int) throws {
        let kernels = try kernels(LayerNormKernels.self)
        let chunks = max(1, (rows + LayerNorm.gradientChunkRows - 1) / LayerNorm.gradientChunkRows)
        let partial = try makeBuffer(count: chunks * 2 * dim, shape: nil, elementType: .float32)
        try kernels.backward(dim: dim).launch(
            global: [chunks * kernels.groupSize], local: [kernels.groupSize],
            [.buffer(dy), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(dx), .buffer(addend ?? dx), .int(addend == nil ? 0 : 1),
             .buffer(partial), .int(rows), .int(dim)],
            flops: 1.5 * LayerNorm.flops(rows: rows, dim: dim), bytes: 16 * Double(rows * dim))
        try kernels.backwardParametersFinal.launch(global: [dim], local: [min(dim, Elementwise.groupSize)],
                                                   [.buffer(partial), .buffer(dgamma), .buffer(dbeta), .int(dim), .int(chunks)])
    }
}
