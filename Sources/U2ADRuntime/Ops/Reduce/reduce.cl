// Deterministic reductions over the middle axis of [outer, length, inner]: fixed chunks, then the chunks in order.

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
