// LayerNorm over rows of `dim` values, forward and backward. Reductions run in a fixed order.

// One work-group of WG items per row: each item takes a strided share of the row, then a tree reduction
// in local memory combines the shares in a fixed order (deterministic for a given WG).
#ifndef WG
#define WG 32
#endif

static inline float group_sum(float value, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = WG / 2; stride > 0; stride >>= 1) {
        if (lid < stride) scratch[lid] += scratch[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void layernorm_forward(__global const float* x, __global const float* gamma, __global const float* beta,
                       __global float* y, __global float* mean, __global float* rstd,
                       const int rows, const int dim, const float epsilon) {
    __local float scratch[WG];
    // One group per row (rows x WG items), and no return before a barrier: PoCL crashes on one even when no item takes it.
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* row = x + (long)r * dim;
    float sum = 0.0f;
    for (int i = lid; i < dim; i += WG) sum += row[i];
    const float mu = group_sum(sum, scratch) / (float)dim;
    float squares = 0.0f;
    for (int i = lid; i < dim; i += WG) { const float d = row[i] - mu; squares += d * d; }
    const float inv = 1.0f / sqrt(group_sum(squares, scratch) / (float)dim + epsilon);
    if (lid == 0) { mean[r] = mu; rstd[r] = inv; }
    __global float* out = y + (long)r * dim;
    for (int i = lid; i < dim; i += WG) out[i] = (row[i] - mu) * inv * gamma[i] + beta[i];
}

// One work-group per chunk of CHUNK_ROWS rows: dx of each row (plus its addend), and the chunk's partial sums of
// dy * xhat and dy per column (each work item owns columns lid, lid + WG, ...: COLUMNS_PER_ITEM of them), which
// layernorm_backward_params_final adds over the chunks in order.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void layernorm_backward(__global const float* dy, __global const float* x, __global const float* gamma,
                        __global const float* mean, __global const float* rstd, __global float* dx,
                        __global const float* addend, const int hasAddend, __global float* partial,
                        const int rows, const int dim) {
    __local float scratch[WG];
    const int chunk = get_group_id(0), lid = get_local_id(0);
    float dg[COLUMNS_PER_ITEM], db[COLUMNS_PER_ITEM];
    for (int c = 0; c < COLUMNS_PER_ITEM; ++c) { dg[c] = 0.0f; db[c] = 0.0f; }
    const int end = min(rows, (chunk + 1) * CHUNK_ROWS);
    for (int r = chunk * CHUNK_ROWS; r < end; ++r) {
        __global const float* row = x + (long)r * dim;
        __global const float* grad = dy + (long)r * dim;
        const float mu = mean[r], inv = rstd[r];
        float partG = 0.0f, partGX = 0.0f;
        for (int c = 0; c < COLUMNS_PER_ITEM; ++c) {
            const int i = lid + c * WG;
            if (i >= dim) break;
            const float xhat = (row[i] - mu) * inv;
            const float g = grad[i] * gamma[i];
            partG += g;
            partGX += g * xhat;
            dg[c] += grad[i] * xhat;
            db[c] += grad[i];
        }
        const float meanG = group_sum(partG, scratch) / (float)dim;
        const float meanGX = group_sum(partGX, scratch) / (float)dim;
        __global float* out = dx + (long)r * dim;
        __global const float* add = addend + (long)r * dim;
        for (int c = 0; c < COLUMNS_PER_ITEM; ++c) {
            const int i = lid + c * WG;
            if (i >= dim) break;
            const float xhat = (row[i] - mu) * inv;
            const float value = inv * (grad[i] * gamma[i] - meanG - xhat * meanGX);
            out[i] = hasAddend ? add[i] + value : value;
        }
    }
    for (int c = 0; c < COLUMNS_PER_ITEM; ++c) {
        const int i = lid + c * WG;
        if (i >= dim) break;
        partial[(long)chunk * 2 * dim + i] = dg[c];
        partial[(long)chunk * 2 * dim + dim + i] = db[c];
    }
}

__kernel void layernorm_backward_params_final(__global const float* partial, __global float* dgamma,
                                              __global float* dbeta, const int dim, const int chunks) {
    const int i = get_global_id(0);
    if (i >= dim) return;
    float dg = 0.0f, db = 0.0f;
    for (int c = 0; c < chunks; ++c) {
        dg += partial[(long)c * 2 * dim + i];
        db += partial[(long)c * 2 * dim + dim + i];
    }
    dgamma[i] = dg;
    dbeta[i] = db;
}
