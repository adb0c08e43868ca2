// The scheduler API every class here implements: diffusers' SchedulerMixin surface (set_timesteps, timesteps,
// init_noise_sigma, scale_model_input, step, add_noise, order) over host Float32Arrays. Latents are small
// ([B, 4, H/8, W/8]), so the schedulers never touch a backend.

/** A host tensor: row-major float32 data with its (NCHW) shape. `CaseTensor` has the same structure. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Gaussian noise source, e.g. `(shape) => new TorchGenerator(seed).randn(shape)` for PyTorch-exact draws. */
export type RandnFn = (shape: number[]) => Float32Array;

/**
 * Options of `step`. Only the fields a scheduler uses are read; the others are ignored, as the SD pipeline passes
 * `eta` / `generator` only to schedulers whose `step` accepts them.
 */
export interface StepOptions {
  /** The tensor diffusers would draw with `randn_tensor` inside this step (same numel as the sample). */
  readonly noise?: Float32Array;
  /** Called with the sample shape where diffusers draws noise; ignored when `noise` is given. */
  readonly randn?: RandnFn;
  /** DDIM: η of the DDIM paper (0 = deterministic). η > 0 draws noise. */
  readonly eta?: number;
  /** DDIM: re-derive ε from the clipped x₀ (diffusers `use_clipped_model_output`). */
  readonly useClippedModelOutput?: boolean;
  /** Euler: k-diffusion churn parameters (`s_churn` > 0 draws noise while s_tmin ≤ σ ≤ s_tmax). */
  readonly sChurn?: number;
  readonly sTmin?: number;
  readonly sTmax?: number;
  readonly sNoise?: number;
  /** LMS: the multistep order (diffusers' `step(..., order=4)`). */
  readonly order?: number;
}

export interface StepResult {
  /** x_{t-1}: the next sample (diffusers `prev_sample`). */
  readonly prevSample: HostTensor;
  /** x̂₀ when the diffusers class returns it (DDIM, Euler, Euler ancestral, LMS). */
  readonly predOriginalSample?: HostTensor;
}

export interface Scheduler {
  /** The diffusers class name, e.g. "EulerDiscreteScheduler". */
  readonly className: string;
  /** diffusers' `order` class attribute (model evaluations per step; 1 for every class here). */
  readonly order: number;
  /** ᾱ_t for t = 0 … num_train_timesteps−1, float32 as diffusers computes it. */
  readonly alphasCumprod: Float32Array;
  /** The timesteps of the current schedule (float32 values; integers for PNDM, DDIM, DPM-Solver). */
  readonly timesteps: readonly number[];
  /** σ schedule of σ-based schedulers: timesteps.length + 1 entries (the last is the final σ, usually 0). */
  readonly sigmas: Float32Array | null;
  /** Standard deviation of the initial latent noise (multiply `randn` latents by it). */
  readonly initNoiseSigma: number;
  /** The number given to the last `setTimesteps`, or null before it. */
  readonly numInferenceSteps: number | null;

  /** Build the schedule for `numInferenceSteps` denoising steps and reset the step state. */
  setTimesteps(numInferenceSteps: number): void;
  /** img2img: the index in `timesteps` where denoising starts (diffusers `set_begin_index`). */
  setBeginIndex(beginIndex: number): void;
  /** The UNet input for timestep `t`: the sample times `inputScale(t)`. */
  scaleModelInput(sample: HostTensor, t: number): HostTensor;
  /** The factor `scaleModelInput` applies at `t`: 1/√(σ²+1) for Euler, Euler ancestral and LMS, else 1. */
  inputScale(t: number): number;
  /** One denoising step from `sample` at timestep `t` given the model's ε prediction. */
  step(modelOutput: HostTensor, t: number, sample: HostTensor, options?: StepOptions): StepResult;
  /** Forward-noise `original` to timestep `t` (one value, or one per batch element) — img2img's start latent. */
  addNoise(original: HostTensor, noise: HostTensor, t: number | readonly number[]): HostTensor;
}

/** Error for a call that does not fit the scheduler's state or inputs, naming the class. */
export function schedulerError(className: string, message: string): Error {
  return new Error(`${className}: ${message}`);
}

/** Checks that `b` has the shape of `a`; `what` names the tensors in the error. */
export function assertSameShape(className: string, what: string, a: HostTensor, b: HostTensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]) || a.data.length !== b.data.length) {
    throw schedulerError(className, `${what}: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
  }
}

/**
 * The noise a stochastic step uses where diffusers calls `randn_tensor(sample.shape)`: `options.noise` when
 * given, else one `options.randn(shape)` call (so a seeded generator advances exactly as torch's does).
 */
export function drawNoise(className: string, options: StepOptions, shape: readonly number[]): Float32Array {
  const numel = shape.reduce((a, b) => a * b, 1);
  let noise: Float32Array;
  if (options.noise) {
    noise = options.noise;
  } else if (options.randn) {
    noise = options.randn([...shape]);
  } else {
    throw schedulerError(className, "this step draws Gaussian noise: pass options.noise (a Float32Array) or options.randn");
  }
  if (noise.length !== numel) {
    throw schedulerError(className, `noise has ${noise.length} elements, expected ${numel} (sample shape [${shape.join(", ")}])`);
  }
  return noise;
}

/** Per-batch-element values of a timestep argument: one number broadcasts to every batch row. */
function perBatch(className: string, t: number | readonly number[], batch: number): number[] {
  if (typeof t === "number") return new Array<number>(batch).fill(t);
  if (t.length !== batch) throw schedulerError(className, `addNoise got ${t.length} timesteps for a batch of ${batch}`);
  return [...t];
}

/**
 * diffusers' `add_noise` for every class here: a·x₀ + b·ε per batch row, float32 products summed in float32,
 * with (a, b) = `coefficients(t)` of that row's timestep — (√ᾱ_t, √(1−ᾱ_t)) for PNDM and DDIM, (1, σ) for
 * Euler, Euler ancestral and LMS, (α_t, σ_t) for DPM-Solver.
 */
export function addNoiseRows(
  className: string,
  original: HostTensor,
  noise: HostTensor,
  t: number | readonly number[],
  coefficients: (t: number) => readonly [number, number],
): HostTensor {
  assertSameShape(className, "addNoise original/noise", original, noise);
  const batch = original.shape[0] ?? 1;
  const rowSize = original.data.length / batch;
  const ts = perBatch(className, t, batch);
  const out = new Float32Array(original.data.length);
  for (let b = 0; b < batch; b++) {
    const [a, s] = coefficients(ts[b]!);
    for (let k = b * rowSize; k < (b + 1) * rowSize; k++) {
      out[k] = Math.fround(a * original.data[k]!) + Math.fround(s * noise.data[k]!);
    }
  }
  return { shape: original.shape, data: out };
}
