// What the ᾱ-indexed (DDPM-family) schedulers PNDM and DDIM share: integer timesteps that index ᾱ directly,
// an unscaled UNet input (init σ = 1), the final ᾱ used past t = 0, and the forward process
// x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε for add_noise.
import { alphasCumprodFor } from "./betas.js";
import type { BaseSchedulerConfig } from "./SchedulerConfig.js";
import { addNoiseRows, schedulerError, type HostTensor, type Scheduler, type StepOptions, type StepResult } from "./Scheduler.js";

const f32 = Math.fround;

/** The fields PNDM's and DDIM's configs share. */
export interface AlphaSchedulerConfig extends BaseSchedulerConfig {
  set_alpha_to_one: boolean;
}

export abstract class AlphaScheduler<C extends AlphaSchedulerConfig> implements Scheduler {
  abstract readonly className: string;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly sigmas = null;
  readonly alphasCumprod: Float32Array;
  /** ᾱ "before" t = 0: 1 with set_alpha_to_one, else ᾱ_0 (SD1.5, so the last step lands on ᾱ_0). */
  protected readonly finalAlphaCumprod: number;
  timesteps: readonly number[] = [];
  numInferenceSteps: number | null = null;

  /** `config` is the fully resolved, checked class config (`resolveSchedulerConfig`). */
  protected constructor(readonly config: C) {
    this.alphasCumprod = alphasCumprodFor(config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0]!;
  }

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract step(modelOutput: HostTensor, t: number, sample: HostTensor, options?: StepOptions): StepResult;

  /** PNDM and DDIM start wherever the caller's first timestep is; nothing to record. */
  setBeginIndex(_beginIndex: number): void {}

  inputScale(_t: number): number {
    return 1;
  }

  scaleModelInput(sample: HostTensor, _t: number): HostTensor {
    return sample;
  }

  /** ᾱ_t for an integer training timestep, or the final ᾱ for t < 0. */
  protected alphaProd(t: number): number {
    if (t < 0) return this.finalAlphaCumprod;
    return this.alphasCumprod[this.trainIndex(t)]!;
  }

  protected trainIndex(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.alphasCumprod.length) {
      throw schedulerError(this.className, `timestep ${t} must be an integer training timestep in 0…${this.alphasCumprod.length - 1}`);
    }
    return t;
  }

  protected requireTimesteps(): void {
    if (this.numInferenceSteps === null) throw schedulerError(this.className, "call setTimesteps(n) before step");
  }

  /** √ᾱ_t·x₀ + √(1−ᾱ_t)·ε per batch row, float32 as diffusers' `add_noise`. */
  addNoise(original: HostTensor, noise: HostTensor, t: number | readonly number[]): HostTensor {
    return addNoiseRows(this.className, original, noise, t, (ti) => {
      const a = this.alphasCumprod[this.trainIndex(ti)]!;
      return [f32(Math.sqrt(a)), f32(Math.sqrt(f32(1 - a)))];
    });
  }
}
