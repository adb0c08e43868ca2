// Euler ancestral (k-diffusion `sample_euler_ancestral`, A1111's "Euler a"): an Euler step down to σ_down, then
// fresh noise of size σ_up, where σ_up² + σ_down² = σ_next² and σ_up = σ_next·√(1 − σ_next²/σ²).
import { BASE_DEFAULTS, requireOneOf, resolveSchedulerConfig, type BaseSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { drawNoise, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { denoiseEpsilon, eulerUpdate, SigmaScheduler } from "./SigmaScheduler.js";

const f32 = Math.fround;

export interface EulerAncestralDiscreteConfig extends BaseSchedulerConfig {
  rescale_betas_zero_snr: boolean;
  /** Not in diffusers 0.31's class (later versions added it): Karras σ spacing as in EulerDiscreteScheduler. */
  use_karras_sigmas: boolean;
}

/** diffusers 0.31 `EulerAncestralDiscreteScheduler.__init__` defaults (+ use_karras_sigmas, off). */
export const EULER_ANCESTRAL_DISCRETE_DEFAULTS: EulerAncestralDiscreteConfig = {
  ...BASE_DEFAULTS,
  timestep_spacing: "linspace",
  rescale_betas_zero_snr: false,
  use_karras_sigmas: false,
};

export class EulerAncestralDiscreteScheduler extends SigmaScheduler<EulerAncestralDiscreteConfig> {
  readonly className = "EulerAncestralDiscreteScheduler";

  constructor(given: SchedulerConfigDict = {}) {
    const name = "EulerAncestralDiscreteScheduler";
    const config = resolveSchedulerConfig(name, EULER_ANCESTRAL_DISCRETE_DEFAULTS, given);
    requireOneOf(name, "rescale_betas_zero_snr", config.rescale_betas_zero_snr, [false]);
    super(config);
  }

  setTimesteps(numInferenceSteps: number): void {
    this.setDiscreteSigmaSchedule(numInferenceSteps, { karras: this.config.use_karras_sigmas });
  }

  /** Draws noise on every step, the last included (σ_up = 0 there), so a seeded generator stays in step with torch. */
  step(modelOutput: HostTensor, t: number, sample: HostTensor, options: StepOptions = {}): StepResult {
    const { i, sigmas } = this.beginStep(modelOutput, t, sample);
    const sigma = sigmas[i]!;
    const next = sigmas[i + 1]!;
    // float32, in diffusers' order: σ_up = √(σ_next²·(σ² − σ_next²)/σ²), σ_down = √(σ_next² − σ_up²).
    const sigmaUp = f32(Math.sqrt(f32(f32(f32(next * next) * f32(f32(sigma * sigma) - f32(next * next))) / f32(sigma * sigma))));
    const sigmaDown = f32(Math.sqrt(f32(f32(next * next) - f32(sigmaUp * sigmaUp))));
    const { pred, derivative } = denoiseEpsilon(sample.data, modelOutput.data, sigma);
    const prev = eulerUpdate(sample.data, derivative, f32(sigmaDown - sigma));
    const noise = drawNoise(this.className, options, sample.shape);
    for (let k = 0; k < prev.length; k++) prev[k] = prev[k]! + f32(noise[k]! * sigmaUp);
    return this.endStep(i, sample, prev, pred);
  }
}
