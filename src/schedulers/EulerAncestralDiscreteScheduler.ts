// Euler ancestral (k-diffusion `sample_euler_ancestral`, A1111's "Euler a"): an Euler step down to σ_down, then
// fresh noise of size σ_up, where σ_up² + σ_down² = σ_next² and σ_up = σ_next·√(1 − σ_next²/σ²).
import { BASE_KINDS, checkBaseConfig, requireOneOf, resolveConfig, type BaseSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { assertSameShape, drawNoise, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { SigmaScheduler } from "./SigmaScheduler.js";
import { discreteSigmaSchedule } from "./sigmas.js";
import { checkInferenceSteps } from "./timesteps.js";

const f32 = Math.fround;

export interface EulerAncestralDiscreteConfig extends BaseSchedulerConfig {
  rescale_betas_zero_snr: boolean;
  /** Not in diffusers 0.31's class (later versions added it): Karras σ spacing as in EulerDiscreteScheduler. */
  use_karras_sigmas: boolean;
}

/** diffusers 0.31 `EulerAncestralDiscreteScheduler.__init__` defaults (+ use_karras_sigmas, off). */
export const EULER_ANCESTRAL_DISCRETE_DEFAULTS: EulerAncestralDiscreteConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  prediction_type: "epsilon",
  timestep_spacing: "linspace",
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  use_karras_sigmas: false,
};

export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly className = "EulerAncestralDiscreteScheduler";
  readonly config: EulerAncestralDiscreteConfig;

  constructor(given: SchedulerConfigDict = {}) {
    const name = "EulerAncestralDiscreteScheduler";
    const config = resolveConfig(name, EULER_ANCESTRAL_DISCRETE_DEFAULTS, given, BASE_KINDS);
    checkBaseConfig(name, config);
    requireOneOf(name, "rescale_betas_zero_snr", config.rescale_betas_zero_snr, [false]);
    super(config);
    this.config = config;
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    checkInferenceSteps(this.className, numInferenceSteps, c.num_train_timesteps);
    const { timesteps, sigmas } = discreteSigmaSchedule(this.sigmaTable, {
      spacing: c.timestep_spacing,
      numTrainTimesteps: c.num_train_timesteps,
      numInferenceSteps,
      stepsOffset: c.steps_offset,
      karras: c.use_karras_sigmas,
      sigmaMin: null,
      sigmaMax: null,
      finalSigma: 0,
    });
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = numInferenceSteps;
    this.resetStepState();
  }

  /** Draws noise on every step, the last included (σ_up = 0 there), so a seeded generator stays in step with torch. */
  step(modelOutput: HostTensor, t: number, sample: HostTensor, options: StepOptions = {}): StepResult {
    assertSameShape(this.className, "step model output/sample", modelOutput, sample);
    const i = this.beginStep(t);
    const sigmas = this.requireSigmas();
    const sigma = sigmas[i]!;
    const next = sigmas[i + 1]!;
    // float32, in diffusers' order: σ_up = √(σ_next²·(σ² − σ_next²)/σ²), σ_down = √(σ_next² − σ_up²).
    const sigmaUp = f32(Math.sqrt(f32(f32(f32(next * next) * f32(f32(sigma * sigma) - f32(next * next))) / f32(sigma * sigma))));
    const sigmaDown = f32(Math.sqrt(f32(f32(next * next) - f32(sigmaUp * sigmaUp))));
    const dt = f32(sigmaDown - sigma);
    const x = sample.data;
    const eps = modelOutput.data;
    const pred = x.map((v, k) => v - f32(sigma * eps[k]!));
    const prev = x.map((v, k) => v + f32(f32(f32(v - pred[k]!) / sigma) * dt));
    const noise = drawNoise(this.className, options, sample.shape);
    for (let k = 0; k < prev.length; k++) prev[k] = prev[k]! + f32(noise[k]! * sigmaUp);
    this.stepIndex = i + 1;
    return { prevSample: { shape: sample.shape, data: prev }, predOriginalSample: { shape: sample.shape, data: pred } };
  }
}
