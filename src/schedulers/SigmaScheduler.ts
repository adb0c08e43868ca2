// What the σ-parameterised schedulers (Euler, Euler ancestral, LMS, DPM-Solver multistep) share in diffusers
// (there as copied methods): the ᾱ and σ tables, the step-index bookkeeping that lets a schedule repeat a
// timestep, and the k-diffusion input scaling c_in = 1/√(σ²+1) with x_σ = x₀ + σ·ε for add_noise. Also the
// pieces Euler, Euler ancestral and LMS have in common: their σ schedule and the ε → (x̂₀, d) conversion.
import { alphasCumprodFor } from "./betas.js";
import type { BaseSchedulerConfig } from "./SchedulerConfig.js";
import { addNoiseRows, assertSameShape, schedulerError, type HostTensor, type Scheduler, type StepOptions, type StepResult } from "./Scheduler.js";
import { discreteSigmaSchedule, sigmasFromAlphasCumprod, type DiscreteSigmaScheduleOptions } from "./sigmas.js";
import { checkInferenceSteps } from "./timesteps.js";

const f32 = Math.fround;

/**
 * The k-diffusion denoiser of an ε-predicting model at noise level σ: x̂₀ = x − σ·ε and the ODE derivative
 * d = (x − x̂₀)/σ, float32 in diffusers' order (x̂₀ first, then d; not the algebraic d = ε).
 */
export function denoiseEpsilon(x: Float32Array, eps: Float32Array, sigma: number): { pred: Float32Array; derivative: Float32Array } {
  const pred = x.map((v, k) => v - f32(sigma * eps[k]!));
  const derivative = x.map((v, k) => f32(v - pred[k]!) / sigma);
  return { pred, derivative };
}

/** An Euler step x + d·dt (float32). */
export function eulerUpdate(x: Float32Array, derivative: Float32Array, dt: number): Float32Array {
  return x.map((v, k) => v + f32(derivative[k]! * dt));
}

export abstract class SigmaScheduler<C extends BaseSchedulerConfig> implements Scheduler {
  abstract readonly className: string;
  readonly order = 1;
  readonly alphasCumprod: Float32Array;
  /** σ_t for every training timestep (float32), ascending in t. */
  protected readonly sigmaTable: Float32Array;
  timesteps: readonly number[] = [];
  sigmas: Float32Array | null = null;
  numInferenceSteps: number | null = null;
  /** Index into `timesteps` of the next `step` (diffusers `_step_index`), null until the first call. */
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;

  /** `config` is the fully resolved, checked class config (`resolveSchedulerConfig`). */
  protected constructor(readonly config: C) {
    this.alphasCumprod = alphasCumprodFor(config);
    this.sigmaTable = sigmasFromAlphasCumprod(this.alphasCumprod);
  }

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract step(modelOutput: HostTensor, t: number, sample: HostTensor, options?: StepOptions): StepResult;

  /** σ of the first step: max σ for "linspace"/"trailing", √(σ_max²+1) for "leading" (float32). */
  get initNoiseSigma(): number {
    // Before setTimesteps diffusers' σ list is the whole training table, whose maximum is the same σ_{T−1}.
    const max = (this.sigmas ?? this.sigmaTable).reduce((m, s) => Math.max(m, s), 0);
    if (this.config.timestep_spacing === "leading") return f32(Math.sqrt(f32(f32(max * max) + 1)));
    return max;
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** The step index for timestep `t`: its position in the schedule, the second one when it appears twice. */
  protected indexForTimestep(t: number): number {
    const hits: number[] = [];
    this.timesteps.forEach((s, i) => {
      if (s === f32(t)) hits.push(i);
    });
    if (hits.length === 0) throw schedulerError(this.className, `timestep ${t} is not in the schedule [${this.timesteps.join(", ")}]`);
    return hits.length > 1 ? hits[1]! : hits[0]!;
  }

  /** The index the next step uses, without changing state (diffusers' `_init_step_index` when unset). */
  protected currentIndex(t: number): number {
    this.requireSigmas();
    return this.stepIndex ?? this.beginIndex ?? this.indexForTimestep(t);
  }

  /** Starts `step`: checks the shapes, settles the step index i (σ_i → σ_{i+1}) and returns it with the σ list. */
  protected beginStep(modelOutput: HostTensor, t: number, sample: HostTensor): { i: number; sigmas: Float32Array } {
    assertSameShape(this.className, "step model output/sample", modelOutput, sample);
    this.stepIndex = this.currentIndex(t);
    const sigmas = this.requireSigmas();
    if (this.stepIndex + 1 >= sigmas.length) {
      throw schedulerError(this.className, `step ${this.stepIndex} is past the end of the ${this.timesteps.length}-step schedule; call setTimesteps again`);
    }
    return { i: this.stepIndex, sigmas };
  }

  /** Ends step i: the next step is i + 1; x̂₀ is returned when the diffusers class returns it. */
  protected endStep(i: number, sample: HostTensor, prev: Float32Array, pred?: Float32Array): StepResult {
    this.stepIndex = i + 1;
    const prevSample = { shape: sample.shape, data: prev };
    return pred === undefined ? { prevSample } : { prevSample, predOriginalSample: { shape: sample.shape, data: pred } };
  }

  /** Installs a schedule (n timesteps, n + 1 sigmas) and forgets the step position. */
  protected installSchedule(timesteps: number[], sigmas: Float32Array, numInferenceSteps: number): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = numInferenceSteps;
    this.resetStepState();
  }

  /** `setTimesteps` of Euler, Euler ancestral and LMS: `discreteSigmaSchedule` under the config's spacing. */
  protected setDiscreteSigmaSchedule(
    numInferenceSteps: number,
    o: Pick<DiscreteSigmaScheduleOptions, "karras"> & Partial<Pick<DiscreteSigmaScheduleOptions, "sigmaMin" | "sigmaMax" | "finalSigma">>,
  ): void {
    const c = this.config;
    checkInferenceSteps(this.className, numInferenceSteps, c.num_train_timesteps);
    const { timesteps, sigmas } = discreteSigmaSchedule(this.sigmaTable, {
      spacing: c.timestep_spacing,
      numTrainTimesteps: c.num_train_timesteps,
      numInferenceSteps,
      stepsOffset: c.steps_offset,
      karras: o.karras,
      sigmaMin: o.sigmaMin ?? null,
      sigmaMax: o.sigmaMax ?? null,
      finalSigma: o.finalSigma ?? 0,
    });
    this.installSchedule(timesteps, sigmas, numInferenceSteps);
  }

  protected requireSigmas(): Float32Array {
    if (!this.sigmas) throw schedulerError(this.className, "call setTimesteps(n) before using the schedule");
    return this.sigmas;
  }

  protected resetStepState(): void {
    this.stepIndex = null;
    this.beginIndex = null;
  }

  inputScale(t: number): number {
    const sigma = this.requireSigmas()[this.currentIndex(t)]!;
    return 1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
  }

  /** x / √(σ²+1), the float32 division diffusers performs. */
  scaleModelInput(sample: HostTensor, t: number): HostTensor {
    this.stepIndex = this.currentIndex(t);
    const sigma = this.requireSigmas()[this.stepIndex]!;
    const denom = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
    return { shape: sample.shape, data: sample.data.map((x) => x / denom) };
  }

  /** The σ add_noise uses for batch row timestep `t` (diffusers' choice of step index for img2img). */
  protected noiseSigma(t: number): number {
    const sigmas = this.requireSigmas();
    if (this.beginIndex === null) return sigmas[this.indexForTimestep(t)]!;
    return sigmas[this.stepIndex ?? this.beginIndex]!;
  }

  /** (a, b) of add_noise's a·x₀ + b·ε for a row at timestep `t`: x₀ + σ·ε here. */
  protected noiseCoefficients(t: number): readonly [number, number] {
    return [1, this.noiseSigma(t)];
  }

  addNoise(original: HostTensor, noise: HostTensor, t: number | readonly number[]): HostTensor {
    return addNoiseRows(this.className, original, noise, t, (ti) => this.noiseCoefficients(ti));
  }
}
