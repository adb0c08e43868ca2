// PNDM with skip_prk_steps, i.e. PLMS (Liu et al. 2022, arXiv:2202.09778; SD1.5's shipped scheduler): a
// 4th-order Adams–Bashforth combination of the last ε predictions, fed to the PNDM transfer (eq. 9)
//   x_prev = √(ᾱ_prev/ᾱ_t)·x − (ᾱ_prev − ᾱ_t)·ε̃ / (ᾱ_t·√(1−ᾱ_prev) + √(ᾱ_t(1−ᾱ_t)ᾱ_prev)).
// The first step is taken twice (timesteps 951, 901, 901, …): the repeat is a Heun-style warm-up that averages
// the ε at both ends of the first interval, so 20 inference steps cost 21 model evaluations.
import { AlphaScheduler, type AlphaSchedulerConfig } from "./AlphaScheduler.js";
import { BASE_DEFAULTS, requireOneOf, resolveSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { assertSameShape, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { checkInferenceSteps, spacedTimesteps } from "./timesteps.js";

const f32 = Math.fround;

export interface PNDMConfig extends AlphaSchedulerConfig {
  skip_prk_steps: boolean;
}

/** diffusers 0.31 `PNDMScheduler.__init__` defaults. */
export const PNDM_DEFAULTS: PNDMConfig = {
  ...BASE_DEFAULTS,
  skip_prk_steps: false,
  set_alpha_to_one: false,
  timestep_spacing: "leading",
};

export class PNDMScheduler extends AlphaScheduler<PNDMConfig> {
  readonly className = "PNDMScheduler";
  /** ε predictions of the last steps, oldest first (at most 4 kept). */
  private ets: Float32Array[] = [];
  /** Steps taken since setTimesteps. */
  private counter = 0;
  /** The sample at the start of the first step, reused by the warm-up repeat. */
  private curSample: Float32Array | null = null;

  constructor(given: SchedulerConfigDict = {}) {
    const name = "PNDMScheduler";
    const config = resolveSchedulerConfig(name, PNDM_DEFAULTS, given);
    // The Runge–Kutta warm-up (skip_prk_steps false, diffusers' default) is not implemented; SD ships PLMS.
    requireOneOf(name, "skip_prk_steps", config.skip_prk_steps, [true]);
    super(config);
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    checkInferenceSteps(this.className, numInferenceSteps, c.num_train_timesteps);
    const ascending = spacedTimesteps(c.timestep_spacing, c.num_train_timesteps, numInferenceSteps, c.steps_offset, true).reverse();
    // […, t_{n−2}, t_{n−2}, t_{n−1}] reversed: the first (highest) interval is stepped twice.
    this.timesteps = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)].reverse();
    this.numInferenceSteps = numInferenceSteps;
    this.ets = [];
    this.counter = 0;
    this.curSample = null;
  }

  step(modelOutput: HostTensor, t: number, sample: HostTensor, _options: StepOptions = {}): StepResult {
    assertSameShape(this.className, "step model output/sample", modelOutput, sample);
    this.requireTimesteps();
    const stride = Math.floor(this.config.num_train_timesteps / this.numInferenceSteps!);
    let from = t;
    let to = t - stride;
    let x = sample.data;
    if (this.counter !== 1) {
      this.ets = [...this.ets.slice(-3), modelOutput.data];
    } else {
      // The warm-up repeat: step the first interval again, from the sample it started at.
      to = t;
      from = t + stride;
    }
    const e = this.ets;
    const n = e.length;
    // Adams–Bashforth combinations of orders 1–4, float32 in diffusers' operation order.
    let eps: Float32Array;
    if (n === 1 && this.counter === 0) {
      eps = modelOutput.data;
      this.curSample = sample.data;
    } else if (n === 1 && this.counter === 1) {
      eps = modelOutput.data.map((v, k) => f32(v + e[0]![k]!) / 2);
      x = this.curSample!;
      this.curSample = null;
    } else if (n === 2) {
      eps = e[1]!.map((v, k) => f32(f32(3 * v) - e[0]![k]!) / 2);
    } else if (n === 3) {
      eps = e[2]!.map((v, k) => f32(f32(f32(23 * v) - f32(16 * e[1]![k]!)) + f32(5 * e[0]![k]!)) / 12);
    } else {
      const c24 = f32(1 / 24);
      eps = e[3]!.map((v, k) => c24 * f32(f32(f32(f32(55 * v) - f32(59 * e[2]![k]!)) + f32(37 * e[1]![k]!)) - f32(9 * e[0]![k]!)));
    }
    const prev = this.prevSample(x, from, to, eps);
    this.counter++;
    return { prevSample: { shape: sample.shape, data: prev } };
  }

  /** PNDM eq. 9 from `from` to `to` (float32 scalars and elementwise ops in diffusers' order). */
  private prevSample(x: Float32Array, from: number, to: number, eps: Float32Array): Float32Array {
    const aT = this.alphaProd(from);
    const aPrev = this.alphaProd(to);
    const bT = f32(1 - aT);
    const bPrev = f32(1 - aPrev);
    const sampleCoeff = f32(Math.sqrt(f32(aPrev / aT)));
    const denom = f32(f32(aT * f32(Math.sqrt(bPrev))) + f32(Math.sqrt(f32(f32(aT * bT) * aPrev))));
    const diff = f32(aPrev - aT);
    return x.map((v, k) => f32(sampleCoeff * v) - f32(f32(diff * eps[k]!) / denom));
  }
}
