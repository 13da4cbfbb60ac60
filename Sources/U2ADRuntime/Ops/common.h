// Shared by every program: prepended to each Ops/<Op>/<op>.cl file before it is compiled. Helpers are `static inline`
// so that no compiler needs an external definition of them (OpenCL C 1.2 gives plain `inline` C99 semantics).

#define ACT_NONE 0
#define ACT_GELU 1
#define ACT_SIGMOID 2

static inline float apply_activation(float x, int activation) {
    if (activation == ACT_GELU) return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    if (activation == ACT_SIGMOID) return 1.0f / (1.0f + exp(-x));
    return x;
}

// The activation's derivative at the pre-activation x (GELU: Phi(x) + x phi(x); sigmoid: s (1 - s) with s = sigmoid(x)).
static inline float activation_derivative(float x, int activation) {
    if (activation == ACT_GELU) {
        const float cdf = 0.5f * (1.0f + erf(x * 0.70710678118654752f));
        const float pdf = exp(-0.5f * x * x) * 0.3989422804014327f;
        return cdf + x * pdf;
    }
    if (activation == ACT_SIGMOID) {
        const float s = 1.0f / (1.0f + exp(-x));
        return s * (1.0f - s);
    }
    return 1.0f;
}

// Philox4x32-10 (Salmon et al. 2011), bit-identical to Sources/U2ADRandom/Philox.swift: the four words at counter
// (c0, c1, c2, c3) under key (k0, k1).
static inline uint4 philox_block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1) {
    for (int round = 0; round < 10; ++round) {
        const uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        const uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        const uint n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        if (round < 9) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    }
    return (uint4)(c0, c1, c2, c3);
}

// Word `index` (0-3) of a block.
static inline uint philox_word(uint4 block, uint index) {
    return index == 0u ? block.x : index == 1u ? block.y : index == 2u ? block.z : block.w;
}

// The draw of `element`: counter (element / 4, layer, step, pass), word element % 4
// (RandomKey.bits(stream: layer, step:, row: pass, element:) in Swift).
static inline uint philox_draw(uint seed_lo, uint seed_hi, uint step, uint layer, uint pass, uint element) {
    return philox_word(philox_block(element >> 2, layer, step, pass, seed_lo, seed_hi), element & 3u);
}

static inline float philox_uniform(uint bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

static inline int philox_keeps(float rate, uint seed_lo, uint seed_hi, uint step, uint layer, uint pass, uint element) {
    return philox_uniform(philox_draw(seed_lo, seed_hi, step, layer, pass, element)) >= rate;
}
