// The portable TypeScript backend: host Float32Array storage in logical row-major layout (NCHW).
// It is the reference the other backends are tested against, so clarity comes first, then speed:
// GEMM is blocked (gemm.ts), convolution is GEMM over im2col bands of output rows (never a full-image
// column buffer), and attention runs head by head over tiles of queries (never all heads' score matrices).
import type {
  AttentionOptions, Backend, Conv2dOptions, Conv2dWeight, LinearWeight, NormOptions, Padding2d,
} from "../Backend.js";
import { numelOf, ShapeError, shapeStr, Tensor, type Shape } from "../../tensor/Tensor.js";
import { gemm } from "./gemm.js";

interface TsLinear extends LinearWeight {
  /** Wᵀ, [in, out] row-major, so y = x · Wᵀ is a plain row-major GEMM. */
  readonly weightT: Float32Array;
  readonly bias: Float32Array | null;
}

interface TsConv extends Conv2dWeight {
  /** [out, in·kh·kw] row-major (PyTorch's layout flattened). */
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
}

/** Column-buffer budget for one im2col band (floats). */
const COL_BUDGET = 1 << 20;
/** Queries per attention tile: one tile's scores are QTILE × Tk floats. */
const QTILE = 64;

function data(x: Tensor): Float32Array {
  return x.storage as Float32Array;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse (1.5e-7 abs); use a series / continued fraction split
  // accurate to double rounding so GELU matches torch's erf-based GELU at float32 precision.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else if (ax < 6) {
    // Continued fraction for erfc.
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

function pads(p: number | Padding2d): Padding2d {
  return typeof p === "number" ? { top: p, bottom: p, left: p, right: p } : p;
}

export class TsBackend implements Backend {
  readonly name: string = "ts";

  protected make(d: Float32Array, shape: Shape): Tensor {
    return new Tensor(this, shape, d);
  }

  fromArray(d: Float32Array, shape: Shape): Tensor {
    if (d.length !== numelOf(shape)) throw new ShapeError(`fromArray: ${d.length} values for shape ${shapeStr(shape)}`);
    return this.make(d, shape);
  }

  async read(x: Tensor): Promise<Float32Array> {
    return data(x).slice();
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    return this.make(data(x), shape);
  }

  prepareLinear(weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array): LinearWeight {
    if (weight.length !== outFeatures * inFeatures) throw new ShapeError(`linear weight has ${weight.length} values, expected [${outFeatures}, ${inFeatures}]`);
    if (bias && bias.length !== outFeatures) throw new ShapeError(`linear bias has ${bias.length} values, expected [${outFeatures}]`);
    const weightT = new Float32Array(inFeatures * outFeatures);
    for (let o = 0; o < outFeatures; o++) for (let i = 0; i < inFeatures; i++) weightT[i * outFeatures + o] = weight[o * inFeatures + i]!;
    const w: TsLinear = { outFeatures, inFeatures, hasBias: !!bias, weightT, bias: bias ?? null };
    return w;
  }

  prepareConv2d(weight: Float32Array, shape: readonly [number, number, number, number], bias?: Float32Array): Conv2dWeight {
    const [o, i, kh, kw] = shape;
    if (weight.length !== o * i * kh * kw) throw new ShapeError(`conv weight has ${weight.length} values, expected ${shapeStr(shape)}`);
    if (bias && bias.length !== o) throw new ShapeError(`conv bias has ${bias.length} values, expected [${o}]`);
    const w: TsConv = { outChannels: o, inChannels: i, kernelH: kh, kernelW: kw, hasBias: !!bias, weight, bias: bias ?? null };
    return w;
  }

  prepareVector(d: Float32Array, shape: Shape): Tensor {
    return this.fromArray(d, shape);
  }

  linear(x: Tensor, wh: LinearWeight): Tensor {
    const w = wh as TsLinear;
    const inF = x.dim(-1);
    if (inF !== w.inFeatures) throw new ShapeError(`linear: input ${shapeStr(x.shape)} has ${inF} features, weight expects [${w.outFeatures}, ${w.inFeatures}]`);
    const rows = x.numel / inF;
    const out = new Float32Array(rows * w.outFeatures);
    if (w.bias) for (let r = 0; r < rows; r++) out.set(w.bias, r * w.outFeatures);
    gemm({ M: rows, N: w.outFeatures, K: inF, A: data(x), aOffset: 0, lda: inF, B: w.weightT, bOffset: 0, ldb: w.outFeatures, C: out, cOffset: 0, ldc: w.outFeatures, accumulate: true });
    return this.make(out, [...x.shape.slice(0, -1), w.outFeatures]);
  }

  conv2d(x: Tensor, wh: Conv2dWeight, options: Conv2dOptions): Tensor {
    const w = wh as TsConv;
    if (x.rank !== 4 || x.shape[1] !== w.inChannels) {
      throw new ShapeError(`conv2d: input ${shapeStr(x.shape)} does not match weight [${w.outChannels}, ${w.inChannels}, ${w.kernelH}, ${w.kernelW}] (expected [B, ${w.inChannels}, H, W])`);
    }
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const { stride } = options;
    const p = pads(options.padding);
    const KH = w.kernelH, KW = w.kernelW, O = w.outChannels;
    const OH = Math.floor((H + p.top + p.bottom - KH) / stride) + 1;
    const OW = Math.floor((W + p.left + p.right - KW) / stride) + 1;
    if (OH <= 0 || OW <= 0) throw new ShapeError(`conv2d: input ${shapeStr(x.shape)} too small for kernel ${KH}×${KW}`);
    const src = data(x);
    const out = new Float32Array(B * O * OH * OW);
    const K = C * KH * KW;
    const plane = OH * OW;
    const direct = KH === 1 && KW === 1 && stride === 1 && p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
    const bandRows = Math.max(1, Math.min(OH, Math.floor(COL_BUDGET / (K * OW))));
    const col = direct ? null : new Float32Array(K * bandRows * OW);
    for (let b = 0; b < B; b++) {
      const outBase = b * O * plane;
      if (w.bias) for (let o = 0; o < O; o++) out.fill(w.bias[o]!, outBase + o * plane, outBase + (o + 1) * plane);
      if (direct) {
        gemm({ M: O, N: plane, K, A: w.weight, aOffset: 0, lda: K, B: src, bOffset: b * C * H * W, ldb: plane, C: out, cOffset: outBase, ldc: plane, accumulate: true });
        continue;
      }
      for (let oy0 = 0; oy0 < OH; oy0 += bandRows) {
        const rows = Math.min(bandRows, OH - oy0);
        const n = rows * OW;
        // im2col for output rows [oy0, oy0+rows): col[(c·KH + ky)·KW + kx, r·OW + ox]
        for (let c = 0; c < C; c++) {
          const srcPlane = (b * C + c) * H * W;
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < KW; kx++) {
              const rowBase = ((c * KH + ky) * KW + kx) * n;
              for (let r = 0; r < rows; r++) {
                const iy = (oy0 + r) * stride - p.top + ky;
                const dst = rowBase + r * OW;
                if (iy < 0 || iy >= H) {
                  col!.fill(0, dst, dst + OW);
                  continue;
                }
                const srow = srcPlane + iy * W;
                for (let ox = 0; ox < OW; ox++) {
                  const ix = ox * stride - p.left + kx;
                  col![dst + ox] = ix >= 0 && ix < W ? src[srow + ix]! : 0;
                }
              }
            }
          }
        }
        gemm({ M: O, N: n, K, A: w.weight, aOffset: 0, lda: K, B: col!, bOffset: 0, ldb: n, C: out, cOffset: outBase + oy0 * OW, ldc: plane, accumulate: true });
      }
    }
    return this.make(out, [B, O, OH, OW]);
  }

  groupNorm(x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, options?: NormOptions): Tensor {
    const B = x.dim(0), C = x.dim(1);
    if (C % groups !== 0) throw new ShapeError(`groupNorm: ${C} channels of ${shapeStr(x.shape)} not divisible into ${groups} groups`);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`groupNorm: weight ${shapeStr(gamma.shape)} / bias ${shapeStr(beta.shape)} do not match ${C} channels of ${shapeStr(x.shape)}`);
    const spatial = x.numel / (B * C);
    const cpg = C / groups;
    const src = data(x), g = data(gamma), bt = data(beta);
    const out = new Float32Array(src.length);
    const silu = options?.silu ?? false;
    const n = cpg * spatial;
    for (let b = 0; b < B; b++) {
      for (let gi = 0; gi < groups; gi++) {
        const start = (b * C + gi * cpg) * spatial;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += src[start + i]!;
        const mean = sum / n;
        let sq = 0;
        for (let i = 0; i < n; i++) {
          const d = src[start + i]! - mean;
          sq += d * d;
        }
        const inv = 1 / Math.sqrt(sq / n + eps);
        for (let c = 0; c < cpg; c++) {
          const ch = gi * cpg + c;
          const a = g[ch]! * inv, sh = bt[ch]! - mean * a;
          const base = start + c * spatial;
          for (let i = 0; i < spatial; i++) {
            const v = src[base + i]! * a + sh;
            out[base + i] = silu ? v / (1 + Math.exp(-v)) : v;
          }
        }
      }
    }
    return this.make(out, x.shape);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    const C = x.dim(-1);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`layerNorm: weight ${shapeStr(gamma.shape)} does not match last dim of ${shapeStr(x.shape)}`);
    const src = data(x), g = data(gamma), bt = data(beta);
    const out = new Float32Array(src.length);
    const rows = x.numel / C;
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let sum = 0;
      for (let i = 0; i < C; i++) sum += src[o + i]!;
      const mean = sum / C;
      let sq = 0;
      for (let i = 0; i < C; i++) {
        const d = src[o + i]! - mean;
        sq += d * d;
      }
      const inv = 1 / Math.sqrt(sq / C + eps);
      for (let i = 0; i < C; i++) out[o + i] = (src[o + i]! - mean) * inv * g[i]! + bt[i]!;
    }
    return this.make(out, x.shape);
  }

  private map(x: Tensor, f: (v: number) => number): Tensor {
    const src = data(x);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
    return this.make(out, x.shape);
  }

  silu(x: Tensor): Tensor {
    return this.map(x, (v) => v / (1 + Math.exp(-v)));
  }

  gelu(x: Tensor): Tensor {
    return this.map(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  }

  quickGelu(x: Tensor): Tensor {
    return this.map(x, (v) => v / (1 + Math.exp(-1.702 * v)));
  }

  geglu(x: Tensor): Tensor {
    const D2 = x.dim(-1);
    if (D2 % 2 !== 0) throw new ShapeError(`geglu: last dim of ${shapeStr(x.shape)} is odd`);
    const D = D2 / 2;
    const rows = x.numel / D2;
    const src = data(x);
    const out = new Float32Array(rows * D);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < D; i++) {
        const a = src[r * D2 + i]!;
        const gte = src[r * D2 + D + i]!;
        // torch: hidden * gelu(gate), gelu rounded to float32 before the product.
        out[r * D + i] = a * Math.fround(0.5 * gte * (1 + erf(gte / Math.SQRT2)));
      }
    }
    return this.make(out, [...x.shape.slice(0, -1), D]);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, options?: AttentionOptions): Tensor {
    if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3 || q.shape[0] !== k.shape[0] || k.shape[0] !== v.shape[0] ||
        q.shape[2] !== k.shape[2] || k.shape[2] !== v.shape[2] || k.shape[1] !== v.shape[1]) {
      throw new ShapeError(`attention: q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)} must be [B, T, H·D] with matching B, H·D and key length`);
    }
    const [B, Tq, E] = q.shape as [number, number, number];
    const Tk = k.dim(1);
    if (E % heads !== 0) throw new ShapeError(`attention: width ${E} not divisible by ${heads} heads`);
    const D = E / heads;
    const scaleF = options?.scale ?? 1 / Math.sqrt(D);
    const causal = options?.causal ?? false;
    const Q = data(q), Kd = data(k), V = data(v);
    const out = new Float32Array(B * Tq * E);
    const scores = new Float32Array(QTILE * Tk);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < heads; h++) {
        for (let q0 = 0; q0 < Tq; q0 += QTILE) {
          const rows = Math.min(QTILE, Tq - q0);
          for (let r = 0; r < rows; r++) {
            const qi = q0 + r;
            const qo = (b * Tq + qi) * E + h * D;
            const srow = r * Tk;
            const kEnd = causal ? Math.min(Tk, qi + 1) : Tk;
            let max = -Infinity;
            for (let j = 0; j < kEnd; j++) {
              const ko = (b * Tk + j) * E + h * D;
              let s = 0;
              for (let d = 0; d < D; d++) s += Q[qo + d]! * Kd[ko + d]!;
              s *= scaleF;
              scores[srow + j] = s;
              if (s > max) max = s;
            }
            let sum = 0;
            for (let j = 0; j < kEnd; j++) {
              const e = Math.exp(scores[srow + j]! - max);
              scores[srow + j] = e;
              sum += e;
            }
            const inv = 1 / sum;
            const oo = (b * Tq + qi) * E + h * D;
            for (let j = 0; j < kEnd; j++) {
              const p = scores[srow + j]! * inv;
              const vo = (b * Tk + j) * E + h * D;
              for (let d = 0; d < D; d++) out[oo + d] += p * V[vo + d]!;
            }
          }
        }
      }
    }
    return this.make(out, [B, Tq, E]);
  }

  upsampleNearest2x(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`upsampleNearest2x: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const src = data(x);
    const out = new Float32Array(B * C * 4 * H * W);
    const W2 = 2 * W;
    for (let p = 0; p < B * C; p++) {
      for (let y = 0; y < H; y++) {
        const s = (p * H + y) * W;
        const d0 = (p * 2 * H + 2 * y) * W2;
        for (let xx = 0; xx < W; xx++) {
          const v = src[s + xx]!;
          out[d0 + 2 * xx] = v;
          out[d0 + 2 * xx + 1] = v;
        }
        out.copyWithin(d0 + W2, d0, d0 + W2);
      }
    }
    return this.make(out, [B, C, 2 * H, 2 * W]);
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new ShapeError(`add: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
    }
    const x = data(a), y = data(b);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i]! + y[i]!;
    return this.make(out, a.shape);
  }

  addPerChannel(x: Tensor, v: Tensor): Tensor {
    const B = x.dim(0), C = x.dim(1);
    if (v.rank !== 2 || v.shape[0] !== B || v.shape[1] !== C) {
      throw new ShapeError(`addPerChannel: ${shapeStr(v.shape)} does not match [B, C] = [${B}, ${C}] of ${shapeStr(x.shape)}`);
    }
    const spatial = x.numel / (B * C);
    const src = data(x), vv = data(v);
    const out = new Float32Array(src.length);
    for (let p = 0; p < B * C; p++) {
      const a = vv[p]!;
      for (let i = p * spatial, e = i + spatial; i < e; i++) out[i] = src[i]! + a;
    }
    return this.make(out, x.shape);
  }

  scale(x: Tensor, s: number): Tensor {
    return this.map(x, (v) => v * s);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const first = xs[0]!;
    const ax = axis < 0 ? first.rank + axis : axis;
    for (const t of xs) {
      if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
        throw new ShapeError(`concat on axis ${axis}: ${xs.map((t) => shapeStr(t.shape)).join(" and ")} differ outside that axis`);
      }
    }
    const outer = numelOf(first.shape.slice(0, ax));
    const inner = numelOf(first.shape.slice(ax + 1));
    const total = xs.reduce((s, t) => s + t.shape[ax]!, 0);
    const out = new Float32Array(outer * total * inner);
    let offset = 0;
    for (const t of xs) {
      const src = data(t);
      const chunkLen = t.shape[ax]! * inner;
      for (let o = 0; o < outer; o++) out.set(src.subarray(o * chunkLen, (o + 1) * chunkLen), o * total * inner + offset);
      offset += chunkLen;
    }
    const shape = [...first.shape];
    shape[ax] = total;
    return this.make(out, shape);
  }

  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const ax = axis < 0 ? x.rank + axis : axis;
    const size = x.shape[ax];
    if (size === undefined || start < 0 || end > size || start >= end) {
      throw new ShapeError(`slice [${start}, ${end}) on axis ${axis} out of range for ${shapeStr(x.shape)}`);
    }
    const outer = numelOf(x.shape.slice(0, ax));
    const inner = numelOf(x.shape.slice(ax + 1));
    const src = data(x);
    const len = (end - start) * inner;
    const out = new Float32Array(outer * len);
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * size * inner + start * inner, o * size * inner + start * inner + len), o * len);
    const shape = [...x.shape];
    shape[ax] = end - start;
    return this.make(out, shape);
  }

  imageToTokens(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`imageToTokens: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const T = H * W;
    const out = transpose2(data(x), B, C, T);
    return this.make(out, [B, T, C]);
  }

  tokensToImage(x: Tensor, height: number, width: number): Tensor {
    if (x.rank !== 3 || x.shape[1] !== height * width) throw new ShapeError(`tokensToImage: ${shapeStr(x.shape)} is not [B, ${height}·${width}, C]`);
    const [B, T, C] = x.shape as [number, number, number];
    return this.make(transpose2(data(x), B, T, C), [B, C, height, width]);
  }

  embedding(table: Tensor, ids: Int32Array, batch: number, length: number): Tensor {
    if (table.rank !== 2) throw new ShapeError(`embedding: table must be [V, D], got ${shapeStr(table.shape)}`);
    const [V, D] = table.shape as [number, number];
    if (ids.length !== batch * length) throw new ShapeError(`embedding: ${ids.length} ids for [${batch}, ${length}]`);
    const t = data(table);
    const out = new Float32Array(ids.length * D);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < 0 || id >= V) throw new ShapeError(`embedding: id ${id} at position ${i} is outside the vocabulary of ${V}`);
      out.set(t.subarray(id * D, (id + 1) * D), i * D);
    }
    return this.make(out, [batch, length, D]);
  }
}

/** Per batch, transpose an R×S matrix to S×R. */
function transpose2(src: Float32Array, B: number, R: number, S: number): Float32Array {
  const out = new Float32Array(src.length);
  const TB = 32;
  for (let b = 0; b < B; b++) {
    const base = b * R * S;
    for (let r0 = 0; r0 < R; r0 += TB) {
      for (let s0 = 0; s0 < S; s0 += TB) {
        const r1 = Math.min(R, r0 + TB), s1 = Math.min(S, s0 + TB);
        for (let r = r0; r < r1; r++) for (let s = s0; s < s1; s++) out[base + s * R + r] = src[base + r * S + s]!;
      }
    }
  }
  return out;
}
