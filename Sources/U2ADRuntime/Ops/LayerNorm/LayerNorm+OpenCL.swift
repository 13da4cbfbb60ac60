final class LayerNormKernels: OpenCLKernelSet {
    let groupSize: Int
    let forward, backwardInput, backwardParametersPartial, backwardParametersFinal: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        groupSize = LayerNorm.groupSize(for: backend.device)
        let compiler = backend.compiler, file = LayerNorm.kernelFile, defines = "-DWG=\(groupSize)"
        forward = try compiler.kernel("layernorm_forward", file: file, defines: defines)
        backwardInput = try compiler.kernel("layernorm_backward_input", file: file, defines: defines)
        backwardParametersPartial = try compiler.kernel("layernorm_backward_params_partial", file: file, defines: defines)
        backwardParametersFinal = try compiler.kernel("layernorm_backward_params_final", file: file, defines: defines)
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
                                  dx: Buffer, dgamma: Buffer, dbeta: Buffer, rows: Int, dim: Int, accumulate: Bool) throws {
        let kernels = try kernels(LayerNormKernels.self)
        try kernels.backwardInput.launch(global: [rows * kernels.groupSize], local: [kernels.groupSize],
                                         [.buffer(dy), .buffer(x), .buffer(gamma), .buffer(mean), .buffer(rstd), .buffer(dx), .int(rows), .int(dim),
                                          .int(accumulate ? 1 : 0)], flops: 1.5 * LayerNorm.flops(rows: rows, dim: dim), bytes: 12 * Double(rows * dim))
        let chunks = LayerNorm.gradientChunks
        let chunkRows = (rows + chunks - 1) / chunks
        let partial = try makeBuffer(count: chunks * 2 * dim, shape: nil, elementType: .float32)
        try kernels.backwardParametersPartial.launch(global: [dim, chunks],
                                                     [.buffer(dy), .buffer(x), .buffer(mean), .buffer(rstd), .buffer(partial), .int(rows), .int(dim),
                                                      .int(chunkRows)], bytes: 8 * Double(rows * dim))
        try kernels.backwardParametersFinal.launch(global: [dim], [.buffer(partial), .buffer(dgamma), .buffer(dbeta), .int(dim), .int(chunks)])
    }
}
