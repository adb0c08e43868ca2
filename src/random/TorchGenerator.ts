// Bit-exact `torch.Generator("cpu").manual_seed(seed)` + `torch.randn` / `torch.rand` (float32), torch 1.13 …
// 2.13 on AVX2/AVX-512 x86-64. This is the noise diffusers' `randn_tensor` draws for SD1.5 latents with a CPU
// generator ([1, 4, 64, 64] for 512×512). Semantics: ../shared/fixtures/README-clip.md §4.
//
// Three kernels, chosen by PyTorch per call:
// * rand: one U24 per element.
// * randn with numel < 16: scalar double-precision Box–Muller (libm log/sin/cos) with a cached second value.
// * randn with numel ≥ 16: U24 fill, then 8+8 Box–Muller pairs per 16-block in float32 with the Cephes
//   logf/sincosf polynomials (avx_mathfun) and fused multiply-adds; a partial tail is redone on 16 fresh draws.
import { fma32 } from "./fma32.js";
import { MT19937 } from "./mt19937.js";

/** What `manualSeed` accepts: a non-negative integer < 2^64 (a decimal string or bigint for values ≥ 2^53). */
export type TorchSeed = number | bigint | string;

const TWO_POW_64 = 1n << 64n;

/**
 * Validates a seed as PyTorch's `manual_seed` does for non-negative seeds (an unsigned 64-bit integer) and
 * returns it as a bigint. Numbers must be integers; numbers ≥ 2^53 are accepted but may already have lost
 * precision in JS, so pass those as a string or bigint.
 */
export function parseTorchSeed(seed: TorchSeed): bigint {
  let v: bigint;
  if (typeof seed === "bigint") {
    v = seed;
  } else if (typeof seed === "number") {
    if (!Number.isInteger(seed)) throw new RangeError(`torch seed: expected a non-negative integer < 2^64, got ${seed}`);
    v = BigInt(seed);
  } else if (typeof seed === "string") {
    const t = seed.trim();
    if (!/^[0-9]+$/.test(t)) throw new RangeError(`torch seed: expected a decimal string of a non-negative integer < 2^64, got "${seed}"`);
    v = BigInt(t);
  } else {
    throw new TypeError(`torch seed: expected a number, bigint or decimal string, got ${typeof seed}`);
  }
  if (v < 0n || v >= TWO_POW_64) throw new RangeError(`torch seed: expected a non-negative integer < 2^64 (18446744073709551615 max), got ${v}`);
  return v;
}

// Float32 <-> bits through one shared 4-byte buffer.
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
function fromBits(bits: number): number {
  u32buf[0] = bits >>> 0;
  return f32buf[0]!;
}

// Constants of the vectorised kernel, by their exact float32 bit patterns (README-clip.md §4, table).
const TWO_PI = fromBits(0x40c90fdb);
const SQRTHF = fromBits(0x3f3504f3);
const P0 = fromBits(0x3d9021bb);
const P1 = fromBits(0xbdebd1b8);
const P2 = fromBits(0x3def251a);
const P3 = fromBits(0xbdfe5d4f);
const P4 = fromBits(0x3e11e9bf);
const P5 = fromBits(0xbe2aae50);
const P6 = fromBits(0x3e4cceac);
const P7 = fromBits(0xbe7ffffc);
const P8 = fromBits(0x3eaaaaaa);
const Q1 = fromBits(0xb95e8083);
const Q2 = fromBits(0x3f318000);
const FOPI = fromBits(0x3fa2f983);
const DP1 = fromBits(0xbf490000);
const DP2 = fromBits(0xb97da000);
const DP3 = fromBits(0xb3222169);
const S0 = fromBits(0xb94ca1f9);
const S1 = fromBits(0x3c08839e);
const S2 = fromBits(0xbe2aaaa3);
const C0 = fromBits(0x37ccf5ce);
const C1 = fromBits(0xbab6061a);
const C2 = fromBits(0x3d2aaaa5);

const f32 = Math.fround;

/** Cephes logf as vectorised in avx_mathfun, for x in (0, 1]; every step rounded like the float32 kernel. */
function logf32(x: number): number {
  f32buf[0] = x;
  const bits = u32buf[0]!;
  let e = (bits >>> 23) - 126; // exponent field − 127 + 1 (x > 0, so the sign bit is 0)
  u32buf[0] = (bits & 0x807fffff) | 0x3f000000;
  let t = f32buf[0]!; // mantissa m in [0.5, 1)
  if (t < SQRTHF) {
    e -= 1;
    t = t + t - 1; // exact
  } else {
    t = t - 1; // exact
  }
  const z = f32(t * t);
  let y = P0;
  y = fma32(y, t, P1);
  y = fma32(y, t, P2);
  y = fma32(y, t, P3);
  y = fma32(y, t, P4);
  y = fma32(y, t, P5);
  y = fma32(y, t, P6);
  y = fma32(y, t, P7);
  y = fma32(y, t, P8);
  y = f32(y * t);
  y = fma32(y, z, f32(e * Q1));
  y = f32(y - z * 0.5); // z·0.5 is exact
  return f32(f32(t + y) + e * Q2); // e·Q2 is exact
}

/**
 * One 16-element Box–Muller block at d[b…b+15], in place: pairs (d[b+j], d[b+8+j]) of U24 uniforms become
 * (r·cos θ, r·sin θ) with r = sqrt(−2 log(1 − u1)), θ = 2π·u2.
 */
function normalBlock16(d: Float32Array, b: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - d[b + j]!);
    const u2 = d[b + 8 + j]!;
    const radius = f32(Math.sqrt(f32(-2 * logf32(u1)))); // double sqrt then round == float32 sqrt
    const theta = f32(TWO_PI * u2);

    // Cephes sincosf for θ ≥ 0: reduce by multiples of π/4 (3-part Cody–Waite), then both polynomials.
    let q = Math.trunc(f32(theta * FOPI));
    q = (q + 1) & ~1;
    const yq = q;
    let x = fma32(yq, DP1, theta);
    x = fma32(yq, DP2, x);
    x = fma32(yq, DP3, x);
    const z = f32(x * x);
    let pc = C0;
    pc = fma32(pc, z, C1);
    pc = fma32(pc, z, C2);
    pc = f32(pc * z);
    pc = fma32(pc, z, -z * 0.5);
    pc = f32(pc + 1);
    let ps = S0;
    ps = fma32(ps, z, S1);
    ps = fma32(ps, z, S2);
    ps = f32(ps * z);
    ps = fma32(ps, x, x);
    let s: number;
    let c: number;
    if ((q & 2) === 0) {
      s = ps;
      c = pc;
    } else {
      s = pc;
      c = ps;
    }
    if ((q & 4) !== 0) s = -s;
    if (((q - 2) & 4) === 0) c = -c;

    // ·std + mean with std = 1, mean = 0 is a single fma32: exact except that −0 becomes +0 (the `+ 0`).
    d[b + j] = f32(radius * c) + 0;
    d[b + 8 + j] = f32(radius * s) + 0;
  }
}

function numelOf(shape: readonly number[], fn: string): number {
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`TorchGenerator.${fn}: shape [${shape.join(", ")}] must hold non-negative integers`);
    n *= s;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`TorchGenerator.${fn}: shape [${shape.join(", ")}] is too large`);
  return n;
}

export class TorchGenerator {
  private readonly mt = new MT19937();
  /** Second Box–Muller value of the scalar (numel < 16) randn path, in double; null when empty. */
  private cachedNormal: number | null = null;
  private seedValue = 0n;

  constructor(seed: TorchSeed) {
    this.manualSeed(seed);
  }

  /** `generator.manual_seed(seed)`: only the low 32 bits seed MT19937 (2^32 + 5 ≡ 5); clears the normal cache. */
  manualSeed(seed: TorchSeed): this {
    const v = parseTorchSeed(seed);
    this.seedValue = v;
    this.mt.seed(Number(v & 0xffffffffn));
    this.cachedNormal = null;
    return this;
  }

  /** The seed last given to `manualSeed` (like `generator.initial_seed()`). */
  initialSeed(): bigint {
    return this.seedValue;
  }

  /** U24: float32 uniform in [0, 1) from the low 24 bits of one draw (exact). */
  private u24(): number {
    return (this.mt.nextU32() & 0xffffff) / 16777216;
  }

  /** U53: double uniform in [0, 1); the first draw gives the high 21 bits, the second the low 32. */
  private u53(): number {
    const a = this.mt.nextU32();
    const b = this.mt.nextU32();
    return ((a & 0x1fffff) * 4294967296 + b) / 9007199254740992;
  }

  /** Scalar double Box–Muller with a one-value cache (PyTorch's `normal_distribution<double>`). */
  private normalScalar(): number {
    if (this.cachedNormal !== null) {
      const v = this.cachedNormal;
      this.cachedNormal = null;
      return v;
    }
    const u1 = this.u53();
    const u2 = this.u53();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `torch.rand(shape, generator=g, dtype=torch.float32)`, row-major. */
  rand(shape: readonly number[]): Float32Array {
    const n = numelOf(shape, "rand");
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u24();
    return out;
  }

  /** `torch.randn(shape, generator=g, dtype=torch.float32)`, row-major. */
  randn(shape: readonly number[]): Float32Array {
    const n = numelOf(shape, "randn");
    const d = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) d[i] = this.normalScalar(); // Float32Array store = f32(double)
      return d;
    }
    for (let i = 0; i < n; i++) d[i] = this.u24();
    for (let b = 0; b + 16 <= n; b += 16) normalBlock16(d, b);
    if (n % 16 !== 0) {
      // Tail: 16 fresh uniforms overwrite the last 16 slots (some already transformed), then one more block.
      for (let i = n - 16; i < n; i++) d[i] = this.u24();
      normalBlock16(d, n - 16);
    }
    return d;
  }
}
