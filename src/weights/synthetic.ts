// Synthetic weights and inputs, exactly as ../shared/fixtures/README.md §2 defines them: every value is a
// function of the tensor's name and shape, so the full 860M-parameter UNet can run without a file.

/** FNV-1a 32-bit hash of the UTF-8 bytes of `name`. */
export function fnv1a32(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Fill `out` with r = 2u − 1 (u = the k-th mulberry32 draw seeded by fnv1a32(name)), scaled and shifted. */
function fillMulberry(name: string, out: Float32Array, scale: number, offset: number): Float32Array {
  let a = fnv1a32(name) | 0;
  for (let k = 0; k < out.length; k++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[k] = offset + scale * (2 * u - 1);
  }
  return out;
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A synthetic parameter: r/sqrt(fanIn) for ≥2-D, 1+0.1r for 1-D `.weight`, 0.1r for 1-D `.bias`. */
export function syntheticParameter(name: string, shape: readonly number[]): Float32Array {
  const n = numelOf(shape);
  const out = new Float32Array(n);
  if (shape.length >= 2) {
    // r / sqrt(fanIn) computed in float64 before rounding: r * (1/sqrt) would differ in the last bit.
    let a = fnv1a32(name) | 0;
    const root = Math.sqrt(n / shape[0]!);
    for (let k = 0; k < n; k++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      out[k] = (2 * u - 1) / root;
    }
    return out;
  }
  if (name.endsWith(".weight")) return fillMulberry(name, out, 0.1, 1);
  if (name.endsWith(".bias")) return fillMulberry(name, out, 0.1, 0);
  throw new Error(`synthetic rule has no value for 1-D tensor "${name}" (expected a name ending in .weight or .bias)`);
}

/** A synthetic input: value = r. */
export function syntheticInput(name: string, shape: readonly number[]): Float32Array {
  return fillMulberry(name, new Float32Array(numelOf(shape)), 1, 0);
}
