// σ schedules of the k-diffusion view of SD (x_σ = x₀ + σ·ε, σ_t = √((1−ᾱ_t)/ᾱ_t)): the training σ table,
// numpy's interpolation onto inference timesteps, Karras et al.'s ρ = 7 schedule and its σ → t inverse.
// diffusers computes the table in float32 torch and the rest in float64 numpy; so do we.
import { spacedTimesteps } from "./timesteps.js";

const f32 = Math.fround;

/** σ_t for every training timestep: float32 `((1 − ᾱ) / ᾱ) ** 0.5`, as torch evaluates it. */
export function sigmasFromAlphasCumprod(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/**
 * `np.log` of the float32 σ table (a float32 result, as numpy keeps the dtype). numpy's float32 log is a
 * platform SIMD routine that is not always correctly rounded; this rounds the float64 log, so Karras timesteps of Euler/LMS (fractional)
 * can differ from a given numpy build in the last float32 bit (DPM-Solver rounds them to integers).
 */
export function logSigmas(sigmaTable: Float32Array): Float32Array {
  return sigmaTable.map((s) => f32(Math.log(s)));
}

/** `np.interp(x, arange(len(table)), table)` in float64: linear between integer timesteps, clamped at the ends. */
export function interpSigma(x: number, table: Float32Array): number {
  const last = table.length - 1;
  if (x <= 0) return table[0]!;
  if (x >= last) return table[last]!;
  const j = Math.floor(x);
  if (j === x) return table[j]!;
  const slope = table[j + 1]! - table[j]!;
  return slope * (x - j) + table[j]!;
}

/**
 * Karras et al. (2022, eq. 5) noise levels: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, ρ = 7,
 * from σ_max down to σ_min (float64, as diffusers' `_convert_to_karras`).
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  const ramp = n === 1 ? [0] : Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : i * (1 / (n - 1))));
  return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/**
 * The (fractional) training timestep whose σ is `sigma`: linear interpolation in log σ between the two table
 * entries around it (diffusers' `_sigma_to_t`). `logTable` is ascending in t. The weight is float32 arithmetic:
 * under numpy 1.x (PyTorch 1.13's, which made the fixtures) a float32 array minus a float64 scalar stays float32.
 */
export function sigmaToT(sigma: number, logTable: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // low = the last index whose log σ is ≤ log_sigma (0 when none is), kept below the last index.
  let low = 0;
  for (let i = 0; i < logTable.length; i++) if (logSigma - logTable[i]! >= 0) low = i;
  low = Math.min(low, logTable.length - 2);
  const lo = logTable[low]!;
  const hi = logTable[low + 1]!;
  const w = Math.min(1, Math.max(0, f32(f32(lo - f32(logSigma)) / f32(lo - hi))));
  return f32(1 - w) * low + w * (low + 1);
}

export interface DiscreteSigmaScheduleOptions {
  readonly spacing: string;
  readonly numTrainTimesteps: number;
  readonly numInferenceSteps: number;
  readonly stepsOffset: number;
  readonly karras: boolean;
  /** Karras end points; null = the interpolated schedule's own last / first σ. */
  readonly sigmaMin: number | null;
  readonly sigmaMax: number | null;
  /** Appended after the last step: 0 (denoise fully) or σ_min. */
  readonly finalSigma: number;
}

/**
 * `set_timesteps` of Euler, Euler ancestral and LMS: float32 timesteps by the configured spacing, σ interpolated
 * at them; with Karras sigmas the σ values are respaced (ρ = 7) and the timesteps become each σ's fractional
 * training timestep. Returns n timesteps and n + 1 sigmas.
 */
export function discreteSigmaSchedule(table: Float32Array, o: DiscreteSigmaScheduleOptions): { timesteps: number[]; sigmas: Float32Array } {
  let timesteps = spacedTimesteps(o.spacing, o.numTrainTimesteps, o.numInferenceSteps, o.stepsOffset, false).map(f32);
  let sigmas = timesteps.map((t) => interpSigma(t, table));
  if (o.karras) {
    const logTable = logSigmas(table);
    sigmas = karrasSigmas(o.sigmaMin ?? sigmas[sigmas.length - 1]!, o.sigmaMax ?? sigmas[0]!, o.numInferenceSteps);
    timesteps = sigmas.map((s) => sigmaToT(s, logTable));
  }
  return { timesteps: timesteps.map(f32), sigmas: Float32Array.from([...sigmas, o.finalSigma]) };
}
