// Elementwise ops, indexing, deterministic reductions, dropout and Adam.

__kernel void fill(__global float* x, const float value, const int count) {
    const int i = get_global_id(0);
    if (i < count) x[i] = value;
}

__kernel void copy(__global const float* src, __global float* dst, const int count) {
    const int i = get_global_id(0);
    if (i < count) dst[i] = src[i];
}

__kernel void add(__global const float* a, __global const float* b, __global float* out, const int count) {
    const int i = get_global_id(0);
    if (i < count) out[i] = a[i] + b[i];
}

__kernel void scale(__global float* x, const float alpha, const int count) {
    const int i = get_global_id(0);
    if (i < count) x[i] *= alpha;
}

// Stage 1: partial[o, c, i] = op over j in chunk c of x[o, j, i]. Stage 2 reduces the chunks in order.
__kernel void reduce_partial(__global const float* x, __global float* partial, const int outer, const int length,
                             const int inner, const int chunks, const int chunkLength, const int op) {
    const int i = get_global_id(0), c = get_global_id(1), o = get_global_id(2);
    if (i >= inner || c >= chunks || o >= outer) return;
    const int start = c * chunkLength, end = min(length, start + chunkLength);
    float acc = op == 2 ? -INFINITY : 0.0f;
    for (int j = start; j < end; ++j) {
        const float v = x[((long)o * length + j) * inner + i];
        acc = op == 2 ? fmax(acc, v) : acc + v;
    }
    partial[((long)o * chunks + c) * inner + i] = acc;
}

__kernel void reduce_final(__global const float* partial, __global float* out, const int outer, const int chunks,
                           const int inner, const int length, const int op) {
    const int i = get_global_id(0), o = get_global_id(1);
    if (i >= inner || o >= outer) return;
    float acc = op == 2 ? -INFINITY : 0.0f;
    for (int c = 0; c < chunks; ++c) {
        const float v = partial[((long)o * chunks + c) * inner + i];
        acc = op == 2 ? fmax(acc, v) : acc + v;
    }
    out[o * inner + i] = op == 1 ? acc / (float)length : acc;
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

__kernel void gather(__global const float* src, __global const int* index, __global float* out, const int count,
                     __global const float* fill, const int hasFill, const int fillPeriod) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int j = index[i];
    out[i] = j >= 0 ? src[j] : (hasFill ? fill[i % fillPeriod] : 0.0f);
}

__kernel void scatter_add(__global const float* src, __global const int* index, __global float* out, const int count) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int j = index[i];
    if (j >= 0) out[j] += src[i];
}

__kernel void add_broadcast_rows(__global const float* x, __global const float* table, __global float* out,
                                 const int rows, const int cols, const int period) {
    const int c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    out[r * cols + c] = x[r * cols + c] + table[(r % period) * cols + c];
}

__kernel void dropout(__global const float* x, __global float* y, const int count, const int rowLength,
                      const float rate, const uint seedLo, const uint seedHi, const uint step, const uint layer,
                      const uint firstPass) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const uint pass = firstPass + (uint)(i / rowLength);
    const int keep = philox_keeps(rate, seedLo, seedHi, step, layer, pass, (uint)(i % rowLength));
    y[i] = keep ? x[i] * (1.0f / (1.0f - rate)) : 0.0f;
}

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

__kernel void activation_forward(__global const float* x, __global float* y, const int count, const int activation) {
    const int i = get_global_id(0);
    if (i < count) y[i] = apply_activation(x[i], activation);
}
