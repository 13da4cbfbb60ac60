// Shared by every program: prepended to each Ops/<Op>/<op>.cl file before it is compiled.

#define ACT_NONE 0
#define ACT_GELU 1
#define ACT_SIGMOID 2

inline float apply_activation(float x, int activation) {
    if (activation == ACT_GELU) return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    if (activation == ACT_SIGMOID) return 1.0f / (1.0f + exp(-x));
    return x;
}

// Philox4x32-10 (Salmon et al. 2011), bit-identical to Sources/U2ADRandom/Philox.swift.
// Counter = (element / 4, layer, step, pass), key = (seed_lo, seed_hi); element % 4 picks the output word
// (RandomKey.bits(stream: layer, step:, row: pass, element:) in Swift).
inline uint philox_draw(uint seed_lo, uint seed_hi, uint step, uint layer, uint pass, uint element) {
    uint c0 = element >> 2, c1 = layer, c2 = step, c3 = pass;
    uint k0 = seed_lo, k1 = seed_hi;
    for (int round = 0; round < 10; ++round) {
        uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        if (round < 9) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    }
    uint lane = element & 3u;
    return lane == 0u ? c0 : lane == 1u ? c1 : lane == 2u ? c2 : c3;
}

inline float philox_uniform(uint bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

inline int philox_keeps(float rate, uint seed_lo, uint seed_hi, uint step, uint layer, uint pass, uint element) {
    return philox_uniform(philox_draw(seed_lo, seed_hi, step, layer, pass, element)) >= rate;
}
