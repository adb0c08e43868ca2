// Exact float32 fused multiply-add in JavaScript: fma32(a, b, c) = a·b + c rounded ONCE to float32, as the
// AVX2 `vfmadd` instructions in PyTorch's vectorised randn kernel compute it.
//
// Why this is exact: for float32 a, b the product a·b has at most 48 significant bits, so it is exact in
// double. The double sum s = p + c may be rounded, and rounding s again to float32 (double rounding) only goes
// wrong when s lands exactly on a midpoint between two float32 values while the true sum is not on it. The
// exact rounding error of the double sum (TwoSum) tells on which side of the midpoint the true sum lies.

export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact for float32 inputs (no overflow/underflow in our ranges)
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r; // s is a float32; the double error is far below half a float32 ulp
  // TwoSum (Knuth): err = (p + c) − s exactly.
  const bv = s - p;
  const err = (p - (s - bv)) + (c - bv);
  if (err === 0) return r;
  // If s is a midpoint between r and its other float32 neighbour, then `other` = 2s − r is that neighbour
  // (and a float32); otherwise it is not a float32 and r is already correct.
  const other = s + (s - r);
  if (Math.fround(other) !== other) return r;
  // The true sum s + err lies strictly on err's side of the midpoint.
  return err > 0 === other > r ? other : r;
}
