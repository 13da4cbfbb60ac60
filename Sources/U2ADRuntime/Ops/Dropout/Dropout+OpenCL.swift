final class DropoutKernels: OpenCLKernelSet {
    let dropout: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        dropout = try backend.compiler.kernel("dropout", file: Dropout.kernelFile, defines: "")
    }
}

extension OpenCLBackend: DropoutOps {
    public func dropout(_ x: Buffer, into y: Buffer, count: Int, rowLength: Int, spec: DropoutSpec) throws {
        guard spec.isActive else {
            if x !== y { try copy(x, into: y, count: count) }
            return
        }
        try kernels(DropoutKernels.self).dropout.launch(global: [count], local: [Elementwise.groupSize],
                                                        [.buffer(x), .buffer(y), .int(count), .int(rowLength)] + spec.kernelArguments,
                                                        bytes: 8 * Double(count))
    }
}
