// torch.optim.Adam(W) semantics; correction2Root = sqrt(1 - beta2^t).
__kernel void adam(__global float* p, __global const float* g, __global float* m, __global float* v, const int count,
                   const float beta1, const float beta2, const float epsilon, const float stepSize,
                   const float correction2Root, const float decay) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float grad = g[i];
    const float mi = m[i] + (grad - m[i]) * (1.0f - beta1);
    const float vi = v[i] * beta2 + (1.0f - beta2) * grad * grad;
    m[i] = mi;
    v[i] = vi;
    const float denominator = sqrt(vi) / correction2Root + epsilon;
    p[i] = p[i] * decay - stepSize * mi / denominator;
}
