final class AdamKernels: OpenCLKernelSet {
    let adam: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        adam = try backend.compiler.kernel("adam", file: Adam.kernelFile, defines: "")
    }
}

extension OpenCLBackend: AdamOps {
    public func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep) throws {
        try kernels(AdamKernels.self).adam.launch(global: [count], local: [Elementwise.groupSize],
                                                  [.buffer(parameters), .buffer(gradients), .buffer(firstMoment), .buffer(secondMoment), .int(count),
                                                   .float(step.beta1), .float(step.beta2), .float(step.epsilon), .float(step.stepSize),
                                                   .float(step.correction2Root), .float(step.decay)], bytes: 28 * Double(count))
    }
}
