// Per-pixel running moments of MC reconstructions (Welford) and the maps they finish into; PixelMoments.swift has the
// semantics and the slot layout. Defines: MOMENTS_FLOAT64 (1 where the device has cl_khr_fp64).

// No contraction: the updates round exactly as the CPU twin's (bit-equal with float64).
#pragma OPENCL FP_CONTRACT OFF
#if MOMENTS_FLOAT64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double moment_t;
#else
typedef float moment_t;
#endif

// One work item per (pixel, run): the run's passes in order.
__kernel void accumulate_pixel_moments(__global const float* reconstructions, __global const int* table, const int runs,
                                       __global int* moments, const int size, const int patch, const int slotWords) {
    const int pixel = get_global_id(0), run = get_global_id(1);
    const int pixels = size * size;
    if (pixel >= pixels || run >= runs) return;
    const int slot = table[3 * run], first = table[3 * run + 1], end = table[3 * run + 2];
    const int grid = size / patch, y = pixel / size, x = pixel % size;
    const int l = (y / patch) * grid + x / patch, k = (y % patch) * patch + x % patch;
    const int patches = grid * grid, words = (patches + 31) / 32, area = patch * patch;
    __global const uint* sampled = (__global const uint*)(table + 3 * runs);
    __global int* base = moments + (long)slot * slotWords;
    __global moment_t* mean = (__global moment_t*)base;
    __global moment_t* m2 = (__global moment_t*)(base + 2 * pixels);
    __global int* count = base + 4 * pixels;
    int n = count[pixel];
    moment_t mu = mean[pixel], s = m2[pixel];
    for (int b = first; b < end; ++b) {
        if (((sampled[b * words + l / 32] >> (l % 32)) & 1u) == 0u) continue;
        const moment_t value = (moment_t)reconstructions[((long)b * (1 + patches) + 1 + l) * area + k];
        n += 1;
        const moment_t delta = value - mu;
        mu += delta / (moment_t)n;
        s += delta * (value - mu);
    }
    count[pixel] = n;
    mean[pixel] = mu;
    m2[pixel] = s;
}

__kernel void finish_pixel_moments(__global const int* moments, const int slot, __global const float* images,
                                   __global const int* regions, __global float* maps, const int pixels, const int slotWords) {
    const int pixel = get_global_id(0);
    if (pixel >= pixels) return;
    __global const int* base = moments + (long)slot * slotWords;
    __global const moment_t* mean = (__global const moment_t*)base;
    __global const moment_t* m2 = (__global const moment_t*)(base + 2 * pixels);
    const int n = base[4 * pixels + pixel];
    const int regionWords = (pixels + 31) / 32;
    const int inside = (((uint)regions[slot * regionWords + pixel / 32] >> (pixel % 32)) & 1u) != 0u;
    const float image = images[(long)slot * pixels + pixel];
    float reconstruction = image, epistemic = 0.0f;
    if (inside && n > 0) {
        reconstruction = (float)mean[pixel];
        epistemic = (float)(m2[pixel] / (moment_t)n);
    }
    maps[pixel] = reconstruction;
    maps[pixels + pixel] = epistemic;
    maps[2 * pixels + pixel] = inside ? fabs(image - reconstruction) : 0.0f;
}
