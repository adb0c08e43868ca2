// Euler (Karras et al. 2022, Algorithm 2; k-diffusion `sample_euler`) on the discrete σ schedule:
//   x̂₀ = x − σ̂·ε,  d = (x − x̂₀)/σ̂,  x ← x + d·(σ_next − σ̂),   σ̂ = σ·(1+γ) (γ = 0 unless s_churn > 0).
import { BASE_KINDS, checkBaseConfig, requireOneOf, resolveConfig, type BaseSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { assertSameShape, drawNoise, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { SigmaScheduler } from "./SigmaScheduler.js";
import { discreteSigmaSchedule } from "./sigmas.js";
import { checkInferenceSteps } from "./timesteps.js";

const f32 = Math.fround;

export interface EulerDiscreteConfig extends BaseSchedulerConfig {
  interpolation_type: string;
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
  sigma_min: number | null;
  sigma_max: number | null;
  timestep_type: string;
  rescale_betas_zero_snr: boolean;
  final_sigmas_type: string;
}

/** diffusers 0.31 `EulerDiscreteScheduler.__init__` defaults. */
export const EULER_DISCRETE_DEFAULTS: EulerDiscreteConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  prediction_type: "epsilon",
  interpolation_type: "linear",
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  timestep_spacing: "linspace",
  timestep_type: "discrete",
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  final_sigmas_type: "zero",
};

export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly className = "EulerDiscreteScheduler";
  readonly config: EulerDiscreteConfig;

  constructor(given: SchedulerConfigDict = {}) {
    const config = resolveConfig("EulerDiscreteScheduler", EULER_DISCRETE_DEFAULTS, given, {
      ...BASE_KINDS,
      sigma_min: "number|null",
      sigma_max: "number|null",
    });
    const name = "EulerDiscreteScheduler";
    checkBaseConfig(name, config);
    requireOneOf(name, "interpolation_type", config.interpolation_type, ["linear"]);
    requireOneOf(name, "use_exponential_sigmas", config.use_exponential_sigmas, [false]);
    requireOneOf(name, "use_beta_sigmas", config.use_beta_sigmas, [false]);
    requireOneOf(name, "rescale_betas_zero_snr", config.rescale_betas_zero_snr, [false]);
    requireOneOf(name, "final_sigmas_type", config.final_sigmas_type, ["zero", "sigma_min"]);
    // "continuous" changes only the v-prediction timesteps, which are rejected above.
    requireOneOf(name, "timestep_type", config.timestep_type, ["discrete", "continuous"]);
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
      sigmaMin: c.sigma_min,
      sigmaMax: c.sigma_max,
      finalSigma: c.final_sigmas_type === "zero" ? 0 : this.sigmaTable[0]!,
    });
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = numInferenceSteps;
    this.resetStepState();
  }

  step(modelOutput: HostTensor, t: number, sample: HostTensor, options: StepOptions = {}): StepResult {
    assertSameShape(this.className, "step model output/sample", modelOutput, sample);
    const i = this.beginStep(t);
    const sigmas = this.requireSigmas();
    const sigma = sigmas[i]!;
    const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = options;
    const gamma = sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / (sigmas.length - 1), Math.SQRT2 - 1) : 0;
    const sigmaHat = f32(sigma * f32(gamma + 1));
    let x = sample.data;
    if (gamma > 0) {
      // Churn: raise the noise level from σ to σ̂ with fresh noise.
      const noise = drawNoise(this.className, options, sample.shape);
      const extra = f32(Math.sqrt(f32(f32(sigmaHat * sigmaHat) - f32(sigma * sigma))));
      x = x.map((v, k) => v + f32(f32(noise[k]! * sNoise) * extra));
    }
    const eps = modelOutput.data;
    const dt = f32(sigmas[i + 1]! - sigmaHat);
    // diffusers' float32 order: x̂₀ first, then d = (x − x̂₀)/σ̂, then x + d·dt (not the algebraic x + ε·dt).
    const pred = x.map((v, k) => v - f32(sigmaHat * eps[k]!));
    const prev = x.map((v, k) => v + f32(f32(f32(v - pred[k]!) / sigmaHat) * dt));
    this.stepIndex = i + 1;
    return { prevSample: { shape: sample.shape, data: prev }, predOriginalSample: { shape: sample.shape, data: pred } };
  }
}
