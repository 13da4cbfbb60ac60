// The unfused activations and their derivatives (apply_activation and activation_derivative are in common.h, shared
// with the GEMM epilogue); the sigmoid's backward here takes its output y, not its input.

__kernel void activation_forward(__global const float* x, __global float* y, const int count, const int activation) {
    const int i = get_global_id(0);
    if (i < count) y[i] = apply_activation(x[i], activation);
}

__kernel void activation_backward(__global const float* pre, __global const float* dpost, __global float* dpre,
                                  const int count, const int activation) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float x = pre[i], g = dpost[i];
    if (activation == ACT_GELU) {
        dpre[i] = g * activation_derivative(x, ACT_GELU);
    } else if (activation == ACT_SIGMOID) {
        dpre[i] = g * x * (1.0f - x);
    } else {
        dpre[i] = g;
    }
}
