// The heavy kernels of the TypeScript backend, written as jobs that split into `parts` chunks which run on the
// calling thread and on pool workers alike (WorkerPool.ts, poolProtocol.ts). A job carries only numbers and
// typed arrays on SharedArrayBuffers, so posting it to a worker shares the memory instead of copying it.
//
// Every job partitions its *outputs* (token rows or output columns, output pixels, (batch, head, query strip)
// units, groups, element ranges), never a reduction: each output value is computed by the same operations in
// the same order whatever the number of parts and whichever thread runs it, so results are bit-identical for
// any thread count.
import { erf, expNonPositive, sigmoid } from "./mathFunctions.js";
import { gemmPacked, MR, NR, packA, packB, packBTransposed, packedASize, packedBSize } from "./gemm.js";

/** y[rows, N] = x[rows, K] · Wᵀ + bias, W pre-packed as B panels. */
export interface LinearJob {
  readonly kind: "linear";
  readonly x: Float32Array;
  readonly rows: number;
  readonly K: number;
  readonly N: number;
  /** Wᵀ packed by packBTransposed: panels [⌈N/NR⌉][K][NR]. */
  readonly weightPacked: Float32Array;
  readonly bias: Float32Array | null;
  readonly out: Float32Array;
}

/** NCHW convolution as GEMM: out[O, pixels] = W[O, C·KH·KW] · im2col(x)[C·KH·KW, pixels]. */
export interface Conv2dJob {
  readonly kind: "conv2d";
  readonly x: Float32Array;
  readonly B: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly O: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly OH: number;
  readonly OW: number;
  /** The weight [O, C·KH·KW] packed by packA: strips [⌈O/MR⌉][C·KH·KW][MR]. */
  readonly weightPacked: Float32Array;
  readonly bias: Float32Array | null;
  readonly out: Float32Array;
}

/** softmax(q kᵀ·scale) v per (batch, head); q [B, Tq, E], k/v [B, Tk, E], E = heads·D. */
export interface AttentionJob {
  readonly kind: "attention";
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly B: number;
  readonly Tq: number;
  readonly Tk: number;
  readonly heads: number;
  readonly D: number;
  readonly scale: number;
  readonly causal: boolean;
  /** Zero-filled [B, Tq, E]. */
  readonly out: Float32Array;
}

/** x [B, C, spatial]: normalize each (batch, group) over its C/groups channels × spatial values. */
export interface GroupNormJob {
  readonly kind: "groupNorm";
  readonly x: Float32Array;
  readonly B: number;
  readonly C: number;
  readonly spatial: number;
  readonly groups: number;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly eps: number;
  readonly silu: boolean;
  readonly out: Float32Array;
}

/** x [rows, C]: normalize each row over its C values (biased variance), then scale and shift. */
export interface LayerNormJob {
  readonly kind: "layerNorm";
  readonly x: Float32Array;
  readonly rows: number;
  readonly C: number;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly eps: number;
  readonly out: Float32Array;
}

export type UnaryOp = "silu" | "gelu" | "quickGelu";

/** out[i] = f(x[i]). */
export interface UnaryJob {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly x: Float32Array;
  readonly out: Float32Array;
}

/** [rows, 2D] → [rows, D]: first half · gelu(second half). */
export interface GegluJob {
  readonly kind: "geglu";
  readonly x: Float32Array;
  readonly rows: number;
  readonly D: number;
  readonly out: Float32Array;
}

export type Job = LinearJob | Conv2dJob | AttentionJob | GroupNormJob | LayerNormJob | UnaryJob | GegluJob;

/** Runs share `part` (0 ≤ part < parts) of `job`. */
export function runPart(job: Job, part: number, parts: number): void {
  switch (job.kind) {
    case "linear": return linearPart(job, part, parts);
    case "conv2d": return conv2dPart(job, part, parts);
    case "attention": return attentionPart(job, part, parts);
    case "groupNorm": return groupNormPart(job, part, parts);
    case "layerNorm": return layerNormPart(job, part, parts);
    case "unary": return unaryPart(job, part, parts);
    case "geglu": return gegluPart(job, part, parts);
  }
}

/** [start, end) of share `part` when `units` units are split into `parts` nearly equal shares. */
export function shareOf(units: number, part: number, parts: number): [number, number] {
  return [Math.floor((units * part) / parts), Math.floor((units * (part + 1)) / parts)];
}

// --- per-thread scratch buffers (each worker has its own module instance) ---------------------------------
const scratch: Float32Array[] = [];
function scratchBuffer(slot: number, size: number): Float32Array {
  let s = scratch[slot];
  if (!s || s.length < size) {
    s = new Float32Array(Math.max(size, Math.ceil((s?.length ?? 0) * 1.5)));
    scratch[slot] = s;
  }
  return s;
}
const SLOT_A = 0, SLOT_B = 1, SLOT_V = 2, SLOT_SCORES = 3, SLOT_P = 4;

/** Floats of A packed per block: an A block of this size stays in L2 while B panels pass through L1. */
const A_BLOCK_FLOATS = 1 << 16;
/** Floats of im2col packed per chunk of output pixels. */
const COL_CHUNK_FLOATS = 1 << 18;
/** Queries per attention tile (whole A strips): one tile's scores are QTILE × Tk floats, never a whole score matrix. */
const QTILE = 11 * MR;

// --- linear ------------------------------------------------------------------------------------------------
function linearPart(j: LinearJob, part: number, parts: number): void {
  const { x, rows, K, N, weightPacked, bias, out } = j;
  // Split whichever side has more micro-tiles: token rows for activations [4096, 320], output columns for a
  // handful of rows against a wide weight.
  const rowStrips = Math.ceil(rows / MR), panels = Math.ceil(N / NR);
  let r0 = 0, r1 = rows, c0 = 0, c1 = N;
  if (rowStrips >= panels || parts === 1) {
    const [s0, s1] = shareOf(rowStrips, part, parts);
    r0 = s0 * MR;
    r1 = Math.min(rows, s1 * MR);
  } else {
    const [p0, p1] = shareOf(panels, part, parts);
    c0 = p0 * NR;
    c1 = Math.min(N, p1 * NR);
  }
  if (r0 >= r1 || c0 >= c1) return;
  if (bias) for (let r = r0; r < r1; r++) out.set(bias.subarray(c0, c1), r * N + c0);
  const blockRows = Math.max(MR, Math.floor(A_BLOCK_FLOATS / K / MR) * MR);
  const Ap = scratchBuffer(SLOT_A, packedASize(Math.min(blockRows, r1 - r0), K));
  for (let r = r0; r < r1; r += blockRows) {
    const n = Math.min(blockRows, r1 - r);
    packA(x, r * K, K, n, K, Ap, 0);
    gemmPacked(n, c1 - c0, K, Ap, 0, weightPacked, c0 * K, out, r * N + c0, N);
  }
}

// --- conv2d ------------------------------------------------------------------------------------------------
function conv2dPart(j: Conv2dJob, part: number, parts: number): void {
  const { x, B, C, H, W, O, KH, KW, stride, padTop, padLeft, OH, OW, weightPacked, bias, out } = j;
  const plane = OH * OW, K = C * KH * KW;
  const [p0, p1] = shareOf(Math.ceil(plane / NR), part, parts);
  const n0 = p0 * NR, n1 = Math.min(plane, p1 * NR);
  if (n0 >= n1) return;
  const direct = KH === 1 && KW === 1 && stride === 1 && padTop === 0 && padLeft === 0 && OH === H && OW === W;
  const chunk = Math.max(NR, Math.floor(COL_CHUNK_FLOATS / K / NR) * NR);
  const col = scratchBuffer(SLOT_B, packedBSize(Math.min(chunk, n1 - n0), K));
  for (let b = 0; b < B; b++) {
    const xOff = b * C * H * W, outOff = b * O * plane;
    if (bias) for (let o = 0; o < O; o++) out.fill(bias[o]!, outOff + o * plane + n0, outOff + o * plane + n1);
    for (let n = n0; n < n1; n += chunk) {
      const cols = Math.min(chunk, n1 - n);
      if (direct) packB(x, xOff + n, plane, K, cols, col, 0);
      else im2colPacked(x, xOff, C, H, W, KH, KW, stride, padTop, padLeft, OW, n, cols, col);
      gemmPacked(O, cols, K, weightPacked, 0, col, 0, out, outOff + n, plane);
    }
  }
}

/**
 * im2col of output pixels [n, n+cols) written directly as packed B panels: column t of a panel is one output
 * pixel, its K = C·KH·KW entries the input window (zero outside the padded image), in weight order (c, ky, kx).
 */
function im2colPacked(x: Float32Array, xOff: number, C: number, H: number, W: number, KH: number, KW: number,
  stride: number, padTop: number, padLeft: number, OW: number, n: number, cols: number, dst: Float32Array): void {
  const K = C * KH * KW, HW = H * W;
  for (let j = 0; j < cols; j += NR) {
    const panel = j * K;
    for (let t = 0; t < NR; t++) {
      let d = panel + t;
      if (j + t >= cols) {
        for (let k = 0; k < K; k++, d += NR) dst[d] = 0;
        continue;
      }
      const pix = n + j + t;
      const oy = Math.floor(pix / OW), ox = pix - oy * OW;
      const iy0 = oy * stride - padTop, ix0 = ox * stride - padLeft;
      const inside = ix0 >= 0 && ix0 + KW <= W; // whole kernel row inside horizontally: no per-x test
      for (let c = 0; c < C; c++) {
        const src = xOff + c * HW;
        for (let ky = 0; ky < KH; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= H) {
            for (let kx = 0; kx < KW; kx++, d += NR) dst[d] = 0;
            continue;
          }
          const row = src + iy * W + ix0;
          if (inside) {
            for (let kx = 0; kx < KW; kx++, d += NR) dst[d] = x[row + kx]!;
          } else {
            for (let kx = 0; kx < KW; kx++, d += NR) {
              const ix = ix0 + kx;
              dst[d] = ix >= 0 && ix < W ? x[row + kx]! : 0;
            }
          }
        }
      }
    }
  }
}

// --- attention ---------------------------------------------------------------------------------------------
function attentionPart(j: AttentionJob, part: number, parts: number): void {
  const { q, k, v, B, Tq, Tk, heads, D, scale, causal, out } = j;
  const E = heads * D;
  // Units are (batch, head, strip of MR queries), head-major: a share covers few heads, so it packs few k/v.
  const strips = Math.ceil(Tq / MR);
  const [u0, u1] = shareOf(B * heads * strips, part, parts);
  if (u0 >= u1) return;
  const Kp = scratchBuffer(SLOT_B, packedBSize(Tk, D)); // one head's kᵀ: panels [Tk/NR][D][NR]
  const Vp = scratchBuffer(SLOT_V, packedBSize(D, Tk)); // one head's v: panels [D/NR][Tk][NR]
  const Qp = scratchBuffer(SLOT_A, packedASize(QTILE, D));
  const S = scratchBuffer(SLOT_SCORES, QTILE * Tk); // scores of one query tile
  const Pp = scratchBuffer(SLOT_P, packedASize(QTILE, Tk)); // its probabilities, packed as A strips
  const rowScale = new Float64Array(QTILE); // 1 / softmax denominators of the tile's rows
  for (let bh = Math.floor(u0 / strips); bh * strips < u1; bh++) {
    const b = Math.floor(bh / heads), h = bh % heads;
    const qBegin = Math.max(0, u0 - bh * strips) * MR;
    const qEnd = Math.min(Tq, Math.min(strips, u1 - bh * strips) * MR);
    const kvOff = b * Tk * E + h * D;
    packBTransposed(k, kvOff, E, D, Tk, Kp, 0);
    packB(v, kvOff, E, Tk, D, Vp, 0);
    for (let q0 = qBegin; q0 < qEnd; q0 += QTILE) {
      const rows = Math.min(QTILE, qEnd - q0);
      const qOff = (b * Tq + q0) * E + h * D;
      // S[rows, Tk] = q_tile · kᵀ
      packA(q, qOff, E, rows, D, Qp, 0);
      S.fill(0, 0, rows * Tk);
      gemmPacked(rows, Tk, D, Qp, 0, Kp, 0, S, 0, Tk);
      // P = exp(S·scale − rowmax) row by row, written straight into packed A strips [Tk][MR]; the division
      // by the row sum is applied to the (D-wide) output row instead of to all Tk probabilities.
      for (let r = 0; r < rows; r++) {
        const sRow = r * Tk;
        const kEnd = causal ? Math.min(Tk, q0 + r + 1) : Tk;
        let m = -Infinity;
        if (scale > 0) {
          // max(s·scale) = max(s)·scale exactly (rounding is monotonic): one multiply per row, not per score
          for (let t = sRow, e = sRow + kEnd; t < e; t++) if (S[t]! > m) m = S[t]!;
          m *= scale;
        } else {
          for (let t = sRow, e = sRow + kEnd; t < e; t++) if (S[t]! * scale > m) m = S[t]! * scale;
        }
        let sum = 0;
        let d = (r - (r % MR)) * Tk + (r % MR);
        for (let t = sRow, e = sRow + kEnd; t < e; t++, d += MR) {
          const p = expNonPositive(S[t]! * scale - m);
          Pp[d] = p;
          sum += p;
        }
        for (let t = kEnd; t < Tk; t++, d += MR) Pp[d] = 0;
        rowScale[r] = 1 / sum;
      }
      // Rows of the last strip past `rows` must be finite (they are computed, never stored): zero them.
      for (let r = rows; r % MR !== 0; r++) {
        let d = (r - (r % MR)) * Tk + (r % MR);
        for (let t = 0; t < Tk; t++, d += MR) Pp[d] = 0;
      }
      // out[rows, D] = (P · v) / rowsum (out is zero-filled)
      gemmPacked(rows, D, Tk, Pp, 0, Vp, 0, out, qOff, E);
      for (let r = 0; r < rows; r++) {
        const inv = rowScale[r]!;
        for (let o = qOff + r * E, e = o + D; o < e; o++) out[o] = out[o]! * inv;
      }
    }
  }
}

// --- group norm --------------------------------------------------------------------------------------------
function groupNormPart(j: GroupNormJob, part: number, parts: number): void {
  const { x, B, C, spatial, groups, gamma, beta, eps, silu, out } = j;
  const cpg = C / groups, n = cpg * spatial;
  const [u0, u1] = shareOf(B * groups, part, parts);
  for (let u = u0; u < u1; u++) {
    const gi = u % groups;
    const start = u * n; // (b·C + gi·cpg)·spatial
    // Two passes in float64: mean, then the biased variance around it.
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[start + i]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const d = x[start + i]! - mean;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / n + eps);
    for (let c = 0; c < cpg; c++) {
      const ch = gi * cpg + c;
      const a = gamma[ch]! * inv, sh = beta[ch]! - mean * a;
      const base = start + c * spatial;
      if (silu) {
        for (let i = base, e = base + spatial; i < e; i++) {
          const v = x[i]! * a + sh;
          out[i] = v * sigmoid(v);
        }
      } else {
        for (let i = base, e = base + spatial; i < e; i++) out[i] = x[i]! * a + sh;
      }
    }
  }
}

function layerNormPart(j: LayerNormJob, part: number, parts: number): void {
  const { x, rows, C, gamma, beta, eps, out } = j;
  const [r0, r1] = shareOf(rows, part, parts);
  for (let r = r0; r < r1; r++) {
    const o = r * C;
    let sum = 0;
    for (let i = 0; i < C; i++) sum += x[o + i]!;
    const mean = sum / C;
    let sq = 0;
    for (let i = 0; i < C; i++) {
      const d = x[o + i]! - mean;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / C + eps);
    for (let i = 0; i < C; i++) out[o + i] = (x[o + i]! - mean) * inv * gamma[i]! + beta[i]!;
  }
}

// --- elementwise -------------------------------------------------------------------------------------------
/** Elements per share granule, so shares start on cache-line-friendly boundaries. */
export const GRANULE = 1024;

function unaryPart(j: UnaryJob, part: number, parts: number): void {
  const { x, out } = j;
  const [g0, g1] = shareOf(Math.ceil(x.length / GRANULE), part, parts);
  const i0 = g0 * GRANULE, i1 = Math.min(x.length, g1 * GRANULE);
  switch (j.op) {
    case "silu":
      for (let i = i0; i < i1; i++) {
        const v = x[i]!;
        out[i] = v * sigmoid(v);
      }
      return;
    case "quickGelu":
      for (let i = i0; i < i1; i++) {
        const v = x[i]!;
        out[i] = v * sigmoid(1.702 * v);
      }
      return;
    case "gelu":
      for (let i = i0; i < i1; i++) {
        const v = x[i]!;
        out[i] = 0.5 * v * (1 + erf(v / Math.SQRT2));
      }
      return;
  }
}

function gegluPart(j: GegluJob, part: number, parts: number): void {
  const { x, rows, D, out } = j;
  const [r0, r1] = shareOf(rows, part, parts);
  const D2 = 2 * D;
  for (let r = r0; r < r1; r++) {
    for (let i = 0; i < D; i++) {
      const a = x[r * D2 + i]!;
      const g = x[r * D2 + D + i]!;
      // torch: hidden * gelu(gate), with gelu rounded to float32 before the product.
      out[r * D + i] = a * Math.fround(0.5 * g * (1 + erf(g / Math.SQRT2)));
    }
  }
}
