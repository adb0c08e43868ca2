// DDIM (Song et al. 2020, arXiv:2010.02502, eq. 12): from x̂₀ = (x − √(1−ᾱ_t)·ε)/√ᾱ_t,
//   x_prev = √ᾱ_prev·x̂₀ + √(1 − ᾱ_prev − σ_t²)·ε + σ_t·z,   σ_t = η·√((1−ᾱ_prev)/(1−ᾱ_t)·(1 − ᾱ_t/ᾱ_prev)).
// η = 0 is deterministic; η = 1 is DDPM-like ancestral sampling. prev = t − T/n (diffusers uses the stride, not
// the next listed timestep).
import { AlphaScheduler, type AlphaSchedulerConfig } from "./AlphaScheduler.js";
import { BASE_DEFAULTS, requireOneOf, resolveSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { assertSameShape, drawNoise, schedulerError, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { checkInferenceSteps, spacedTimesteps } from "./timesteps.js";

const f32 = Math.fround;

export interface DDIMConfig extends AlphaSchedulerConfig {
  clip_sample: boolean;
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  clip_sample_range: number;
  sample_max_value: number;
  rescale_betas_zero_snr: boolean;
}

/** diffusers 0.31 `DDIMScheduler.__init__` defaults. */
export const DDIM_DEFAULTS: DDIMConfig = {
  ...BASE_DEFAULTS,
  clip_sample: true,
  set_alpha_to_one: true,
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: "leading",
  rescale_betas_zero_snr: false,
};

export class DDIMScheduler extends AlphaScheduler<DDIMConfig> {
  readonly className = "DDIMScheduler";

  constructor(given: SchedulerConfigDict = {}) {
    const name = "DDIMScheduler";
    const config = resolveSchedulerConfig(name, DDIM_DEFAULTS, given);
    requireOneOf(name, "thresholding", config.thresholding, [false]);
    requireOneOf(name, "rescale_betas_zero_snr", config.rescale_betas_zero_snr, [false]);
    super(config);
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    checkInferenceSteps(this.className, numInferenceSteps, c.num_train_timesteps);
    this.timesteps = spacedTimesteps(c.timestep_spacing, c.num_train_timesteps, numInferenceSteps, c.steps_offset, true);
    this.numInferenceSteps = numInferenceSteps;
  }

  /** `options.eta` (default 0) > 0 draws noise from `options.noise` / `options.randn`. */
  step(modelOutput: HostTensor, t: number, sample: HostTensor, options: StepOptions = {}): StepResult {
    assertSameShape(this.className, "step model output/sample", modelOutput, sample);
    this.requireTimesteps();
    const c = this.config;
    const eta = options.eta ?? 0;
    if (!(eta >= 0)) throw schedulerError(this.className, `eta ${eta} must be ≥ 0`);
    const prevT = t - Math.floor(c.num_train_timesteps / this.numInferenceSteps!);
    const aT = this.alphaProd(this.trainIndex(t));
    const aPrev = this.alphaProd(prevT);
    const bT = f32(1 - aT);
    const bPrev = f32(1 - aPrev);
    const sqrtAT = f32(Math.sqrt(aT));
    const sqrtBT = f32(Math.sqrt(bT));
    const x = sample.data;
    let eps = modelOutput.data;

    let pred = x.map((v, k) => f32(v - f32(sqrtBT * eps[k]!)) / sqrtAT);
    if (c.clip_sample) {
      const r = c.clip_sample_range;
      pred = pred.map((v) => Math.min(r, Math.max(-r, v)));
    }
    const variance = f32(f32(bPrev / bT) * f32(1 - f32(aT / aPrev)));
    const std = f32(f32(eta) * f32(Math.sqrt(variance)));
    if (options.useClippedModelOutput) {
      eps = x.map((v, k) => f32(v - f32(sqrtAT * pred[k]!)) / sqrtBT);
    }
    const dirCoeff = f32(Math.sqrt(f32(bPrev - f32(std * std))));
    const sqrtAPrev = f32(Math.sqrt(aPrev));
    const prev = pred.map((p, k) => f32(sqrtAPrev * p) + f32(dirCoeff * eps[k]!));
    if (eta > 0) {
      const noise = drawNoise(this.className, options, sample.shape);
      for (let k = 0; k < prev.length; k++) prev[k] = prev[k]! + f32(std * noise[k]!);
    }
    return { prevSample: { shape: sample.shape, data: prev }, predOriginalSample: { shape: sample.shape, data: pred } };
  }
}
