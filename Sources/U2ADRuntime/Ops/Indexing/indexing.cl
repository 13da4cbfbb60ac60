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

// out[r, :] = (rows[r] >= 0 ? src[rows[r], :] : fill) + table[r % period, :]; one work item per element.
__kernel void gather_rows(__global const float* src, __global const int* rows, __global float* out, const int count,
                          const int width, __global const float* fill, const int hasFill,
                          __global const float* table, const int hasTable, const int period) {
    const int c = get_global_id(0), r = get_global_id(1);
    if (c >= width || r >= count) return;
    const int j = rows[r];
    float value = j >= 0 ? src[(long)j * width + c] : (hasFill ? fill[c] : 0.0f);
    if (hasTable) value += table[(long)(r % period) * width + c];
    out[(long)r * width + c] = value;
}

// The row maps of a mask from order[b, :] (V visible patches ascending, then the hidden ones); item (j, b) places
// patch order[b, j], item (0, b) also the cls rows. Backward maps only when withBackward.
__kernel void build_mask_rows(__global const int* order, const int patches, const int visible,
                              __global int* encoder, __global int* decoder, const int withBackward,
                              __global int* patchTokens, __global int* cls, __global int* embedded, __global int* maskTokens) {
    const int j = get_global_id(0), b = get_global_id(1);
    if (j >= patches) return;
    const int l = order[b * patches + j];
    const int encoderBase = b * (1 + visible), decoderBase = b * (1 + patches);
    const int isVisible = j < visible;
    if (j == 0) {
        encoder[encoderBase] = -1;
        decoder[decoderBase] = encoderBase;
        if (withBackward) {
            cls[b] = encoderBase;
            embedded[encoderBase] = decoderBase;
        }
    }
    if (isVisible) encoder[encoderBase + 1 + j] = b * patches + l;
    decoder[decoderBase + 1 + l] = isVisible ? encoderBase + 1 + j : -1;
    if (!withBackward) return;
    patchTokens[b * patches + l] = isVisible ? encoderBase + 1 + j : -1;
    if (isVisible) embedded[encoderBase + 1 + j] = decoderBase + 1 + l;
    else maskTokens[b * (patches - visible) + j - visible] = decoderBase + 1 + l;
}

// patches[b, l, k] = images[slots[b], pixel of (l, k)]; one work item per patchified element of one image.
__kernel void patchify(__global const float* images, __global const int* slots, __global float* patches,
                       const int size, const int patch) {
    const int i = get_global_id(0), b = get_global_id(1);
    const int area = patch * patch;
    if (i >= size * size) return;
    const int grid = size / patch, l = i / area, k = i % area;
    const int pixel = ((l / grid) * patch + k / patch) * size + (l % grid) * patch + k % patch;
    patches[(long)b * size * size + i] = images[(long)slots[b] * size * size + pixel];
}
