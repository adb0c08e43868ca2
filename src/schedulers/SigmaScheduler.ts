// What the σ-parameterised schedulers (Euler, Euler ancestral, LMS, DPM-Solver multistep) share in diffusers
// (there as copied methods): the ᾱ and σ tables, the step-index bookkeeping that lets a schedule repeat a
// timestep, and the k-diffusion input scaling c_in = 1/√(σ²+1) with x_σ = x₀ + σ·ε for add_noise.
import { alphasCumprodFor } from "./betas.js";
import type { BaseSchedulerConfig } from "./SchedulerConfig.js";
import { assertSameShape, perBatch, schedulerError, type HostTensor, type Scheduler, type StepOptions, type StepResult } from "./Scheduler.js";
import { sigmasFromAlphasCumprod } from "./sigmas.js";

const f32 = Math.fround;

export abstract class SigmaScheduler implements Scheduler {
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

  protected constructor(readonly baseConfig: BaseSchedulerConfig) {
    this.alphasCumprod = alphasCumprodFor(baseConfig);
    this.sigmaTable = sigmasFromAlphasCumprod(this.alphasCumprod);
  }

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract step(modelOutput: HostTensor, t: number, sample: HostTensor, options?: StepOptions): StepResult;

  /** σ of the first step: max σ for "linspace"/"trailing", √(σ_max²+1) for "leading" (float32). */
  get initNoiseSigma(): number {
    // Before setTimesteps diffusers' σ list is the whole training table, whose maximum is the same σ_{T−1}.
    const max = (this.sigmas ?? this.sigmaTable).reduce((m, s) => Math.max(m, s), 0);
    if (this.baseConfig.timestep_spacing === "leading") return f32(Math.sqrt(f32(f32(max * max) + 1)));
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

  protected beginStep(t: number): number {
    this.stepIndex = this.currentIndex(t);
    if (this.stepIndex + 1 >= this.requireSigmas().length) {
      throw schedulerError(this.className, `step ${this.stepIndex} is past the end of the ${this.timesteps.length}-step schedule; call setTimesteps again`);
    }
    return this.stepIndex;
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

  /** x₀ + σ·ε per batch row (float32). */
  addNoise(original: HostTensor, noise: HostTensor, t: number | readonly number[]): HostTensor {
    assertSameShape(this.className, "addNoise original/noise", original, noise);
    const batch = original.shape[0] ?? 1;
    const rowSize = original.data.length / batch;
    const ts = perBatch(this.className, t, batch);
    const out = new Float32Array(original.data.length);
    for (let b = 0; b < batch; b++) {
      const sigma = this.noiseSigma(ts[b]!);
      for (let i = b * rowSize; i < (b + 1) * rowSize; i++) out[i] = original.data[i]! + f32(noise.data[i]! * sigma);
    }
    return { shape: original.shape, data: out };
  }
}
