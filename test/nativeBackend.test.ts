// The native backend against the TypeScript reference, op by op, on random shapes chosen to cut GEMM and
// attention tiles (sizes 1, 3, 17, 65, 77; K past the K block; pixels past a task's block), for every
// instruction set this CPU runs (AVX-512, AVX2, portable); bit-identical results for 1 and 2 threads; the
// opt-in weight formats (fp16 storage: bit-identical for fp16 weights; bf16 GEMM: within bf16 rounding).
// When the addon was not built the suite is skipped with the reason, or fails when SDTS_REQUIRE_NATIVE=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend } from "../src/backend/Backend.js";
import { nativeAvailability } from "../src/backend/index.js";
import { loadNativeAddon } from "../src/backend/native/addon.js";
import { NativeBackend, type NativeIsa } from "../src/backend/native/NativeBackend.js";
import { TsBackend } from "../src/backend/ts/TsBackend.js";
import type { Tensor } from "../src/tensor/Tensor.js";

const availability = nativeAvailability();
const required = process.env.SDTS_REQUIRE_NATIVE === "1";
const skipReason = availability.available ? false : `native backend not built: ${availability.reason}`;

test("native addon is built (SDTS_REQUIRE_NATIVE=1 makes a missing build fail)", (t) => {
  if (!availability.available) {
    if (required) assert.fail(`SDTS_REQUIRE_NATIVE=1 but ${skipReason}`);
    t.skip(String(skipReason));
    return;
  }
  const info = loadNativeAddon().addon!.info();
  assert.ok(info.maxThreads >= 1);
  assert.ok(["avx512", "avx2", "generic"].includes(info.isa));
});

/** Deterministic values in [-1, 1) (mulberry32). */
function random(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let a = seed | 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = scale * (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1);
  }
  return out;
}

/** |got − exp| ≤ tol·(max|exp| + |exp|): relative to the tensor's scale and to each element. */
function assertNear(name: string, got: Float32Array, exp: Float32Array, tol = 1e-5): number {
  assert.equal(got.length, exp.length, `${name}: ${got.length} elements, expected ${exp.length}`);
  let scale = 0;
  for (const v of exp) scale = Math.max(scale, Math.abs(v));
  let worst = 0, at = -1;
  for (let i = 0; i < exp.length; i++) {
    const d = Math.abs(got[i]! - exp[i]!);
    const r = d / (scale + Math.abs(exp[i]!) || 1);
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${name}: relative error ${worst.toExponential(3)} > ${tol} at ${at} (got ${got[at]}, expected ${exp[at]})`);
  return worst;
}

const ts = new TsBackend();
const info = availability.available ? loadNativeAddon().addon!.info() : null;
const isas = (info?.isas ?? []) as NativeIsa[];
const natives: NativeBackend[] = isas.map((isa) => new NativeBackend(loadNativeAddon().addon!, { isa, threads: 2 }));

type Case = (b: Backend) => Tensor;

/** Worst relative error per test, reported as a diagnostic. */
let worstInTest = 0;

/** Run `make` on the TS reference and every native ISA and compare. */
async function check(name: string, make: Case, tol = 1e-5): Promise<void> {
  const ref = make(ts);
  const exp = await ref.toArray();
  for (const nb of natives) {
    const y = make(nb);
    assert.deepEqual([...y.shape], [...ref.shape], `${name} [${nb.isa}]: shape`);
    worstInTest = Math.max(worstInTest, assertNear(`${name} [${nb.isa}]`, await y.toArray(), exp, tol));
  }
}

function report(t: { diagnostic(message: string): void }): void {
  t.diagnostic(`worst relative error ${worstInTest.toExponential(2)} (ISAs: ${isas.join(", ")})`);
  worstInTest = 0;
}

test("linear: odd M, K, N, with and without bias, batched leading dims", { skip: skipReason }, async (t) => {
  const shapes: Array<[number[], number, number, boolean]> = [
    [[1], 1, 1, true], [[3], 17, 65, true], [[77], 65, 17, false], [[65], 3, 77, true], [[2, 77], 768, 320, true], [[5], 1000, 700, true],
    [[300], 320, 40, true], [[17], 1, 3, false], [[290], 300, 33, true],
  ];
  let seed = 1;
  for (const [lead, K, N, bias] of shapes) {
    const M = lead.reduce((a, b) => a * b, 1);
    const x = random(M * K, seed++), w = random(N * K, seed++, 1 / Math.sqrt(K)), b = bias ? random(N, seed++) : undefined;
    await check(`linear [${lead}, ${K}] → ${N}`, (be) => be.linear(be.fromArray(x, [...lead, K]), be.prepareLinear(w, N, K, b)));
  }
  report(t);
});

test("conv2d: 3×3 stride 1/2, per-side padding, 1×1, odd channel counts, K past the K block", { skip: skipReason }, async (t) => {
  type ConvCase = [number, number, number, number, number, number, number, number | { top: number; bottom: number; left: number; right: number }, boolean];
  const cases: ConvCase[] = [
    // B, C, H, W, O, k, stride, padding, bias
    [2, 3, 17, 13, 17, 3, 1, 1, true],
    [1, 4, 16, 16, 65, 3, 2, 1, true],
    [1, 5, 9, 11, 7, 3, 2, { top: 0, bottom: 1, left: 0, right: 1 }, true], // the VAE downsampler
    [2, 65, 5, 7, 77, 1, 1, 0, true],
    [1, 17, 6, 6, 3, 1, 1, 0, false],
    [1, 50, 24, 20, 33, 3, 1, 1, true], // K = 450 > the K block, 480 pixels > one task's block
    [2, 8, 7, 7, 1, 3, 1, 0, true],
    [1, 3, 8, 8, 5, 3, 1, { top: 2, bottom: 0, left: 1, right: 3 }, true],
    [1, 6, 3, 40, 13, 3, 1, 1, true], // wide rows: panels cut inside a row
    [1, 2, 1, 1, 3, 1, 2, 0, true],
    [2, 6, 8, 8, 9, 3, 1, 1, true], // pixels a multiple of the tile width: one task covers both images
    [2, 16, 12, 16, 20, 3, 1, 1, true], // … and pixel blocks straddle the two images
    // the direct (in-place) stride-1 path: whole- and half-vector rows, K = 9·C past 1,536
    [1, 180, 6, 16, 24, 3, 1, 1, true],
    [1, 200, 5, 8, 13, 3, 1, 1, true],
  ];
  let seed = 100;
  for (const [B, C, H, W, O, k, stride, padding, bias] of cases) {
    const x = random(B * C * H * W, seed++), w = random(O * C * k * k, seed++, 1 / Math.sqrt(C * k * k));
    const b = bias ? random(O, seed++) : undefined;
    await check(`conv2d [${B}, ${C}, ${H}, ${W}] → ${O} k${k} s${stride} p${JSON.stringify(padding)}`, (be) =>
      be.conv2d(be.fromArray(x, [B, C, H, W]), be.prepareConv2d(w, [O, C, k, k], b), { stride, padding }));
  }
  report(t);
});

test("groupNorm (with and without fused SiLU) and layerNorm", { skip: skipReason }, async (t) => {
  const cases: Array<[number[], number]> = [[[2, 64, 5, 7], 32], [[1, 6, 3, 3], 3], [[2, 8, 10], 4], [[1, 320, 16, 16], 32]];
  let seed = 200;
  for (const [shape, groups] of cases) {
    const n = shape.reduce((a, b) => a * b, 1), C = shape[1]!;
    const x = random(n, seed++, 3), g = random(C, seed++), bt = random(C, seed++);
    for (const silu of [false, true]) {
      await check(`groupNorm ${JSON.stringify(shape)} g${groups} silu=${silu}`, (be) =>
        be.groupNorm(be.fromArray(x, shape), groups, be.prepareVector(g, [C]), be.prepareVector(bt, [C]), 1e-5, { silu }));
    }
  }
  for (const shape of [[2, 77, 65], [3, 320], [1, 1, 1], [4, 768]]) {
    const n = shape.reduce((a, b) => a * b, 1), C = shape[shape.length - 1]!;
    const x = random(n, seed++, 2), g = random(C, seed++), bt = random(C, seed++);
    await check(`layerNorm ${JSON.stringify(shape)}`, (be) => be.layerNorm(be.fromArray(x, shape), be.prepareVector(g, [C]), be.prepareVector(bt, [C]), 1e-5));
  }
  report(t);
});

test("silu, gelu (erf), quickGelu, scale, geglu", { skip: skipReason }, async (t) => {
  const n = 4099;
  const x = random(n, 300, 12);
  x[0] = 0; x[1] = -0; x[2] = 30; x[3] = -30; x[4] = 1e-4; x[5] = -8;
  await check("silu", (be) => be.silu(be.fromArray(x, [n])));
  await check("gelu", (be) => be.gelu(be.fromArray(x, [n])));
  await check("quickGelu", (be) => be.quickGelu(be.fromArray(x, [n])));
  await check("scale", (be) => be.scale(be.fromArray(x, [n]), -0.18215));
  const g = random(2 * 7 * 130, 301, 5);
  await check("geglu", (be) => be.geglu(be.fromArray(g, [2, 7, 130])));
  report(t);
});

test("attention: self, cross (Tq ≠ Tk), causal, odd head sizes, custom scale", { skip: skipReason }, async (t) => {
  const cases: Array<[number, number, number, number, number, boolean, number | undefined]> = [
    // B, Tq, Tk, heads, D, causal, scale
    [2, 77, 77, 3, 40, false, undefined],
    [1, 77, 77, 2, 64, true, undefined],
    [2, 100, 77, 2, 80, false, undefined],
    [1, 1, 1, 1, 1, false, undefined],
    [1, 5, 300, 1, 13, false, 0.3], // keys past one key tile
    [1, 300, 300, 1, 17, true, undefined],
    [1, 33, 3, 4, 8, false, undefined],
    [1, 40, 50, 2, 160, true, undefined],
  ];
  let seed = 400;
  for (const [B, Tq, Tk, H, D, causal, scale] of cases) {
    const q = random(B * Tq * H * D, seed++, 2), k = random(B * Tk * H * D, seed++, 2), v = random(B * Tk * H * D, seed++);
    await check(`attention B${B} Tq${Tq} Tk${Tk} H${H} D${D} causal=${causal}`, (be) =>
      be.attention(be.fromArray(q, [B, Tq, H * D]), be.fromArray(k, [B, Tk, H * D]), be.fromArray(v, [B, Tk, H * D]), H,
        scale === undefined ? { causal } : { causal, scale }));
  }
  report(t);
});

test("layout ops: upsample, add, addPerChannel, concat, slice, tokens ↔ image, embedding", { skip: skipReason }, async (t) => {
  const x = random(2 * 3 * 5 * 7, 500), y = random(2 * 3 * 5 * 7, 501), v = random(6, 502);
  await check("upsampleNearest2x", (be) => be.upsampleNearest2x(be.fromArray(x, [2, 3, 5, 7])), 0);
  await check("add", (be) => be.add(be.fromArray(x, [2, 3, 5, 7]), be.fromArray(y, [2, 3, 5, 7])), 0);
  await check("addPerChannel", (be) => be.addPerChannel(be.fromArray(x, [2, 3, 5, 7]), be.fromArray(v, [2, 3])), 0);
  await check("concat axis 1", (be) => be.concat([be.fromArray(x, [2, 3, 5, 7]), be.fromArray(y, [2, 3, 5, 7])], 1), 0);
  await check("slice axis -1", (be) => be.slice(be.fromArray(x, [2, 3, 5, 7]), -1, 2, 5), 0);
  await check("imageToTokens", (be) => be.imageToTokens(be.fromArray(x, [2, 3, 5, 7])), 0);
  await check("tokensToImage", (be) => be.tokensToImage(be.fromArray(x, [2, 35, 3]), 5, 7), 0);
  const table = random(10 * 6, 503);
  await check("embedding", (be) => be.embedding(be.prepareVector(table, [10, 6]), Int32Array.from([3, 0, 9, 3]), 2, 2), 0);
  report(t);
});

test("bit-identical results for 1 and 2 threads", { skip: skipReason }, async () => {
  const addon = loadNativeAddon().addon!;
  const one = new NativeBackend(addon, { threads: 1 });
  const two = new NativeBackend(addon, { threads: 2 });
  const x = random(2 * 40 * 24 * 24, 600), w = random(64 * 40 * 9, 601, 0.05), b = random(64, 602);
  const q = random(2 * 300 * 80, 603), k = random(2 * 77 * 80, 604);
  const lw = random(96 * 80, 605, 0.1), lb = random(96, 606);
  const wDirect = random(24 * 200 * 9, 607, 0.02);
  const cases: Array<[string, Case]> = [
    ["conv2d", (be) => be.conv2d(be.fromArray(x, [2, 40, 24, 24]), be.prepareConv2d(w, [64, 40, 3, 3], b), { stride: 1, padding: 1 })],
    ["conv2d direct, width 16, K 1,800", (be) => be.conv2d(be.fromArray(x.subarray(0, 200 * 4 * 16), [1, 200, 4, 16]), be.prepareConv2d(wDirect, [24, 200, 3, 3], b.subarray(0, 24)), { stride: 1, padding: 1 })],
    ["linear", (be) => be.linear(be.fromArray(q, [2, 300, 80]), be.prepareLinear(lw, 96, 80, lb))],
    ["attention", (be) => be.attention(be.fromArray(q, [2, 300, 80]), be.fromArray(k, [2, 77, 80]), be.fromArray(k, [2, 77, 80]), 2)],
    ["groupNorm", (be) => be.groupNorm(be.fromArray(x, [2, 40, 24, 24]), 8, be.prepareVector(b.subarray(0, 40), [40]), be.prepareVector(b.subarray(1, 41), [40]), 1e-5, { silu: true })],
    ["gelu", (be) => be.gelu(be.fromArray(x, [x.length]))],
  ];
  for (const [name, make] of cases) {
    const a = await make(one).toArray(), c = await make(two).toArray();
    assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(c.buffer, c.byteOffset, c.byteLength)), `${name}: threads=1 and threads=2 differ`);
  }
});

const bf16Skip = skipReason || (info?.bf16 ? false : "this CPU has no AVX512-BF16 (bf16 GEMM not available)");

test("bf16 precision: conv2d and linear within bf16 rounding of the fp32 reference, deterministic", { skip: bf16Skip }, async (t) => {
  const addon = loadNativeAddon().addon!;
  const bf = new NativeBackend(addon, { precision: "bf16", threads: 2 });
  const bf1 = new NativeBackend(addon, { precision: "bf16", threads: 1 });
  let worst = 0;
  let seed = 800;
  const convs: Array<[number, number, number, number, number, number, number, number | { top: number; bottom: number; left: number; right: number }]> = [
    [2, 3, 17, 13, 17, 3, 1, 1], [1, 5, 9, 11, 7, 3, 2, { top: 0, bottom: 1, left: 0, right: 1 }], [2, 65, 5, 7, 77, 1, 1, 0],
    [1, 50, 24, 20, 33, 3, 1, 1], [1, 3, 6, 6, 5, 3, 1, 0],
  ];
  for (const [B, C, H, W, O, k, stride, padding] of convs) {
    const x = random(B * C * H * W, seed++), w = random(O * C * k * k, seed++, 1 / Math.sqrt(C * k * k)), b = random(O, seed++);
    const run = (be: Backend): Tensor => be.conv2d(be.fromArray(x, [B, C, H, W]), be.prepareConv2d(w, [O, C, k, k], b), { stride, padding });
    const got = await run(bf).toArray();
    worst = Math.max(worst, assertNear(`bf16 conv2d [${B}, ${C}, ${H}, ${W}] → ${O}`, got, await run(ts).toArray(), 1e-2));
    const again = await run(bf1).toArray();
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(again.buffer, again.byteOffset, again.byteLength)), "bf16 conv2d: threads 1 and 2 differ");
  }
  for (const [M, K, N] of [[1, 3, 17], [77, 65, 33], [300, 320, 640], [290, 1001, 70]] as const) {
    const x = random(M * K, seed++), w = random(N * K, seed++, 1 / Math.sqrt(K)), b = random(N, seed++);
    const run = (be: Backend): Tensor => be.linear(be.fromArray(x, [M, K]), be.prepareLinear(w, N, K, b));
    worst = Math.max(worst, assertNear(`bf16 linear [${M}, ${K}] → ${N}`, await run(bf).toArray(), await run(ts).toArray(), 1e-2));
  }
  t.diagnostic(`bf16 worst relative error ${worst.toExponential(2)} (bf16 rounding is 2^-9 ≈ 2e-3)`);
  assert.throws(() => bf.linear(bf.fromArray(random(4, 1), [1, 4]), natives[natives.length - 1]!.prepareLinear(random(8, 2), 2, 4)), /not prepared by this native backend/);
});

test("bf16 precision: conv2d with channel-pair layout (odd C, direct and packed paths, 8-wide rows)", { skip: bf16Skip }, async (t) => {
  const addon = loadNativeAddon().addon!;
  const bf = new NativeBackend(addon, { precision: "bf16", threads: 2 });
  const bf1 = new NativeBackend(addon, { precision: "bf16", threads: 1 });
  type Pad = number | { top: number; bottom: number; left: number; right: number };
  const convs: Array<[number, number, number, number, number, number, number, Pad]> = [
    // B, C, H, W, O, k, stride, padding
    [2, 7, 8, 16, 13, 3, 1, 1], // direct path, odd C (last pair half zero), O past one 12-row panel
    [1, 9, 8, 8, 5, 3, 1, 1], // 8-pixel rows: each vector from two half rows
    [2, 33, 16, 32, 25, 3, 1, 1], // several pixel panels, both images in one task
    [1, 3, 9, 11, 7, 3, 2, { top: 0, bottom: 1, left: 0, right: 1 }], // stride 2, asymmetric padding (packed path)
    [1, 5, 6, 6, 3, 1, 1, 0], // 1×1 with odd C
    [1, 400, 4, 16, 14, 3, 1, 1], // K2 = 200·9 past one direct K block
  ];
  let worst = 0;
  let seed = 1000;
  for (const [B, C, H, W, O, k, stride, padding] of convs) {
    const x = random(B * C * H * W, seed++), w = random(O * C * k * k, seed++, 1 / Math.sqrt(C * k * k)), b = random(O, seed++);
    const run = (be: Backend): Tensor => be.conv2d(be.fromArray(x, [B, C, H, W]), be.prepareConv2d(w, [O, C, k, k], b), { stride, padding });
    const got = await run(bf).toArray();
    worst = Math.max(worst, assertNear(`bf16 conv2d [${B}, ${C}, ${H}, ${W}] → ${O} k${k} s${stride}`, got, await run(ts).toArray(), 1e-2));
    const again = await run(bf1).toArray();
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(again.buffer, again.byteOffset, again.byteLength)), `bf16 conv2d [${B}, ${C}, ${H}, ${W}]: threads 1 and 2 differ`);
  }
  t.diagnostic(`bf16 conv2d worst relative error ${worst.toExponential(2)}`);
});

test("bf16 precision: attention (bf16 QKᵀ and PV) within bf16 rounding of fp32, odd sizes, causal, deterministic", { skip: bf16Skip }, async (t) => {
  const addon = loadNativeAddon().addon!;
  const bf = new NativeBackend(addon, { precision: "bf16", threads: 2 });
  const bf1 = new NativeBackend(addon, { precision: "bf16", threads: 1 });
  const f32 = new NativeBackend(addon, { threads: 2 });
  const cases: Array<[number, number, number, number, number, boolean, number | undefined]> = [
    // B, Tq, Tk, heads, D, causal, scale
    [2, 77, 77, 3, 40, false, undefined], // SD head size 40, Tk odd (last key pair half empty)
    [1, 77, 77, 2, 64, true, undefined], // CLIP-style causal
    [2, 100, 77, 2, 80, false, undefined], // cross-attention shape, Tq past two query tiles
    [1, 1, 1, 1, 1, false, undefined],
    [1, 5, 300, 1, 13, false, 0.3], // odd D, keys past two key tiles
    [1, 300, 300, 1, 17, true, undefined], // causal over several key tiles
    [1, 33, 3, 4, 8, false, undefined],
    [1, 40, 50, 2, 160, true, undefined], // SD head size 160, causal with an odd key end
    [1, 129, 129, 1, 40, true, 0.5], // causal across a key-tile boundary
    [1, 70, 260, 1, 512, false, undefined], // the VAE's single 512-wide head, three key tiles
  ];
  let worst = 0;
  let seed = 1100;
  for (const [B, Tq, Tk, H, D, causal, scale] of cases) {
    const q = random(B * Tq * H * D, seed++, 1.5), k = random(B * Tk * H * D, seed++, 1.5), v = random(B * Tk * H * D, seed++);
    const run = (be: Backend): Tensor =>
      be.attention(be.fromArray(q, [B, Tq, H * D]), be.fromArray(k, [B, Tk, H * D]), be.fromArray(v, [B, Tk, H * D]), H,
        scale === undefined ? { causal } : { causal, scale });
    const name = `bf16 attention B${B} Tq${Tq} Tk${Tk} H${H} D${D} causal=${causal}`;
    const got = await run(bf).toArray();
    worst = Math.max(worst, assertNear(name, got, await run(ts).toArray(), 1e-2));
    const again = await run(bf1).toArray();
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(again.buffer, again.byteOffset, again.byteLength)), `${name}: threads 1 and 2 differ`);
    // The fp32 backend still runs the fp32 kernel: within fp32 rounding of the reference.
    assertNear(`fp32 ${name.slice(5)}`, await run(f32).toArray(), await run(ts).toArray(), 1e-5);
  }
  // Softmax weights sum to one: with V constant along the keys every output is that constant, to bf16 rounding.
  const [B, T, H, D] = [1, 200, 2, 40];
  const ones = new Float32Array(B * T * H * D).fill(0.75);
  const out = await bf.attention(bf.fromArray(random(B * T * H * D, seed++, 2), [B, T, H * D]), bf.fromArray(random(B * T * H * D, seed++, 2), [B, T, H * D]),
    bf.fromArray(ones, [B, T, H * D]), H).toArray();
  for (const y of out) assert.ok(Math.abs(y - 0.75) < 0.75 * 4e-3, `bf16 attention of constant V: ${y}, expected 0.75`);
  t.diagnostic(`bf16 attention worst relative error ${worst.toExponential(2)} (bf16 rounding is 2^-9 ≈ 2e-3)`);
});

test("fp16 weight storage: bit-identical to fp32 storage for fp16-exact weights, on every ISA", { skip: skipReason }, async () => {
  const addon = loadNativeAddon().addon!;
  /** Values k/1024 with |k| ≤ 256 are exact in fp16, so widening them back changes nothing. */
  const fp16Exact = (n: number, seed: number): Float32Array => random(n, seed).map((v) => Math.round(v * 256) / 1024);
  let seed = 900;
  for (const isa of isas) {
    const f32 = new NativeBackend(addon, { isa, threads: 2 });
    const f16 = new NativeBackend(addon, { isa, threads: 2, weights: "fp16" });
    for (const [B, C, H, W, O, k, stride, padding] of [[2, 3, 17, 13, 17, 3, 1, 1], [1, 50, 24, 20, 33, 3, 1, 1], [2, 65, 5, 7, 77, 1, 1, 0], [1, 5, 9, 11, 7, 3, 2, 1]] as const) {
      const x = random(B * C * H * W, seed++), w = fp16Exact(O * C * k * k, seed++), b = random(O, seed++);
      const run = (be: Backend): Promise<Float32Array> => be.conv2d(be.fromArray(x, [B, C, H, W]), be.prepareConv2d(w, [O, C, k, k], b), { stride, padding }).toArray();
      assert.deepEqual(await run(f16), await run(f32), `fp16-stored conv2d [${B}, ${C}, ${H}, ${W}] → ${O} [${isa}] differs from fp32 storage`);
    }
    for (const [M, K, N] of [[1, 3, 17], [77, 65, 33], [300, 1001, 70]] as const) {
      const x = random(M * K, seed++), w = fp16Exact(N * K, seed++), b = random(N, seed++);
      const run = (be: Backend): Promise<Float32Array> => be.linear(be.fromArray(x, [M, K]), be.prepareLinear(w, N, K, b)).toArray();
      assert.deepEqual(await run(f16), await run(f32), `fp16-stored linear [${M}, ${K}] → ${N} [${isa}] differs from fp32 storage`);
    }
  }
  // Arbitrary fp32 weights are rounded to fp16: within fp16 rounding (2^-11) of the reference.
  const f16 = new NativeBackend(addon, { weights: "fp16" });
  const x = random(300 * 320, seed++), w = random(64 * 320, seed++, 1 / Math.sqrt(320));
  assertNear("fp16-stored linear, rounded weights", await f16.linear(f16.fromArray(x, [300, 320]), f16.prepareLinear(w, 64, 320)).toArray(),
    await ts.linear(ts.fromArray(x, [300, 320]), ts.prepareLinear(w, 64, 320)).toArray(), 2e-3);
});

test("native ops reject mismatched shapes and foreign weights", { skip: skipReason }, () => {
  const nb = natives[natives.length - 1]!;
  const x = nb.fromArray(random(2 * 3 * 4 * 4, 700), [2, 3, 4, 4]);
  assert.throws(() => nb.conv2d(x, nb.prepareConv2d(random(5 * 2 * 9, 701), [5, 2, 3, 3]), { stride: 1, padding: 1 }), /conv2d: input \[2, 3, 4, 4\]/);
  assert.throws(() => nb.linear(x, ts.prepareLinear(random(8, 702), 2, 4)), /not prepared by this native backend/);
  assert.throws(() => nb.add(x, nb.fromArray(random(4, 703), [4])), /add: shapes/);
  assert.throws(() => nb.prepareConv2d(random(10, 704), [5, 2, 3, 3]), /conv weight has 10 values/);
});
