// The unfused activations (apply_activation is in common.h, shared with the GEMM epilogue) and their derivatives.

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
        const float cdf = 0.5f * (1.0f + erf(x * 0.70710678118654752f));
        const float pdf = exp(-0.5f * x * x) * 0.3989422804014327f;
        dpre[i] = g * (cdf + x * pdf);
    } else if (activation == ACT_SIGMOID) {
        dpre[i] = g * x * (1.0f - x);
    } else {
        dpre[i] = g;
    }
}
