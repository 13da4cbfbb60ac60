// Multi-head softmax attention without the tokens x tokens matrix (online softmax),
// with its deterministic backward pass (a dQ pass and a dK/dV pass, no atomics).
//
// qkv is [B*T, 3*W] (W = H * HEAD_DIM): row t holds q, k, v, each H runs of HEAD_DIM values.
// out is [B*T, W]; lse is [B, H, T]. One work item per query (or per key in the dK/dV pass);
// work-groups of BLOCK items share tiles of BLOCK rows in local memory.
// Defines: HEAD_DIM, BLOCK. Dropout on the probabilities uses Philox, element = (h*T + i)*T + j.

#define QKV_ROW(b, t) (((long)(b) * T + (t)) * 3 * W)

// The dropout arguments every kernel here takes, and the keep decision for (batch row b, element).
#define DROPOUT_PARAMS const float rate, const uint seedLo, const uint seedHi, const uint step, const uint layer, \
                       const uint firstPass
#define KEEPS(b, element) philox_keeps(rate, seedLo, seedHi, step, layer, firstPass + (b), (element))

// Row `lid` of the K and V tiles: key j of head h, zero past T.
static inline void load_kv_tile_row(__global const float* qkv, __local float Ks[BLOCK][HEAD_DIM], __local float Vs[BLOCK][HEAD_DIM],
                             const int lid, const int j, const int b, const int h, const int T, const int W) {
    for (int d = 0; d < HEAD_DIM; ++d) {
        Ks[lid][d] = j < T ? qkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] : 0.0f;
        Vs[lid][d] = j < T ? qkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] : 0.0f;
    }
}

__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_forward(__global const float* qkv, __global float* out, __global float* lse,
                       const int T, const int H, const float scale,
                       DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM;
    const int i = get_global_id(0), lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    __local float Ks[BLOCK][HEAD_DIM];
    __local float Vs[BLOCK][HEAD_DIM];
    float q[HEAD_DIM], acc[HEAD_DIM];
    const int valid = i < T;
    for (int d = 0; d < HEAD_DIM; ++d) {
        q[d] = valid ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    const float keepScale = 1.0f / (1.0f - rate);
    for (int j0 = 0; j0 < T; j0 += BLOCK) {
        load_kv_tile_row(qkv, Ks, Vs, lid, j0 + lid, b, h, T, W);
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - j0);
        for (int jj = 0; jj < count; ++jj) {
            float s = 0.0f;
            for (int d = 0; d < HEAD_DIM; ++d) s = fma(q[d], Ks[jj][d], s);
            const float mNew = fmax(m, s);
            const float correction = exp(m - mNew);
            const float p = exp(s - mNew);
            l = l * correction + p;
            float weight = p;
            if (rate > 0.0f) {
                const uint element = (uint)((h * T + i) * T + j0 + jj);
                weight = KEEPS(b, element) ? p * keepScale : 0.0f;
            }
            for (int d = 0; d < HEAD_DIM; ++d) acc[d] = fma(weight, Vs[jj][d], acc[d] * correction);
            m = mNew;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!valid) return;
    for (int d = 0; d < HEAD_DIM; ++d) out[((long)b * T + i) * W + h * HEAD_DIM + d] = acc[d] / l;
    lse[((long)b * H + h) * T + i] = m + log(l);
}

// rowdot[b, h, i] = dO_i . O_i
__kernel void attention_backward_rowdot(__global const float* out, __global const float* dout, __global float* rowdot,
                                        const int T, const int H) {
    const int W = H * HEAD_DIM;
    const int i = get_global_id(0), h = get_global_id(1), b = get_global_id(2);
    if (i >= T) return;
    const long base = ((long)b * T + i) * W + h * HEAD_DIM;
    float s = 0.0f;
    for (int d = 0; d < HEAD_DIM; ++d) s += dout[base + d] * out[base + d];
    rowdot[((long)b * H + h) * T + i] = s;
}

__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_backward_dq(__global const float* qkv, __global const float* dout, __global const float* lse,
                           __global const float* rowdot, __global float* dqkv,
                           const int T, const int H, const float scale,
                           DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM;
    const int i = get_global_id(0), lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    __local float Ks[BLOCK][HEAD_DIM];
    __local float Vs[BLOCK][HEAD_DIM];
    const int valid = i < T;
    float q[HEAD_DIM], dO[HEAD_DIM], dq[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        q[d] = valid ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * scale : 0.0f;
        dO[d] = valid ? dout[((long)b * T + i) * W + h * HEAD_DIM + d] : 0.0f;
        dq[d] = 0.0f;
    }
    const long row = ((long)b * H + h) * T + i;
    const float L = valid ? lse[row] : 0.0f, D = valid ? rowdot[row] : 0.0f;
    const float keepScale = 1.0f / (1.0f - rate);
    for (int j0 = 0; j0 < T; j0 += BLOCK) {
        load_kv_tile_row(qkv, Ks, Vs, lid, j0 + lid, b, h, T, W);
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - j0);
        for (int jj = 0; jj < count; ++jj) {
            float s = 0.0f, dp = 0.0f;
            for (int d = 0; d < HEAD_DIM; ++d) { s = fma(q[d], Ks[jj][d], s); dp = fma(dO[d], Vs[jj][d], dp); }
            const float p = exp(s - L);
            if (rate > 0.0f) {
                const uint element = (uint)((h * T + i) * T + j0 + jj);
                dp = KEEPS(b, element) ? dp * keepScale : 0.0f;
            }
            const float ds = p * (dp - D);
            for (int d = 0; d < HEAD_DIM; ++d) dq[d] = fma(ds, Ks[jj][d], dq[d]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!valid) return;
    for (int d = 0; d < HEAD_DIM; ++d) dqkv[QKV_ROW(b, i) + h * HEAD_DIM + d] = dq[d] * scale;
}

__kernel __attribute__((reqd_work_group_size(BLOCK, 1, 1)))
void attention_backward_dkdv(__global const float* qkv, __global const float* dout, __global const float* lse,
                             __global const float* rowdot, __global float* dqkv,
                             const int T, const int H, const float scale,
                             DROPOUT_PARAMS) {
    const int W = H * HEAD_DIM;
    const int j = get_global_id(0), lid = get_local_id(0);
    const int h = get_global_id(1), b = get_global_id(2);
    __local float Qs[BLOCK][HEAD_DIM];
    __local float dOs[BLOCK][HEAD_DIM];
    __local float Ls[BLOCK], Ds[BLOCK];
    const int valid = j < T;
    float k[HEAD_DIM], v[HEAD_DIM], dk[HEAD_DIM], dv[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; ++d) {
        k[d] = valid ? qkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] : 0.0f;
        v[d] = valid ? qkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] : 0.0f;
        dk[d] = 0.0f;
        dv[d] = 0.0f;
    }
    const float keepScale = 1.0f / (1.0f - rate);
    for (int i0 = 0; i0 < T; i0 += BLOCK) {
        const int i = i0 + lid;
        for (int d = 0; d < HEAD_DIM; ++d) {
            Qs[lid][d] = i < T ? qkv[QKV_ROW(b, i) + h * HEAD_DIM + d] * scale : 0.0f;
            dOs[lid][d] = i < T ? dout[((long)b * T + i) * W + h * HEAD_DIM + d] : 0.0f;
        }
        Ls[lid] = i < T ? lse[((long)b * H + h) * T + i] : 0.0f;
        Ds[lid] = i < T ? rowdot[((long)b * H + h) * T + i] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int count = min(BLOCK, T - i0);
        for (int ii = 0; ii < count; ++ii) {
            float s = 0.0f, dp = 0.0f;
            for (int d = 0; d < HEAD_DIM; ++d) { s = fma(Qs[ii][d], k[d], s); dp = fma(dOs[ii][d], v[d], dp); }
            const float p = exp(s - Ls[ii]);
            float pKept = p;
            if (rate > 0.0f) {
                const uint element = (uint)((h * T + i0 + ii) * T + j);
                const int keep = KEEPS(b, element);
                pKept = keep ? p * keepScale : 0.0f;
                dp = keep ? dp * keepScale : 0.0f;
            }
            const float ds = p * (dp - Ds[ii]);
            for (int d = 0; d < HEAD_DIM; ++d) {
                dv[d] = fma(pKept, dOs[ii][d], dv[d]);
                dk[d] = fma(ds, Qs[ii][d], dk[d]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!valid) return;
    for (int d = 0; d < HEAD_DIM; ++d) {
        // Qs holds q * scale already, so dk needs no further scaling.
        dqkv[QKV_ROW(b, j) + W + h * HEAD_DIM + d] = dk[d];
        dqkv[QKV_ROW(b, j) + 2 * W + h * HEAD_DIM + d] = dv[d];
    }
}
