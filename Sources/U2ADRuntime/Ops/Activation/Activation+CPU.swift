extension CPUBackend: ActivationOps {
    public func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int) {
        let xp = floats(x), yp = floats(y)
        if xp != yp { yp.update(from: xp, count: count) }
        parallelRanges(count, grain: 1 << 14) { range in
            switch activation {
            case .gelu:
                let x = yp + range.lowerBound
                mapLanes(x, x, into: x, count: range.count) { value, _ in gelu8(value) }
            case .sigmoid: for i in range { yp[i] = sigmoid(yp[i]) }
            case .none: break
            }
        }
    }

    public func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int) {
        let xp = floats(pre), gp = floats(gradOutput), op = floats(gradInput)
        parallelRanges(count, grain: 1 << 14) { range in
            switch activation {
            case .gelu:
                mapLanes(xp + range.lowerBound, gp + range.lowerBound, into: op + range.lowerBound, count: range.count) { x, g in
                    geluDerivative8(x) * g
                }
            case .sigmoid: for i in range { op[i] = xp[i] * (1 - xp[i]) * gp[i] }
            case .none: for i in range { op[i] = gp[i] }
            }
        }
    }
}
