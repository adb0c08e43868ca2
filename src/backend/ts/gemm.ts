// Portable float32 GEMM: C[M×N] (+)= A[M×K] · B[K×N], all row-major with explicit leading dimensions.
// Blocked for cache (K and N panels) and register-blocked over 4 rows of C, so each loaded B element feeds
// four multiply-adds. Accumulation is in float32 storage, like PyTorch's CPU kernels.

const KC = 256; // rows of B per panel: a KC×NC panel of B stays in L2
const NC = 512; // columns per panel: 4 C rows × NC floats stay in L1/L2

export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  A: Float32Array;
  aOffset: number;
  lda: number;
  B: Float32Array;
  bOffset: number;
  ldb: number;
  C: Float32Array;
  cOffset: number;
  ldc: number;
  /** When false, C is overwritten (zeroed first); when true, the product is added to C. */
  accumulate: boolean;
}

export function gemm(g: GemmArgs): void {
  const { M, N, K, A, lda, B, ldb, C, ldc } = g;
  const ao = g.aOffset, bo = g.bOffset, co = g.cOffset;
  if (!g.accumulate) {
    for (let i = 0; i < M; i++) C.fill(0, co + i * ldc, co + i * ldc + N);
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const j1 = Math.min(N, j0 + NC);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const k1 = Math.min(K, k0 + KC);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const c0 = co + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        const a0 = ao + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
          const b = bo + k * ldb;
          for (let j = j0; j < j1; j++) {
            const y = B[b + j]!;
            C[c0 + j] += x0 * y;
            C[c1 + j] += x1 * y;
            C[c2 + j] += x2 * y;
            C[c3 + j] += x3 * y;
          }
        }
      }
      for (; i < M; i++) {
        const c0 = co + i * ldc, a0 = ao + i * lda;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k]!;
          const b = bo + k * ldb;
          for (let j = j0; j < j1; j++) C[c0 + j] += x0 * B[b + j]!;
        }
      }
    }
  }
}
