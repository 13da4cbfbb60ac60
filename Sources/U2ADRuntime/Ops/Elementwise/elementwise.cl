// fill, copy, add and scale over `count` floats, one work item each.

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
