import XCTest
@testable import U2ADRuntime
import U2ADRandom

final class ActivationTests: XCTestCase {
    func testActivationForward() throws {
        var random = TestRandom(14)
        for backend in try backendsUnderTest() {
            let n = 1003
            let x = random.floats(n, scale: 3)
            let input = try backend.makeBuffer(x), out = try backend.makeBuffer([n])
            try backend.applyActivation(.gelu, input, into: out, count: n)
            assertClose(try backend.download(out), x.map { Reference.gelu(Double($0)) }, 2e-6, "\(label(backend)) gelu")
            try backend.applyActivation(.sigmoid, input, into: out, count: n)
            assertClose(try backend.download(out), x.map { 1 / (1 + exp(-Double($0))) }, 2e-6, "\(label(backend)) sigmoid")
            try backend.applyActivation(.gelu, input, into: input, count: n)
            assertClose(try backend.download(input), x.map { Reference.gelu(Double($0)) }, 2e-6, "\(label(backend)) gelu in place")
        }
    }

    func testActivationBackward() throws {
        var random = TestRandom(12)
        for backend in try backendsUnderTest() {
            let n = 777
            let x = random.floats(n, scale: 2), g = random.floats(n)
            let pre = try backend.makeBuffer(x), grad = try backend.makeBuffer(g), out = try backend.makeBuffer([n])
            try backend.activationBackward(.gelu, pre: pre, gradOutput: grad, into: out, count: n)
            assertClose(try backend.download(out), zip(x, g).map { Reference.geluDerivative(Double($0)) * Double($1) }, 2e-6, "\(label(backend)) gelu'")
            try backend.activationBackward(.sigmoid, pre: pre, gradOutput: grad, into: out, count: n)
            assertClose(try backend.download(out), zip(x, g).map { Double($0) * (1 - Double($0)) * Double($1) }, 1e-6, "\(label(backend)) sigmoid'")
            // In place (the gradient buffer receives the result), with a length that is not a multiple of 8.
            try backend.activationBackward(.gelu, pre: pre, gradOutput: grad, into: grad, count: n)
            assertClose(try backend.download(grad), zip(x, g).map { Reference.geluDerivative(Double($0)) * Double($1) }, 2e-6, "\(label(backend)) gelu' in place")
        }
    }
}
