// Gather with a fill value, scatter-add without repeated targets, and a row-periodic broadcast add.

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
