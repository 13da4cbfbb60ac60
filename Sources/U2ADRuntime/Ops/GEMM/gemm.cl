// C[m, n] = act(op(A)[m, k] . op(B)[k, n] + bias[n]) + residual[m % residualRows, n], register-tiled in the manner of
// CLBlast's Xgemm: each work-group computes a TILE_M x TILE_N tile of C through TILE_K-deep tiles of A and B in local
// memory (two of each when DOUBLE_BUFFER: the next tile is read from global memory into registers while the current one
// is multiplied), each work item a WPT_M x WPT_N block of C held in registers.
//
// Tiles (the tuning entry): TILE_M, TILE_N, TILE_K, WPT_M, WPT_N, DOUBLE_BUFFER. Work-group (TILE_N / WPT_N, TILE_M / WPT_M).
// Variant: TRANS_A, TRANS_B; VEC_A, VEC_B (1 or 4: width of the global loads along the operand's contiguous axis, 4 only
// when that axis's length is a multiple of 4); HAS_BIAS, ACTIVATION (ACT_*), HAS_RESIDUAL; SAVE_PRE (also write the
// pre-activation); ACT_DERIVATIVE (multiply by act'(aux) instead: the backward through an activation); BIAS_GRAD (also
// the sums of op(A) over k, per row of C: a Linear layer's bias gradient); LAYER_NORM (A's rows normalised on the way in,
// SAVE_NORM: and written out with their statistics); SPLIT_K (group z covers k in [z kChunk, (z + 1) kChunk) and writes
// partial sums, which gemm_split_reduce adds in order).
// Edges of any M, N, K are handled. Offsets are 64-bit.

#define THREADS_N (TILE_N / WPT_N)
#define THREADS_M (TILE_M / WPT_M)
#define THREADS (THREADS_N * THREADS_M)
#define BUFFERS (DOUBLE_BUFFER ? 2 : 1)

// Local reads of four consecutive rows (columns) at once when the register block allows it.
#if WPT_M % 4 == 0
#define LOCAL_VEC_M 4
#else
#define LOCAL_VEC_M 1
#endif
#if WPT_N % 4 == 0
#define LOCAL_VEC_N 4
#else
#define LOCAL_VEC_N 1
#endif

// The r-th row (c-th column) of a work item's block within the tile: groups of LOCAL_VEC consecutive rows, the groups
// of neighbouring work items interleaved, so a warp's local reads are consecutive vectors.
#define BLOCK_ROW(r, ty) ((((r) / LOCAL_VEC_M) * THREADS_M + (ty)) * LOCAL_VEC_M + (r) % LOCAL_VEC_M)
#define BLOCK_COL(c, tx) ((((c) / LOCAL_VEC_N) * THREADS_N + (tx)) * LOCAL_VEC_N + (c) % LOCAL_VEC_N)

// The work item's `count` values of one row of a local tile (its block rows or columns), `width` at a time.
#define READ_BLOCK(values, count, width, row, BLOCK_INDEX, t) \
    for (int i_ = 0; i_ < (count); i_ += (width)) { \
        if ((width) == 4) { \
            const float4 v_ = vload4(0, (row) + BLOCK_INDEX(i_, t)); \
            values[i_] = v_.x; values[i_ + 1] = v_.y; values[i_ + 2] = v_.z; values[i_ + 3] = v_.w; \
        } else { \
            values[i_] = (row)[BLOCK_INDEX(i_, t)]; \
        } \
    }

// Global vectors of each operand per tile, and per work item.
#define A_VECTORS (TILE_M * TILE_K / VEC_A)
#define B_VECTORS (TILE_N * TILE_K / VEC_B)
#define A_PER_ITEM ((A_VECTORS + THREADS - 1) / THREADS)
#define B_PER_ITEM ((B_VECTORS + THREADS - 1) / THREADS)

// Where vector v of a tile starts: (mm, kk) of A or (kk, nn) of B, the vector running along the contiguous axis.
static inline void a_vector_origin(const int v, int* mm, int* kk) {
#if TRANS_A
    *kk = v / (TILE_M / VEC_A); *mm = (v % (TILE_M / VEC_A)) * VEC_A;
#else
    *mm = v / (TILE_K / VEC_A); *kk = (v % (TILE_K / VEC_A)) * VEC_A;
#endif
}
static inline void b_vector_origin(const int v, int* kk, int* nn) {
#if TRANS_B
    *nn = v / (TILE_K / VEC_B); *kk = (v % (TILE_K / VEC_B)) * VEC_B;
#else
    *kk = v / (TILE_N / VEC_B); *nn = (v % (TILE_N / VEC_B)) * VEC_B;
#endif
}

// Vector v of a tile stored as lines of `stride` floats, `perLine` vectors along each: line lineStart + v / perLine,
// from offset offsetStart + (v % perLine) VEC. One load when it lies wholly inside (line < lines, end <= length),
// element by element with zeros past the edges otherwise.
#define DEFINE_TILE_LOADER(name, VEC) \
    static inline void name(__global const float* base, const int v, const int perLine, const int lineStart, const int lines, \
                            const int offsetStart, const int length, const int stride, float* out) { \
        const int line = lineStart + v / perLine, offset = offsetStart + (v % perLine) * VEC; \
        __global const float* p = base + (long)line * stride + offset; \
        if (VEC == 4 && line < lines && offset + 4 <= length) { \
            const float4 value = vload4(0, p); \
            out[0] = value.x; out[1] = value.y; out[2] = value.z; out[3] = value.w; \
            return; \
        } \
        for (int i = 0; i < VEC; ++i) out[i] = (line < lines && offset + i < length) ? p[i] : 0.0f; \
    }
DEFINE_TILE_LOADER(load_a_tile, VEC_A)
DEFINE_TILE_LOADER(load_b_tile, VEC_B)

// Vector v of the A tile at (rowBase, k0) and of the B tile at (colBase, k0), along each operand's contiguous axis.
#if TRANS_A
#define LOAD_A_VECTOR(v, k0, out) load_a_tile(A, v, TILE_M / VEC_A, k0, kEnd, rowBase, M, M, out)
#else
#define LOAD_A_VECTOR(v, k0, out) load_a_tile(A, v, TILE_K / VEC_A, rowBase, M, k0, kEnd, K, out)
#endif
#if TRANS_B
#define LOAD_B_VECTOR(v, k0, out) load_b_tile(B, v, TILE_K / VEC_B, colBase, N, k0, kEnd, K, out)
#else
#define LOAD_B_VECTOR(v, k0, out) load_b_tile(B, v, TILE_N / VEC_B, k0, kEnd, colBase, N, N, out)
#endif

// Stores vector v of A into the local tile As[kk][mm] (normalising a row of A on the way when LAYER_NORM).
static inline void store_a_vector(__local float* As, const float* value, const int v, const int rowBase, const int k0,
                                  const int kEnd, const int M, const int K,
                                  __local const float* rowMean, __local const float* rowRstd,
                                  __global const float* gamma, __global const float* beta, __global float* normalized) {
    int mm, kk;
    a_vector_origin(v, &mm, &kk);
    for (int i = 0; i < VEC_A; ++i) {
        float x = value[i];
#if TRANS_A
        const int m = mm + i, k = kk;
#else
        const int m = mm, k = kk + i;
#endif
#if LAYER_NORM
        const int row = rowBase + m, col = k0 + k;
        if (row < M && col < kEnd) {
            x = (x - rowMean[m]) * rowRstd[m] * gamma[col] + beta[col];
#if SAVE_NORM
            if (get_group_id(0) == 0) normalized[(long)row * K + col] = x;
#endif
        }
#endif
        As[k * TILE_M + m] = x;
    }
}

static inline void store_b_vector(__local float* Bs, const float* value, const int v) {
    int kk, nn;
    b_vector_origin(v, &kk, &nn);
    for (int i = 0; i < VEC_B; ++i) {
#if TRANS_B
        Bs[(kk + i) * TILE_N + nn] = value[i];
#else
        Bs[kk * TILE_N + nn + i] = value[i];
#endif
    }
}

__kernel __attribute__((reqd_work_group_size(THREADS_N, THREADS_M, 1)))
void gemm(const int M, const int N, const int K,
          __global const float* restrict A, __global const float* restrict B, __global float* C,
          __global const float* bias, __global const float* residual, const int residualRows,
          __global float* aux, __global float* biasGradient, const int kChunk,
          __global const float* gamma, __global const float* beta, const float epsilon,
          __global float* normalized, __global float* normMean, __global float* normRstd) {
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * THREADS_N + tx;
    const int rowBase = get_group_id(1) * TILE_M, colBase = get_group_id(0) * TILE_N;
#if SPLIT_K
    const int split = get_group_id(2);
    const int kBegin = split * kChunk, kEnd = min(K, kBegin + kChunk);
#else
    const int kBegin = 0, kEnd = K;
#endif

    __local float As[BUFFERS][TILE_K * TILE_M];
    __local float Bs[BUFFERS][TILE_K * TILE_N];
    __local float rowMean[LAYER_NORM ? TILE_M : 1], rowRstd[LAYER_NORM ? TILE_M : 1];

#if LAYER_NORM
    // The statistics of this tile's rows, as layernorm_forward computes them (mean, then the mean square deviation).
    for (int m = tid; m < TILE_M; m += THREADS) {
        const int row = rowBase + m;
        float mu = 0.0f, inv = 0.0f;
        if (row < M) {
            __global const float* x = A + (long)row * K;
            float sum = 0.0f;
            for (int k = 0; k < K; ++k) sum += x[k];
            mu = sum / (float)K;
            float squares = 0.0f;
            for (int k = 0; k < K; ++k) { const float d = x[k] - mu; squares += d * d; }
            inv = 1.0f / sqrt(squares / (float)K + epsilon);
#if SAVE_NORM
            if (get_group_id(0) == 0) { normMean[row] = mu; normRstd[row] = inv; }
#endif
        }
        rowMean[m] = mu;
        rowRstd[m] = inv;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
#endif

    float acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; ++r)
        for (int c = 0; c < WPT_N; ++c) acc[r][c] = 0.0f;
#if BIAS_GRAD
    float rowSums[WPT_M];
    for (int r = 0; r < WPT_M; ++r) rowSums[r] = 0.0f;
#endif

    // The work item's share of the tiles at k, read from global memory into registers.
#define READ_TILES(k) \
    for (int i = 0; i < A_PER_ITEM; ++i) { const int v = tid + i * THREADS; if (v < A_VECTORS) LOAD_A_VECTOR(v, k, nextA[i]); } \
    for (int i = 0; i < B_PER_ITEM; ++i) { const int v = tid + i * THREADS; if (v < B_VECTORS) LOAD_B_VECTOR(v, k, nextB[i]); }
    float nextA[A_PER_ITEM][VEC_A];
    float nextB[B_PER_ITEM][VEC_B];
    READ_TILES(kBegin)

    int buffer = 0;
    for (int k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
        for (int i = 0; i < A_PER_ITEM; ++i) {
            const int v = tid + i * THREADS;
            if (v < A_VECTORS) store_a_vector(As[buffer], nextA[i], v, rowBase, k0, kEnd, M, K, rowMean, rowRstd, gamma, beta, normalized);
        }
        for (int i = 0; i < B_PER_ITEM; ++i) {
            const int v = tid + i * THREADS;
            if (v < B_VECTORS) store_b_vector(Bs[buffer], nextB[i], v);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // The next tile's global reads overlap this tile's arithmetic.
        if (k0 + TILE_K < kEnd) { READ_TILES(k0 + TILE_K) }
        __local const float* as = As[buffer];
        __local const float* bs = Bs[buffer];
        for (int kk = 0; kk < TILE_K; ++kk) {
            float a[WPT_M], b[WPT_N];
            READ_BLOCK(a, WPT_M, LOCAL_VEC_M, as + kk * TILE_M, BLOCK_ROW, ty)
            READ_BLOCK(b, WPT_N, LOCAL_VEC_N, bs + kk * TILE_N, BLOCK_COL, tx)
            for (int r = 0; r < WPT_M; ++r)
                for (int c = 0; c < WPT_N; ++c) acc[r][c] = fma(a[r], b[c], acc[r][c]);
#if BIAS_GRAD
            for (int r = 0; r < WPT_M; ++r) rowSums[r] += a[r];
#endif
        }
#if DOUBLE_BUFFER
        buffer = 1 - buffer;
#else
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
    }

#if SPLIT_K
    __global float* out = C + (long)split * M * N;
#else
    __global float* out = C;
#endif
#if BIAS_GRAD
    if (get_group_id(0) == 0 && tx == 0) {
        for (int r = 0; r < WPT_M; ++r) {
            const int row = rowBase + BLOCK_ROW(r, ty);
#if SPLIT_K
            if (row < M) biasGradient[(long)split * M + row] = rowSums[r];
#else
            if (row < M) biasGradient[row] = rowSums[r];
#endif
        }
    }
#endif
    for (int r = 0; r < WPT_M; ++r) {
        const int row = rowBase + BLOCK_ROW(r, ty);
        if (row >= M) continue;
        for (int c = 0; c < WPT_N; ++c) {
            const int col = colBase + BLOCK_COL(c, tx);
            if (col >= N) continue;
            const long at = (long)row * N + col;
            float v = acc[r][c];
#if HAS_BIAS
            v += bias[col];
#endif
#if SAVE_PRE
            aux[at] = v;
#endif
#if ACT_DERIVATIVE
            v *= activation_derivative(aux[at], ACTIVATION);
#else
            v = apply_activation(v, ACTIVATION);
#endif
#if HAS_RESIDUAL
            v += residual[(long)(row % residualRows) * N + col];
#endif
            out[at] = v;
        }
    }
}

// C = sum over the splits, in order, of the partial products; the bias gradient likewise.
__kernel void gemm_split_reduce(__global const float* partial, __global float* C, const int count, const int splits,
                                __global const float* biasPartial, __global float* biasGradient, const int biasCount) {
    const int i = get_global_id(0);
    if (i < count) {
        float sum = 0.0f;
        for (int s = 0; s < splits; ++s) sum += partial[(long)s * count + i];
        C[i] = sum;
    } else if (i < count + biasCount) {
        const int m = i - count;
        float sum = 0.0f;
        for (int s = 0; s < splits; ++s) sum += biasPartial[(long)s * biasCount + m];
        biasGradient[m] = sum;
    }
}
