// LayerNorm over rows of DIM values, forward and backward. Reductions run in a fixed order.

__kernel void layernorm_forward(__global const float* x, __global const float* gamma, __global const float* beta,
                                __global float* y, __global float* mean, __global float* rstd,
                                const int rows, const int dim, const float epsilon) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + (long)r * dim;
    float sum = 0.0f;
    for (int i = 0; i < dim; ++i) sum += row[i];
    const float mu = sum / (float)dim;
    float squares = 0.0f;
    for (int i = 0; i < dim; ++i) { const float d = row[i] - mu; squares += d * d; }
    const float inv = 1.0f / sqrt(squares / (float)dim + epsilon);
    mean[r] = mu;
    rstd[r] = inv;
    __global float* out = y + (long)r * dim;
    for (int i = 0; i < dim; ++i) out[i] = (row[i] - mu) * inv * gamma[i] + beta[i];
}

__kernel void layernorm_backward_input(__global const float* dy, __global const float* x, __global const float* gamma,
                                       __global const float* mean, __global const float* rstd, __global float* dx,
                                       const int rows, const int dim, const int accumulate) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + (long)r * dim;
    __global const float* grad = dy + (long)r * dim;
    __global float* out = dx + (long)r * dim;
    const float mu = mean[r], inv = rstd[r];
    float meanG = 0.0f, meanGX = 0.0f;
    for (int i = 0; i < dim; ++i) {
        const float xhat = (row[i] - mu) * inv;
        const float g = grad[i] * gamma[i];
        meanG += g;
        meanGX += g * xhat;
    }
    meanG /= (float)dim;
    meanGX /= (float)dim;
    for (int i = 0; i < dim; ++i) {
        const float xhat = (row[i] - mu) * inv;
        const float value = inv * (grad[i] * gamma[i] - meanG - xhat * meanGX);
        out[i] = accumulate ? out[i] + value : value;
    }
}

// partial[c, 0:dim] = sum of dy * xhat and partial[c, dim:2dim] = sum of dy over the rows of chunk c.
__kernel void layernorm_backward_params_partial(__global const float* dy, __global const float* x,
                                                __global const float* mean, __global const float* rstd,
                                                __global float* partial, const int rows, const int dim,
                                                const int chunkRows) {
    const int i = get_global_id(0), c = get_global_id(1);
    if (i >= dim) return;
    const int start = c * chunkRows, end = min(rows, start + chunkRows);
    float dg = 0.0f, db = 0.0f;
    for (int r = start; r < end; ++r) {
        const float g = dy[(long)r * dim + i];
        dg += g * (x[(long)r * dim + i] - mean[r]) * rstd[r];
        db += g;
    }
    partial[(long)c * 2 * dim + i] = dg;
    partial[(long)c * 2 * dim + dim + i] = db;
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
