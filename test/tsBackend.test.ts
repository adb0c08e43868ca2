// The portable TypeScript backend against naive float64 reference implementations written here, on random
// small and odd shapes (1, 3, 17, 65, 77), plus: one thread and two threads give bit-identical results.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { TsBackend } from "../src/backend/ts/TsBackend.js";
import { erf, erfReference, expNonPositive, sigmoid } from "../src/backend/ts/mathFunctions.js";
import type { Padding2d } from "../src/backend/Backend.js";
import type { Tensor } from "../src/tensor/Tensor.js";

const be = new TsBackend({ threads: 1 });
const be2 = new TsBackend({ threads: 2, schedule: "static" }); // the worker provably computes every other chunk
const be2dynamic = new TsBackend({ threads: 2 });

/** Deterministic uniform [-1, 1) values (mulberry32), rounded to float32. */
function rand(n: number, seed: number, range = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1) * range;
  }
  return out;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function tensor(shape: readonly number[], seed: number, range = 1, backend: TsBackend = be): { t: Tensor; d: Float32Array } {
  const d = rand(numel(shape), seed, range);
  return { t: backend.fromArray(d, shape), d };
}

async function read(t: Tensor): Promise<Float32Array> {
  return t.toArray();
}

/** Worst |got − want| / (atol + rtol·|want|) per op family, printed at the end. */
const toleranceUsed = new Map<string, number>();

/** |got − want| ≤ atol + rtol·|want| everywhere; reports the worst element. */
function assertClose(got: Float32Array, want: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = -1, worstExcess = 0, used = 0;
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!), tol = atol + rtol * Math.abs(want[i]!);
    used = Math.max(used, diff / tol);
    if (!(diff - tol <= worstExcess)) {
      worstExcess = diff - tol;
      worst = i;
    }
  }
  assert.ok(worst < 0, `${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (|diff| ${Math.abs(got[worst]! - want[worst]!)})`);
  const family = what.split(" ")[0]!;
  toleranceUsed.set(family, Math.max(toleranceUsed.get(family) ?? 0, used));
}

after(() => {
  const parts = [...toleranceUsed].map(([op, u]) => `${op} ${(100 * u).toFixed(1)}%`);
  console.log(`worst error as a share of the tolerance (1e-6 + 1e-5·|ref|): ${parts.join(", ")}`);
});

function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} differs between 1 and 2 threads: ${a[i]} vs ${b[i]}`);
  }
}

// --- float64 references ------------------------------------------------------------------------------------
function refLinear(x: Float32Array, rows: number, K: number, w: Float32Array, N: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < N; o++) {
      let s = bias ? bias[o]! : 0;
      for (let k = 0; k < K; k++) s += x[r * K + k]! * w[o * K + k]!;
      y[r * N + o] = s;
    }
  }
  return y;
}

function refConv(x: Float32Array, [B, C, H, W]: number[], w: Float32Array, [O, , KH, KW]: number[], bias: Float32Array | undefined,
  stride: number, p: Padding2d): { y: Float64Array; OH: number; OW: number } {
  const OH = Math.floor((H + p.top + p.bottom - KH) / stride) + 1;
  const OW = Math.floor((W + p.left + p.right - KW) / stride) + 1;
  const y = new Float64Array(B * O * OH * OW);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let s = bias ? bias[o]! : 0;
    for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const iy = oy * stride - p.top + ky, ix = ox * stride - p.left + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      s += x[((b * C + c) * H + iy) * W + ix]! * w[((o * C + c) * KH + ky) * KW + kx]!;
    }
    y[((b * O + o) * OH + oy) * OW + ox] = s;
  }
  return { y, OH, OW };
}

function refAttention(q: Float32Array, k: Float32Array, v: Float32Array, B: number, Tq: number, Tk: number, heads: number,
  D: number, scale: number, causal: boolean): Float64Array {
  const E = heads * D;
  const out = new Float64Array(B * Tq * E);
  const s = new Float64Array(Tk);
  for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < Tq; i++) {
    const n = causal ? Math.min(Tk, i + 1) : Tk;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let e = 0; e < D; e++) d += q[(b * Tq + i) * E + h * D + e]! * k[(b * Tk + j) * E + h * D + e]!;
      s[j] = d * scale;
      max = Math.max(max, s[j]!);
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (s[j] = Math.exp(s[j]! - max));
    for (let e = 0; e < D; e++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += (s[j]! / sum) * v[(b * Tk + j) * E + h * D + e]!;
      out[(b * Tq + i) * E + h * D + e] = acc;
    }
  }
  return out;
}

function refGroupNorm(x: Float32Array, B: number, C: number, S: number, groups: number, g: Float32Array, bt: Float32Array,
  eps: number, silu: boolean): Float64Array {
  const y = new Float64Array(x.length);
  const cpg = C / groups;
  for (let b = 0; b < B; b++) for (let gi = 0; gi < groups; gi++) {
    const start = (b * C + gi * cpg) * S, n = cpg * S;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[start + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[start + i]! - mean) ** 2;
    v /= n;
    for (let i = 0; i < n; i++) {
      const c = gi * cpg + Math.floor(i / S);
      const z = ((x[start + i]! - mean) / Math.sqrt(v + eps)) * g[c]! + bt[c]!;
      y[start + i] = silu ? z / (1 + Math.exp(-z)) : z;
    }
  }
  return y;
}

/** erf by composite Simpson integration of 2/√π·e^(−t²) (independent of the backend's series). */
function refErf(x: number): number {
  const n = 2000, h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (s * h) / 3 * (2 / Math.sqrt(Math.PI));
}
const refGelu = (v: number): number => 0.5 * v * (1 + refErf(v / Math.SQRT2));

describe("TsBackend scalar functions", () => {
  it("erf (piecewise Taylor) matches the series within 1e-13; expNonPositive and sigmoid match Math.exp", () => {
    let erfErr = 0, expErr = 0, sigErr = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = -8 + (16 * i) / 20000;
      erfErr = Math.max(erfErr, Math.abs(erf(x) - erfReference(x)));
      sigErr = Math.max(sigErr, Math.abs(sigmoid(x * 10) - 1 / (1 + Math.exp(-x * 10))));
      const z = (-103.9 * i) / 20000;
      expErr = Math.max(expErr, Math.abs(expNonPositive(z) / Math.exp(z) - 1));
    }
    assert.ok(erfErr < 1e-13, `erf error ${erfErr}`);
    assert.ok(expErr < 1e-13, `expNonPositive relative error ${expErr}`);
    assert.ok(sigErr < 1e-13, `sigmoid error ${sigErr}`);
    assert.equal(erf(0), 0);
    assert.equal(erf(7), 1);
    assert.equal(erf(-7), -1);
    assert.ok(Number.isNaN(erf(NaN)) && Number.isNaN(expNonPositive(NaN)));
    assert.equal(expNonPositive(0), 1);
    assert.equal(expNonPositive(-200), 0);
    assert.equal(expNonPositive(-Infinity), 0);
    assert.ok(Math.abs(erfReference(0.5) - 0.5204998778130465) < 1e-15); // erf(0.5), tabulated value
  });
});

// --- ops against the references ----------------------------------------------------------------------------
describe("TsBackend ops vs float64 references", () => {
  it("linear with and without bias, odd shapes", async () => {
    for (const [rows, K, N, seed] of [[1, 3, 1, 1], [3, 17, 65, 2], [77, 65, 17, 3], [17, 77, 3, 4], [65, 1, 77, 5]] as const) {
      const { t: x, d: xd } = tensor([rows, K], seed);
      const w = rand(N * K, seed + 100), bias = rand(N, seed + 200);
      for (const withBias of [false, true]) {
        const lw = be.prepareLinear(w, N, K, withBias ? bias : undefined);
        const y = be.linear(x, lw);
        assert.deepEqual(y.shape, [rows, N]);
        assertClose(await read(y), refLinear(xd, rows, K, w, N, withBias ? bias : undefined), `linear ${rows}×${K}→${N} bias=${withBias}`);
      }
    }
    // leading dims are kept: [2, 3, 17] → [2, 3, 5]
    const { t: x3, d: x3d } = tensor([2, 3, 17], 9);
    const w = rand(5 * 17, 10);
    const y = be.linear(x3, be.prepareLinear(w, 5, 17));
    assert.deepEqual(y.shape, [2, 3, 5]);
    assertClose(await read(y), refLinear(x3d, 6, 17, w, 5), "linear [2,3,17]");
  });

  it("conv2d: 3×3, 1×1, stride 2, asymmetric padding, odd sizes", async () => {
    const cases: { x: number[]; w: number[]; stride: number; pad: number | Padding2d; bias: boolean }[] = [
      { x: [1, 3, 17, 13], w: [5, 3, 3, 3], stride: 1, pad: 1, bias: true },
      { x: [2, 4, 9, 11], w: [3, 4, 1, 1], stride: 1, pad: 0, bias: true },
      { x: [1, 3, 17, 17], w: [4, 3, 3, 3], stride: 2, pad: 1, bias: false },
      // the VAE downsampler: pad (0, 1, 0, 1) then 3×3 stride 2
      { x: [2, 3, 16, 15], w: [3, 3, 3, 3], stride: 2, pad: { top: 0, bottom: 1, left: 0, right: 1 }, bias: true },
      { x: [1, 1, 1, 1], w: [3, 1, 3, 3], stride: 1, pad: 1, bias: true },
      { x: [1, 17, 5, 7], w: [9, 17, 3, 3], stride: 1, pad: { top: 2, bottom: 0, left: 1, right: 3 }, bias: true },
      { x: [1, 2, 6, 5], w: [2, 2, 2, 3], stride: 1, pad: 0, bias: false },
    ];
    let seed = 20;
    for (const c of cases) {
      const { t: x, d: xd } = tensor(c.x, seed++);
      const wd = rand(numel(c.w), seed++), bd = c.bias ? rand(c.w[0]!, seed++) : undefined;
      const cw = be.prepareConv2d(wd, c.w as [number, number, number, number], bd);
      const y = be.conv2d(x, cw, { stride: c.stride, padding: c.pad });
      const p = typeof c.pad === "number" ? { top: c.pad, bottom: c.pad, left: c.pad, right: c.pad } : c.pad;
      const ref = refConv(xd, c.x, wd, c.w, bd, c.stride, p);
      assert.deepEqual(y.shape, [c.x[0], c.w[0], ref.OH, ref.OW]);
      assertClose(await read(y), ref.y, `conv2d x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} stride ${c.stride} pad ${JSON.stringify(c.pad)}`);
    }
  });

  it("attention: heads, Tq ≠ Tk, causal, custom scale", async () => {
    const cases = [
      { B: 1, Tq: 1, Tk: 1, heads: 1, D: 3, causal: false },
      { B: 2, Tq: 17, Tk: 77, heads: 2, D: 8, causal: false }, // cross-attention shape
      { B: 1, Tq: 65, Tk: 65, heads: 3, D: 5, causal: false },
      { B: 2, Tq: 77, Tk: 77, heads: 2, D: 12, causal: true }, // CLIP
      { B: 1, Tq: 3, Tk: 33, heads: 1, D: 17, causal: false, scale: 0.3 },
    ];
    let seed = 50;
    for (const c of cases) {
      const E = c.heads * c.D;
      const q = tensor([c.B, c.Tq, E], seed++, 2), k = tensor([c.B, c.Tk, E], seed++, 2), v = tensor([c.B, c.Tk, E], seed++);
      const y = be.attention(q.t, k.t, v.t, c.heads, { causal: c.causal, scale: c.scale });
      assert.deepEqual(y.shape, [c.B, c.Tq, E]);
      const ref = refAttention(q.d, k.d, v.d, c.B, c.Tq, c.Tk, c.heads, c.D, c.scale ?? 1 / Math.sqrt(c.D), c.causal);
      assertClose(await read(y), ref, `attention ${JSON.stringify(c)}`);
    }
  });

  it("groupNorm ± silu, layerNorm", async () => {
    for (const [shape, groups, silu] of [[[2, 6, 17, 3], 3, false], [[1, 4, 65], 2, true], [[3, 1, 1, 1], 1, true], [[1, 32, 5, 5], 32, false]] as const) {
      const { t: x, d: xd } = tensor(shape, 70, 3);
      const C = shape[1], S = numel(shape) / (shape[0] * C);
      const g = rand(C, 71), bt = rand(C, 72);
      const y = be.groupNorm(x, groups, be.prepareVector(g, [C]), be.prepareVector(bt, [C]), 1e-5, { silu });
      assertClose(await read(y), refGroupNorm(xd, shape[0], C, S, groups, g, bt, 1e-5, silu), `groupNorm ${JSON.stringify(shape)} groups ${groups} silu ${silu}`);
    }
    const { t: x, d: xd } = tensor([3, 77], 73, 2);
    const g = rand(77, 74), bt = rand(77, 75);
    const y = be.layerNorm(x, be.prepareVector(g, [77]), be.prepareVector(bt, [77]), 1e-5);
    const ref = new Float64Array(xd.length);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(xd.subarray(r * 77, (r + 1) * 77));
      const mean = row.reduce((a, b) => a + b, 0) / 77;
      const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 77;
      for (let i = 0; i < 77; i++) ref[r * 77 + i] = ((row[i]! - mean) / Math.sqrt(v + 1e-5)) * g[i]! + bt[i]!;
    }
    assertClose(await read(y), ref, "layerNorm [3, 77]");
  });

  it("silu, gelu, quickGelu, geglu", async () => {
    const { t: x, d: xd } = tensor([3, 65], 80, 6);
    const map = (f: (v: number) => number): Float64Array => Float64Array.from(xd, f);
    assertClose(await read(be.silu(x)), map((v) => v / (1 + Math.exp(-v))), "silu");
    assertClose(await read(be.quickGelu(x)), map((v) => v / (1 + Math.exp(-1.702 * v))), "quickGelu");
    assertClose(await read(be.gelu(x)), map(refGelu), "gelu");
    const { t: g, d: gd } = tensor([2, 3, 34], 81, 5);
    const y = be.geglu(g);
    assert.deepEqual(y.shape, [2, 3, 17]);
    const ref = new Float64Array(6 * 17);
    for (let r = 0; r < 6; r++) for (let i = 0; i < 17; i++) ref[r * 17 + i] = gd[r * 34 + i]! * refGelu(gd[r * 34 + 17 + i]!);
    assertClose(await read(y), ref, "geglu");
  });

  it("upsample, add, addPerChannel, scale, concat, slice, tokens↔image, embedding (exact)", async () => {
    const { t: x, d: xd } = tensor([2, 3, 5, 7], 90);
    const up = await read(be.upsampleNearest2x(x));
    for (let p = 0; p < 6; p++) for (let y = 0; y < 10; y++) for (let xx = 0; xx < 14; xx++) {
      assert.equal(up[(p * 10 + y) * 14 + xx], xd[(p * 5 + (y >> 1)) * 7 + (xx >> 1)]);
    }
    const { t: x2, d: x2d } = tensor([2, 3, 5, 7], 91);
    assert.deepEqual(await read(be.add(x, x2)), Float32Array.from(xd, (v, i) => v + x2d[i]!));
    const { t: pc, d: pcd } = tensor([2, 3], 92);
    assert.deepEqual(await read(be.addPerChannel(x, pc)), Float32Array.from(xd, (v, i) => v + pcd[Math.floor(i / 35)]!));
    assert.deepEqual(await read(be.scale(x, 0.37)), Float32Array.from(xd, (v) => v * 0.37));

    // concat on axis 1 then slice back out
    const { t: c2, d: c2d } = tensor([2, 4, 5, 7], 93);
    const cat = be.concat([x, c2], 1);
    assert.deepEqual(cat.shape, [2, 7, 5, 7]);
    const catd = await read(cat);
    for (let b = 0; b < 2; b++) {
      assert.deepEqual(catd.subarray(b * 245, b * 245 + 105), xd.subarray(b * 105, (b + 1) * 105));
      assert.deepEqual(catd.subarray(b * 245 + 105, (b + 1) * 245), c2d.subarray(b * 140, (b + 1) * 140));
    }
    assert.deepEqual(await read(be.slice(cat, 1, 0, 3)), xd);
    assert.deepEqual(await read(be.slice(cat, -3, 3, 7)), c2d);
    const last = await read(be.slice(x, 3, 2, 5)); // [2, 3, 5, 3]
    for (let r = 0; r < 30; r++) assert.deepEqual(last.subarray(r * 3, r * 3 + 3), xd.subarray(r * 7 + 2, r * 7 + 5));
    // concat on the last axis
    const { t: l2, d: l2d } = tensor([2, 3, 5, 1], 94);
    const catl = await read(be.concat([x, l2], -1));
    for (let r = 0; r < 30; r++) {
      assert.deepEqual(catl.subarray(r * 8, r * 8 + 7), xd.subarray(r * 7, r * 7 + 7));
      assert.equal(catl[r * 8 + 7], l2d[r]);
    }

    const tok = be.imageToTokens(x);
    assert.deepEqual(tok.shape, [2, 35, 3]);
    const tokd = await read(tok);
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let t = 0; t < 35; t++) {
      assert.equal(tokd[(b * 35 + t) * 3 + c], xd[(b * 3 + c) * 35 + t]);
    }
    const back = be.tokensToImage(tok, 5, 7);
    assert.deepEqual(back.shape, [2, 3, 5, 7]);
    assert.deepEqual(await read(back), xd);

    const { t: table, d: td } = tensor([17, 3], 95);
    const ids = Int32Array.from([0, 16, 3, 3, 7, 1]);
    const emb = be.embedding(table, ids, 2, 3);
    assert.deepEqual(emb.shape, [2, 3, 3]);
    const embd = await read(emb);
    ids.forEach((id, i) => assert.deepEqual(embd.subarray(i * 3, i * 3 + 3), td.subarray(id * 3, id * 3 + 3)));
    assert.throws(() => be.embedding(table, Int32Array.from([17]), 1, 1), /outside the vocabulary of 17/);
  });

  it("rejects mismatched shapes with both shapes in the message", () => {
    const { t: x } = tensor([2, 5], 96);
    assert.throws(() => be.linear(x, be.prepareLinear(rand(12, 1), 3, 4)), /\[2, 5\].*\[3, 4\]/);
    assert.throws(() => be.conv2d(x, be.prepareConv2d(rand(27, 1), [1, 3, 3, 3]), { stride: 1, padding: 1 }), /\[2, 5\]/);
  });
});

describe("TsBackend threads", () => {
  it("2 threads give bit-identical results to 1 thread on ops large enough to be split", async () => {
    assert.equal(be2.threadCount, 2);
    const both = (shape: number[], seed: number, range = 1): [Tensor, Tensor] => {
      const d = rand(numel(shape), seed, range);
      return [be.fromArray(d, shape), be2.fromArray(d, shape)];
    };
    const jobsBefore = be2.parallelJobs, chunksBefore = be2.workerChunks;
    // linear: split over rows, then over output columns (few rows, wide weight)
    for (const [rows, K, N] of [[301, 77, 131], [3, 700, 1027]] as const) {
      const [x1, x2] = both([rows, K], 100);
      const w = rand(N * K, 101), b = rand(N, 102);
      assertSameBits(await read(be.linear(x1, be.prepareLinear(w, N, K, b))), await read(be2.linear(x2, be2.prepareLinear(w, N, K, b))), `linear ${rows}×${K}→${N}`);
    }
    // conv2d 3×3 and stride 2
    for (const [stride, pad] of [[1, 1], [2, 1]] as const) {
      const [x1, x2] = both([1, 17, 65, 63], 103);
      const w = rand(21 * 17 * 9, 104), b = rand(21, 105);
      const y1 = be.conv2d(x1, be.prepareConv2d(w, [21, 17, 3, 3], b), { stride, padding: pad });
      const y2 = be2.conv2d(x2, be2.prepareConv2d(w, [21, 17, 3, 3], b), { stride, padding: pad });
      assertSameBits(await read(y1), await read(y2), `conv2d stride ${stride}`);
    }
    // attention, plain and causal
    for (const causal of [false, true]) {
      const [q1, q2] = both([1, 257, 34], 106, 2), [k1, k2] = both([1, 129, 34], 107, 2), [v1, v2] = both([1, 129, 34], 108);
      assertSameBits(await read(be.attention(q1, k1, v1, 2, { causal })), await read(be2.attention(q2, k2, v2, 2, { causal })), `attention causal=${causal}`);
    }
    // group norm + silu, activations, geglu
    const [g1, g2] = both([2, 32, 33, 33], 109, 3);
    const gamma = rand(32, 110), beta = rand(32, 111);
    assertSameBits(
      await read(be.groupNorm(g1, 8, be.prepareVector(gamma, [32]), be.prepareVector(beta, [32]), 1e-6, { silu: true })),
      await read(be2.groupNorm(g2, 8, be2.prepareVector(gamma, [32]), be2.prepareVector(beta, [32]), 1e-6, { silu: true })),
      "groupNorm+silu");
    const [l1, l2] = both([2, 301, 320], 113, 2);
    const lg = rand(320, 114), lb = rand(320, 115);
    assertSameBits(
      await read(be.layerNorm(l1, be.prepareVector(lg, [320]), be.prepareVector(lb, [320]), 1e-5)),
      await read(be2.layerNorm(l2, be2.prepareVector(lg, [320]), be2.prepareVector(lb, [320]), 1e-5)),
      "layerNorm");
    const [a1, a2] = both([3, 300, 154], 112, 5);
    for (const op of ["silu", "gelu", "quickGelu", "geglu"] as const) {
      assertSameBits(await read(be[op](a1)), await read(be2[op](a2)), op);
    }
    assert.ok(be2.parallelJobs - jobsBefore >= 12, `expected the 2-thread backend to split at least 12 jobs, split ${be2.parallelJobs - jobsBefore}`);
    assert.ok(be2.workerChunks - chunksBefore >= 12, `expected the worker to compute at least 12 chunks, it computed ${be2.workerChunks - chunksBefore}`);
  });

  it("the default dynamic schedule gives the same bits", async () => {
    const d = rand(1 * 20 * 64 * 64, 120);
    const w = rand(24 * 20 * 9, 121), b = rand(24, 122);
    const y1 = be.conv2d(be.fromArray(d, [1, 20, 64, 64]), be.prepareConv2d(w, [24, 20, 3, 3], b), { stride: 1, padding: 1 });
    const x2 = be2dynamic.fromArray(d, [1, 20, 64, 64]), w2 = be2dynamic.prepareConv2d(w, [24, 20, 3, 3], b);
    const want = await read(y1);
    for (let i = 0; i < 3; i++) assertSameBits(await read(be2dynamic.conv2d(x2, w2, { stride: 1, padding: 1 })), want, `dynamic conv2d run ${i}`);
    assert.ok(be2dynamic.parallelJobs >= 3);
  });
});
