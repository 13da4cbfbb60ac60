final class ReductionKernels: OpenCLKernelSet {
    let partial, final: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        partial = try backend.compiler.kernel("reduce_partial", file: Reduction.kernelFile, defines: "")
        final = try backend.compiler.kernel("reduce_final", file: Reduction.kernelFile, defines: "")
    }
}

extension OpenCLBackend: ReductionOps {
    public func reduce(_ x: Buffer, into out: Buffer, outer: Int, length: Int, inner: Int, operation: Reduction) throws {
        let kernels = try kernels(ReductionKernels.self)
        let chunkLength = Reduction.chunkLength
        let chunks = max(1, (length + chunkLength - 1) / chunkLength)
        let partial = try makeBuffer(count: outer * chunks * inner, shape: nil, elementType: .float32)
        try kernels.partial.launch(global: [inner, chunks, outer],
                                   [.buffer(x), .buffer(partial), .int(outer), .int(length), .int(inner), .int(chunks), .int(chunkLength),
                                    .int(Int(operation.rawValue))], bytes: 4 * Double(outer * length * inner))
        try kernels.final.launch(global: [inner, outer],
                                 [.buffer(partial), .buffer(out), .int(outer), .int(chunks), .int(inner), .int(length), .int(Int(operation.rawValue))])
    }
}
