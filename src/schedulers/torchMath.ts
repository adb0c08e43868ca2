// Float32 elementary functions as PyTorch's CPU kernels compute them, where that differs from the correctly
// rounded value the schedulers' fixtures would otherwise miss by an ulp.
import { roundHalfEven } from "./timesteps.js";

const f32 = Math.fround;

/** a·b + c rounded once to float32 (the FMA SLEEF uses; exact product in float64, then rounded). */
function fmaF32(a: number, b: number, c: number): number {
  return f32(a * b + c);
}

/**
 * `torch.exp` of a float32 tensor on the CPU: ATen vectorises it with SLEEF's `expf_u10` (error ≤ 1 ulp, not
 * correctly rounded — e.g. exp(−0.2928724) comes out 1 ulp above `Math.fround(Math.exp(x))`). DPM-Solver's
 * e^{−h} goes through it. Algorithm: x = q·ln2 + s (Cody–Waite split), e^s by a degree-7 polynomial, scaled by 2^q.
 */
export function torchExpF32(x: number): number {
  const d = f32(x);
  if (Number.isNaN(d)) return NaN;
  if (d < -104) return 0;
  if (d > 100) return Infinity;
  const q = roundHalfEven(f32(d * f32(1.442695040888963407359924681001892137426645954152985934135449406931)));
  let s = fmaF32(q, f32(-0.693145751953125), d);
  s = fmaF32(q, f32(-1.428606765330187045e-6), s);
  let u = f32(0.000198527617612853646278381);
  for (const c of [0.00139304355252534151077271, 0.00833336077630519866943359, 0.0416664853692054748535156, 0.166666671633720397949219, 0.5]) {
    u = fmaF32(u, s, f32(c));
  }
  u = f32(1 + fmaF32(f32(s * s), u, s));
  return f32(u * 2 ** q);
}
