// Dropout with the Philox mask of (key, step, layer, pass = firstPass + row, element), as DropoutSpec.keeps.

__kernel void dropout(__global const float* x, __global float* y, const int count, const int rowLength,
                      const float rate, const uint seedLo, const uint seedHi, const uint step, const uint layer,
                      const uint firstPass) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const uint pass = firstPass + (uint)(i / rowLength);
    const int keep = philox_keeps(rate, seedLo, seedHi, step, layer, pass, (uint)(i % rowLength));
    y[i] = keep ? x[i] * (1.0f / (1.0f - rate)) : 0.0f;
}
