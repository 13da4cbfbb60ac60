extension CPUBackend: AdamOps {
    public func adam(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: AdamStep) {
        let started = Profiler.shared.begin()
        defer { Profiler.shared.end("adam", started, bytes: 28 * Double(count)) }
        let pp = floats(parameters), gp = floats(gradients), mp = floats(firstMoment), vp = floats(secondMoment)
        let correction2Root = step.correction2Root, stepSize = step.stepSize, decay = step.decay
        parallelRanges(count, grain: 1 << 15) { range in
            for i in range {
                let g = gp[i]
                let m = mp[i] + (g - mp[i]) * (1 - step.beta1)
                let v = vp[i] * step.beta2 + (1 - step.beta2) * g * g
                mp[i] = m
                vp[i] = v
                let denominator = v.squareRoot() / correction2Root + step.epsilon
                pp[i] = pp[i] * decay - stepSize * m / denominator
            }
        }
    }
}
