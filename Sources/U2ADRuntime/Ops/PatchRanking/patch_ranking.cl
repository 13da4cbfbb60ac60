// Patch masks for training: scores from Philox draws, a per-row bitonic sort, visible/hidden lists.
// CPU twin: PatchRanking+CPU.swift. Built with -DMASK_PADDED=<power of two >= patches>.

#pragma OPENCL FP_CONTRACT OFF

// One work-group per row. score = u * w + roi (float32, not fused); patches sorted by ascending (score, index);
// order[row] = visible patches (the visibleCount lowest) in ascending index, then hidden ones in ascending index.
__kernel void rank_patches(__global const float* roi, __global const float* weights, const int hasWeights,
                           __global const int* images, __global int* order, const int patches, const int visibleCount,
                           const uint seedLo, const uint seedHi, const uint step, const uint stream) {
    __local float keys[MASK_PADDED];
    __local int ids[MASK_PADDED];
    __local int hidden[MASK_PADDED];
    const int lid = get_local_id(0), lsize = get_local_size(0), row = get_group_id(0);
    const uint image = (uint)images[row];
    for (int i = lid; i < MASK_PADDED; i += lsize) {
        if (i < patches) {
            const float u = philox_uniform(philox_draw(seedLo, seedHi, step, stream, image, (uint)i));
            const float w = hasWeights ? weights[row * patches + i] : 1.0f;
            const float product = u * w;
            keys[i] = product + roi[row * patches + i];
        } else {
            keys[i] = INFINITY;
        }
        ids[i] = i;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = 2; k <= MASK_PADDED; k <<= 1) {
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int i = lid; i < MASK_PADDED; i += lsize) {
                const int partner = i ^ j;
                if (partner > i) {
                    const float a = keys[i], b = keys[partner];
                    const int ia = ids[i], ib = ids[partner];
                    const int greater = a > b || (a == b && ia > ib);
                    const int ascending = (i & k) == 0;
                    if (greater == ascending) {
                        keys[i] = b; keys[partner] = a;
                        ids[i] = ib; ids[partner] = ia;
                    }
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
    for (int r = lid; r < patches; r += lsize) hidden[ids[r]] = r >= visibleCount;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int v = 0, h = visibleCount;
        for (int l = 0; l < patches; ++l) {
            if (hidden[l]) order[row * patches + h++] = l;
            else order[row * patches + v++] = l;
        }
    }
}
