// Multi-head softmax attention without the tokens x tokens matrix (online softmax), with its deterministic backward
// pass (a dQ pass that also writes dO . O per query, then a dK/dV pass; no atomics).
//
// qkv is [B*T, 3*W] (W = H * HEAD_DIM): row t holds q, k, v, each H runs of HEAD_DIM values.
// out is [B*T, W]; lse is [B, H, T] (base e). Scores are kept in base 2: the queries carry scale * log2(e), so the
// softmax needs exp2 alone, and the running maximum is rescaled once per chunk of KEY_CHUNK keys (scores of a chunk in
// registers), not once per key.
// Defines: HEAD_DIM; BLOCK (work items per group, and keys or queries per local tile); QUERIES (queries per work item
// in the forward and dQ passes); KEYS (consecutive keys per work item in the dK/dV pass); KEY_CHUNK (divides BLOCK).
// Dropout on the probabilities uses Philox, element (h T + i) T + j of pass firstPass + b (DropoutSpec.keeps); a work
// item draws the Philox blocks covering a run of consecutive elements and uses all four words of each.

#define QKV_ROW(b, t) (((long)(b) * T + (t)) * 3 * W)
#define LOG2E 1.4426950408889634f
#define LN2 0.69314718055994531f

// The dropout arguments every kernel here takes.
#define DROPOUT_PARAMS const float rate, const uint seedLo, const uint seedHi, const uint step, const uint layer, \
                       const uint firstPass

// Philox blocks covering `count` consecutive dropout elements from `first`, whatever its alignment (the last element's
// word is at most count + 2 words past the first block's start); the array holding them has one block more, never drawn
// nor chosen, so that KEEPS can name the block after any element's.
#define RUN_BLOCKS(count) (((count) + 2) / 4 + 1)
#define RUN_ARRAY(count) (RUN_BLOCKS(count) + 1)
#define DRAW_RUN(blocks, count, first, b) \
    for (int c_ = 0; c_ < RUN_ARRAY(count); ++c_) \
        blocks[c_] = c_ < RUN_BLOCKS(count) ? philox_block(((first) >> 2) + (uint)c_, layer, step, firstPass + (uint)(b), seedLo, seedHi) \
                                            : (uint4)(0u)

// Whether element first + offset is kept, from the blocks of its run: the block and word are chosen by selects, so an
// unrolled loop over `offset` never indexes the register array with a run-time value.
static inline int run_keeps(const uint4 low, const uint4 high, const uint first, const int offset, const float rate) {
    const uint index = (first & 3u) + (uint)(offset & 3);
    const uint4 block = index >= 4u ? high : low;
    return philox_uniform(philox_word(block, index & 3u)) >= rate;
}
#define KEEPS(blocks, first, offset) run_keeps(blocks[(offset) >> 2], blocks[((offset) >> 2) + 1], (first), (offset), rate)

static inline float dot_head(const float* a, __local const float* b) {
    float s = 0.0f;
    for (int d = 0; d < HEAD_DIM; ++d) s = fma(a[d], b[d], s);
    return s;
}

// Row `lid` of the K and V tiles: key j of head h, zero past T.
static inline void load_kv_tile_row(__global const float* qkv, __local float Ks[BLOCK][HEAD_DIM], __local float Vs[BLOCK][HEAD_DIM],
                                    const int lid, const int j, const int b, const int h, const int T, const int W) {
    for (int d = 0; d < HEAD_DIM; ++d) {
        Ks[lid][d] = j < T ? qkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] : 0.0f;
        Vs[lid][d] = j < T ? qkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] : 0.0f;
    }
}

// The work item's queries: first + q * BLOCK + lid.
#define QUERY(q) (get_group_id(0) * BLOCK * QUERIES + (q) * BLOCK + get_local_id(0))

__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_forward(__global const float* qkv, __global float* out, __global float* lse,
                       const int T, const int H, const float scale,
                       DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM, lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    __local float Ks[BLOCK][HEAD_DIM];
    __local float Vs[BLOCK][HEAD_DIM];
    float q[QUERIES][HEAD_DIM], acc[QUERIES][HEAD_DIM], m[QUERIES], l[QUERIES];
    for (int qi = 0; qi < QUERIES; ++qi) {
        const int i = QUERY(qi);
        for (int d = 0; d < HEAD_DIM; ++d) {
            q[qi][d] = i < T ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * (scale * LOG2E) : 0.0f;
            acc[qi][d] = 0.0f;
        }
        m[qi] = -INFINITY;
        l[qi] = 0.0f;
    }
    const float keepScale = 1.0f / (1.0f - rate);
    for (int j0 = 0; j0 < T; j0 += BLOCK) {
        load_kv_tile_row(qkv, Ks, Vs, lid, j0 + lid, b, h, T, W);
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - j0);
        for (int c0 = 0; c0 < count; c0 += KEY_CHUNK) {
            for (int qi = 0; qi < QUERIES; ++qi) {
                float s[KEY_CHUNK];
                float top = m[qi];
                for (int jj = 0; jj < KEY_CHUNK; ++jj) {
                    s[jj] = c0 + jj < count ? dot_head(q[qi], Ks[c0 + jj]) : -INFINITY;
                    top = fmax(top, s[jj]);
                }
                const float correction = exp2(m[qi] - top);
                l[qi] *= correction;
                for (int d = 0; d < HEAD_DIM; ++d) acc[qi][d] *= correction;
                m[qi] = top;
                uint4 blocks[RUN_ARRAY(KEY_CHUNK)];
                const uint first = (uint)((h * T + QUERY(qi)) * T + j0 + c0);
                if (rate > 0.0f) { DRAW_RUN(blocks, KEY_CHUNK, first, b); }
                for (int jj = 0; jj < KEY_CHUNK; ++jj) {
                    if (c0 + jj >= count) break;
                    const float p = exp2(s[jj] - top);
                    l[qi] += p;
                    float weight = p;
                    if (rate > 0.0f) weight = KEEPS(blocks, first, jj) ? p * keepScale : 0.0f;
                    for (int d = 0; d < HEAD_DIM; ++d) acc[qi][d] = fma(weight, Vs[c0 + jj][d], acc[qi][d]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int qi = 0; qi < QUERIES; ++qi) {
        const int i = QUERY(qi);
        if (i >= T) continue;
        for (int d = 0; d < HEAD_DIM; ++d) out[((long)b * T + i) * W + h * HEAD_DIM + d] = acc[qi][d] / l[qi];
        lse[((long)b * H + h) * T + i] = (m[qi] + log2(l[qi])) * LN2;
    }
}

// dQ, and rowdot[b, h, i] = dO_i . O_i for the dK/dV pass.
__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_backward_dq(__global const float* qkv, __global const float* out, __global const float* dout, __global const float* lse,
                           __global float* rowdot, __global float* dqkv,
                           const int T, const int H, const float scale,
                           DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM, lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    __local float Ks[BLOCK][HEAD_DIM];
    __local float Vs[BLOCK][HEAD_DIM];
    float q[QUERIES][HEAD_DIM], dO[QUERIES][HEAD_DIM], dq[QUERIES][HEAD_DIM], L[QUERIES], D[QUERIES];
    for (int qi = 0; qi < QUERIES; ++qi) {
        const int i = QUERY(qi);
        const int valid = i < T;
        const long row = ((long)b * T + i) * W + h * HEAD_DIM;
        float rowDot = 0.0f;
        for (int d = 0; d < HEAD_DIM; ++d) {
            q[qi][d] = valid ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * (scale * LOG2E) : 0.0f;
            dO[qi][d] = valid ? dout[row + d] : 0.0f;
            rowDot += valid ? dO[qi][d] * out[row + d] : 0.0f;
            dq[qi][d] = 0.0f;
        }
        L[qi] = valid ? lse[((long)b * H + h) * T + i] * LOG2E : 0.0f;
        D[qi] = rowDot;
        if (valid) rowdot[((long)b * H + h) * T + i] = rowDot;
    }
    const float keepScale = 1.0f / (1.0f - rate);
    for (int j0 = 0; j0 < T; j0 += BLOCK) {
        load_kv_tile_row(qkv, Ks, Vs, lid, j0 + lid, b, h, T, W);
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - j0);
        for (int c0 = 0; c0 < count; c0 += KEY_CHUNK) {
            for (int qi = 0; qi < QUERIES; ++qi) {
                uint4 blocks[RUN_ARRAY(KEY_CHUNK)];
                const uint first = (uint)((h * T + QUERY(qi)) * T + j0 + c0);
                if (rate > 0.0f) { DRAW_RUN(blocks, KEY_CHUNK, first, b); }
                for (int jj = 0; jj < KEY_CHUNK; ++jj) {
                    if (c0 + jj >= count) break;
                    const float p = exp2(dot_head(q[qi], Ks[c0 + jj]) - L[qi]);
                    float dp = dot_head(dO[qi], Vs[c0 + jj]);
                    if (rate > 0.0f) dp = KEEPS(blocks, first, jj) ? dp * keepScale : 0.0f;
                    const float ds = p * (dp - D[qi]);
                    for (int d = 0; d < HEAD_DIM; ++d) dq[qi][d] = fma(ds, Ks[c0 + jj][d], dq[qi][d]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int qi = 0; qi < QUERIES; ++qi) {
        const int i = QUERY(qi);
        if (i >= T) continue;
        for (int d = 0; d < HEAD_DIM; ++d) dqkv[QKV_ROW(b, i) + h * HEAD_DIM + d] = dq[qi][d] * scale;
    }
}

// dK and dV; the work item owns KEYS consecutive keys, so one run of Philox blocks serves all of them per query.
__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_backward_dkdv(__global const float* qkv, __global const float* dout, __global const float* lse,
                             __global const float* rowdot, __global float* dqkv,
                             const int T, const int H, const float scale,
                             DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM, lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    const int firstKey = (get_group_id(0) * BLOCK + lid) * KEYS;
    __local float Qs[BLOCK][HEAD_DIM];
    __local float dOs[BLOCK][HEAD_DIM];
    __local float Ls[BLOCK], Ds[BLOCK];
    float k[KEYS][HEAD_DIM], v[KEYS][HEAD_DIM], dk[KEYS][HEAD_DIM], dv[KEYS][HEAD_DIM];
    for (int kk = 0; kk < KEYS; ++kk) {
        const int j = firstKey + kk;
        for (int d = 0; d < HEAD_DIM; ++d) {
            k[kk][d] = j < T ? qkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] : 0.0f;
            v[kk][d] = j < T ? qkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] : 0.0f;
            dk[kk][d] = 0.0f;
            dv[kk][d] = 0.0f;
        }
    }
    const float keepScale = 1.0f / (1.0f - rate);
    for (int i0 = 0; i0 < T; i0 += BLOCK) {
        const int i = i0 + lid;
        for (int d = 0; d < HEAD_DIM; ++d) {
            Qs[lid][d] = i < T ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * (scale * LOG2E) : 0.0f;
            dOs[lid][d] = i < T ? dout[((long)b * T + i) * W + h * HEAD_DIM + d] : 0.0f;
        }
        Ls[lid] = i < T ? lse[((long)b * H + h) * T + i] * LOG2E : 0.0f;
        Ds[lid] = i < T ? rowdot[((long)b * H + h) * T + i] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - i0);
        for (int ii = 0; ii < count; ++ii) {
            uint4 blocks[RUN_ARRAY(KEYS)];
            const uint first = (uint)((h * T + i0 + ii) * T + firstKey);
            if (rate > 0.0f) { DRAW_RUN(blocks, KEYS, first, b); }
            for (int kk = 0; kk < KEYS; ++kk) {
                float s = 0.0f, dp = 0.0f;
                for (int d = 0; d < HEAD_DIM; ++d) { s = fma(Qs[ii][d], k[kk][d], s); dp = fma(dOs[ii][d], v[kk][d], dp); }
                const float p = exp2(s - Ls[ii]);
                float pKept = p;
                if (rate > 0.0f) {
                    const int keep = KEEPS(blocks, first, kk);
                    pKept = keep ? p * keepScale : 0.0f;
                    dp = keep ? dp * keepScale : 0.0f;
                }
                const float ds = p * (dp - Ds[ii]);
                for (int d = 0; d < HEAD_DIM; ++d) {
                    dv[kk][d] = fma(pKept, dOs[ii][d], dv[kk][d]);
                    dk[kk][d] = fma(ds, Qs[ii][d], dk[kk][d]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int kk = 0; kk < KEYS; ++kk) {
        const int j = firstKey + kk;
        if (j >= T) continue;
        for (int d = 0; d < HEAD_DIM; ++d) {
            // Qs holds q scale log2(e): ln 2 turns the sums into dL/dk.
            dqkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] = dk[kk][d] * LN2;
            dqkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] = dv[kk][d];
        }
    }
}
