// Packed, register-blocked float32 GEMM for the portable backend (the BLIS/Goto scheme, scaled to what V8's
// scalar double arithmetic can do): A is packed into strips of MR rows laid out [K][MR], B into panels of NR
// columns laid out [K][NR], and a 3×4 micro-kernel keeps the 12 sums of one C tile in locals over the whole K.
//
// Numerics: each product of two float32 values is exact in float64; the sum over k runs in float64 in k order
// and is rounded to float32 once, when added to C (which holds zero or the bias). Every C element is computed
// by the same sequence of operations wherever its tile lies, so splitting C among threads never changes a bit.

/** Rows per packed A strip (micro-tile height). */
export const MR = 3;
/** Columns per packed B panel (micro-tile width). */
export const NR = 4;

/** Floats of a packed A holding `rows` rows of depth K (zero-padded to whole strips). */
export function packedASize(rows: number, K: number): number {
  return Math.ceil(rows / MR) * MR * K;
}

/** Floats of a packed B holding `cols` columns of depth K (zero-padded to whole panels). */
export function packedBSize(cols: number, K: number): number {
  return Math.ceil(cols / NR) * NR * K;
}

/**
 * Packs `rows` rows of a row-major A (row r, column k at A[aOff + r·lda + k]) into strips [⌈rows/MR⌉][K][MR]
 * at dst[dOff]; missing rows of the last strip are zero.
 */
export function packA(A: Float32Array, aOff: number, lda: number, rows: number, K: number,
  dst: Float32Array, dOff: number): void {
  for (let i = 0; i < rows; i += MR) {
    const mr = Math.min(MR, rows - i);
    const base = dOff + i * K;
    for (let r = 0; r < MR; r++) {
      let d = base + r;
      if (r >= mr) {
        for (let k = 0; k < K; k++, d += MR) dst[d] = 0;
        continue;
      }
      const s = aOff + (i + r) * lda;
      for (let k = 0; k < K; k++, d += MR) dst[d] = A[s + k]!;
    }
  }
}

/**
 * Packs `cols` columns of a row-major B [K × cols] (B[k][n] at B[bOff + k·ldb + n]) into panels
 * [⌈cols/NR⌉][K][NR] at dst[dOff]; missing columns of the last panel are zero.
 */
export function packB(B: Float32Array, bOff: number, ldb: number, K: number, cols: number,
  dst: Float32Array, dOff: number): void {
  for (let j = 0; j < cols; j += NR) {
    const nr = Math.min(NR, cols - j);
    let d = dOff + j * K;
    for (let k = 0; k < K; k++, d += NR) {
      const s = bOff + k * ldb + j;
      if (nr === NR) {
        for (let c = 0; c < NR; c++) dst[d + c] = B[s + c]!;
      } else {
        for (let c = 0; c < NR; c++) dst[d + c] = c < nr ? B[s + c]! : 0;
      }
    }
  }
}

/**
 * Packs B given transposed: Bt row-major [cols × K], B[k][n] = Bt[tOff + n·ldt + k] (a linear layer's weight
 * [out, in], or one head's keys [Tk, D] for q·kᵀ), into panels [⌈cols/NR⌉][K][NR] at dst[dOff].
 */
export function packBTransposed(Bt: Float32Array, tOff: number, ldt: number, K: number, cols: number,
  dst: Float32Array, dOff: number): void {
  for (let j = 0; j < cols; j += NR) {
    const nr = Math.min(NR, cols - j);
    const base = dOff + j * K;
    for (let c = 0; c < NR; c++) {
      let d = base + c;
      if (c >= nr) {
        for (let k = 0; k < K; k++, d += NR) dst[d] = 0;
        continue;
      }
      const s = tOff + (j + c) * ldt;
      for (let k = 0; k < K; k++, d += NR) dst[d] = Bt[s + k]!;
    }
  }
}

/**
 * C[rows × cols] += A · B with A packed (strips from Ap[apOff], row 0 first) and B packed (panels from
 * Bp[bpOff], column 0 first); C element (i, j) is C[cOff + i·ldc + j]. Loops B panels outside and A strips
 * inside, so one K×NR panel stays in cache while A streams past it.
 */
export function gemmPacked(rows: number, cols: number, K: number, Ap: Float32Array, apOff: number,
  Bp: Float32Array, bpOff: number, C: Float32Array, cOff: number, ldc: number): void {
  const stripLen = MR * K, panelLen = NR * K;
  for (let j = 0, p = bpOff; j < cols; j += NR, p += panelLen) {
    const nr = cols - j < NR ? cols - j : NR;
    for (let i = 0, a = apOff; i < rows; i += MR, a += stripLen) {
      microKernel(K, Ap, a, Bp, p, C, cOff + i * ldc + j, ldc, rows - i < MR ? rows - i : MR, nr);
    }
  }
}

/**
 * C[3×4 tile] += Ap-strip · Bp-panel over the full K, accumulating in float64 locals (exact products, one
 * rounding to float32 at the store). Ap is a packed strip [K][3], Bp a packed panel [K][4]; only the
 * top-left mr×nr corner of the tile is stored (edge tiles). Unrolled by hand: V8 keeps the accumulators
 * unboxed, ~1.9× the speed of updating C rows in memory. 3×4 measured fastest of ~25 tile shapes (1…8 rows ×
 * 2…16 columns) in V8: its 12 sums and 7 operands about fit the 16 xmm registers V8 allocates.
 */
export function microKernel(K: number, Ap: Float32Array, ao: number, Bp: Float32Array, bo: number,
  C: Float32Array, co: number, ldc: number, mr: number, nr: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  for (let k = 0; k < K; k++) {
    const a0 = Ap[ao + 0]!, a1 = Ap[ao + 1]!, a2 = Ap[ao + 2]!;
    const b0 = Bp[bo + 0]!, b1 = Bp[bo + 1]!, b2 = Bp[bo + 2]!, b3 = Bp[bo + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    ao += 3;
    bo += 4;
  }
  if (mr === 3 && nr === 4) {
    let r = co; C[r] += c00; C[r + 1] += c01; C[r + 2] += c02; C[r + 3] += c03;
    r += ldc; C[r] += c10; C[r + 1] += c11; C[r + 2] += c12; C[r + 3] += c13;
    r += ldc; C[r] += c20; C[r + 1] += c21; C[r + 2] += c22; C[r + 3] += c23;
    return;
  }
  // Edge tile: the same sums, stored only where the tile overlaps C.
  {
    const r = co + 0 * ldc;
    C[r] += c00;
    if (nr > 1) C[r + 1] += c01;
    if (nr > 2) C[r + 2] += c02;
    if (nr > 3) C[r + 3] += c03;
  }
  if (mr > 1) {
    const r = co + 1 * ldc;
    C[r] += c10;
    if (nr > 1) C[r + 1] += c11;
    if (nr > 2) C[r + 2] += c12;
    if (nr > 3) C[r + 3] += c13;
  }
  if (mr > 2) {
    const r = co + 2 * ldc;
    C[r] += c20;
    if (nr > 1) C[r + 1] += c21;
    if (nr > 2) C[r + 2] += c22;
    if (nr > 3) C[r + 3] += c23;
  }
}

