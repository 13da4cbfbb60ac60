// C[m, n] = act(op(A)[m, k] . op(B)[k, n] + bias[n]) + residual[m, n], register-tiled.
//
// Defines: TILE_M, TILE_N, TILE_K (work-group tile), WPT_M, WPT_N (outputs per work item),
// TRANS_A, TRANS_B (0 or 1), HAS_BIAS, HAS_RESIDUAL (0 or 1), ACTIVATION (ACT_*).
// Work-group size is (TILE_N / WPT_N, TILE_M / WPT_M). Edges of any M, N, K are handled.

#define THREADS_N (TILE_N / WPT_N)
#define THREADS_M (TILE_M / WPT_M)
#define THREADS (THREADS_N * THREADS_M)

#if TRANS_A
#define A_AT(row, col) A[(col) * M + (row)]
#else
#define A_AT(row, col) A[(row) * K + (col)]
#endif
#if TRANS_B
#define B_AT(row, col) B[(col) * K + (row)]
#else
#define B_AT(row, col) B[(row) * N + (col)]
#endif

__kernel __attribute__((reqd_work_group_size(THREADS_N, THREADS_M, 1)))
void gemm(const int M, const int N, const int K,
          __global const float* restrict A, __global const float* restrict B,
          __global float* C, __global const float* bias, __global const float* residual) {
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * THREADS_N + tx;
    const int rowBase = get_group_id(1) * TILE_M, colBase = get_group_id(0) * TILE_N;

    __local float As[TILE_K][TILE_M + 1];
    __local float Bs[TILE_K][TILE_N + 1];

    float acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; ++r)
        for (int c = 0; c < WPT_N; ++c) acc[r][c] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        for (int i = tid; i < TILE_K * TILE_M; i += THREADS) {
#if TRANS_A
            const int kk = i / TILE_M, mm = i % TILE_M;
#else
            const int mm = i / TILE_K, kk = i % TILE_K;
#endif
            const int row = rowBase + mm, col = k0 + kk;
            As[kk][mm] = (row < M && col < K) ? A_AT(row, col) : 0.0f;
        }
        for (int i = tid; i < TILE_K * TILE_N; i += THREADS) {
#if TRANS_B
            const int nn = i / TILE_K, kk = i % TILE_K;
#else
            const int kk = i / TILE_N, nn = i % TILE_N;
#endif
            const int row = k0 + kk, col = colBase + nn;
            Bs[kk][nn] = (row < K && col < N) ? B_AT(row, col) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TILE_K; ++kk) {
            float a[WPT_M], b[WPT_N];
            for (int r = 0; r < WPT_M; ++r) a[r] = As[kk][ty + r * THREADS_M];
            for (int c = 0; c < WPT_N; ++c) b[c] = Bs[kk][tx + c * THREADS_N];
            for (int r = 0; r < WPT_M; ++r)
                for (int c = 0; c < WPT_N; ++c) acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int r = 0; r < WPT_M; ++r) {
        const int row = rowBase + ty + r * THREADS_M;
        if (row >= M) continue;
        for (int c = 0; c < WPT_N; ++c) {
            const int col = colBase + tx + c * THREADS_N;
            if (col >= N) continue;
            float v = acc[r][c];
#if HAS_BIAS
            v += bias[col];
#endif
            v = apply_activation(v, ACTIVATION);
#if HAS_RESIDUAL
            v += residual[row * N + col];
#endif
            C[row * N + col] = v;
        }
    }
}
