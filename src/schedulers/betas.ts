// The training noise schedule: β_t and ᾱ_t = ∏(1 − β_s), in float32 exactly as diffusers builds them with torch
// on the CPU. The fixture's `alphas_cumprod` is reproduced bit for bit.
import type { BaseSchedulerConfig } from "./SchedulerConfig.js";

const f32 = Math.fround;

/**
 * `torch.linspace(start, end, n, dtype=float32)` as PyTorch's vectorised CPU kernel produces it: the range is
 * filled in blocks of 8 lanes (first half counted up from `start`, second half down from `end`); a block's base
 * is `start + step·i₀` rounded once (fused multiply-add), its lanes `base + k·step`. A plain `start + i·step`
 * differs in the last bit for some elements, which shifts ᾱ by an ulp; this form matches torch exactly.
 */
export function torchLinspaceF32(start: number, end: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (n - 1));
  const halfway = Math.floor(n / 2);
  const lanes = 8;
  const vectorised = Math.floor(n / (2 * lanes)) * 2 * lanes; // torch unrolls two vectors per iteration
  for (let i = 0; i < n; i++) {
    if (i < vectorised) {
      const i0 = i - (i % lanes);
      const base = i0 < halfway ? f32(s + step * i0) : f32(e - step * (n - i0 - 1));
      out[i] = f32(base + f32((i - i0) * step));
    } else {
      out[i] = i < halfway ? f32(s + step * i) : f32(e - step * (n - i - 1));
    }
  }
  return out;
}

/** β_t, t = 0 … num_train_timesteps−1 (float32). */
export function betasFor(config: BaseSchedulerConfig): Float32Array {
  if (config.trained_betas !== null) return Float32Array.from(config.trained_betas);
  const n = config.num_train_timesteps;
  switch (config.beta_schedule) {
    case "linear":
      return torchLinspaceF32(config.beta_start, config.beta_end, n);
    case "scaled_linear": {
      // Latent diffusion's schedule: linear in √β, squared (float32, as torch's `** 2`).
      const roots = torchLinspaceF32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n);
      return roots.map((r) => f32(r * r));
    }
    default:
      throw new Error(`beta_schedule "${config.beta_schedule}" is not supported (supported: "scaled_linear", "linear")`);
  }
}

/**
 * ᾱ_t = cumprod(1 − β) of float32 alphas. torch's CPU cumprod accumulates in double and rounds each output to
 * float32 (a float32 running product drifts by several ulps over 1000 steps).
 */
export function alphasCumprodFrom(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let acc = 1;
  for (let t = 0; t < betas.length; t++) {
    acc *= f32(1 - betas[t]!);
    out[t] = acc;
  }
  return out;
}

/** ᾱ for a scheduler config: the table every scheduler here indexes. */
export function alphasCumprodFor(config: BaseSchedulerConfig): Float32Array {
  return alphasCumprodFrom(betasFor(config));
}
