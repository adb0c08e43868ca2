// Linear multistep (k-diffusion `sample_lms`): the ODE dx/dσ = d(x, σ) integrated from σ_i to σ_{i+1} through
// the Lagrange polynomial of the last (up to 4) derivatives:  x ← x + Σ_j c_j · d_{i−j},
//   c_j = ∫_{σ_i}^{σ_{i+1}} Π_{k≠j} (τ − σ_{i−k}) / (σ_{i−j} − σ_{i−k}) dτ.
// diffusers evaluates c_j with scipy's `quad` (QUADPACK QAGS, epsrel 1e-4) on an integrand computed in float32
// tensor arithmetic. The basis polynomial has degree < 4, so QAGS accepts its first 21-point Gauss–Kronrod
// estimate; evaluating that rule on the same float32 integrand reproduces diffusers' coefficients exactly
// (an exact integral differs by ~1e-7 relative, enough to move a float32 coefficient by an ulp).
import { BASE_DEFAULTS, requireOneOf, resolveSchedulerConfig, type BaseSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import { schedulerError, type HostTensor, type StepOptions, type StepResult } from "./Scheduler.js";
import { denoiseEpsilon, SigmaScheduler } from "./SigmaScheduler.js";

const f32 = Math.fround;

export interface LMSDiscreteConfig extends BaseSchedulerConfig {
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
}

/** diffusers 0.31 `LMSDiscreteScheduler.__init__` defaults. */
export const LMS_DISCRETE_DEFAULTS: LMSDiscreteConfig = {
  ...BASE_DEFAULTS,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  timestep_spacing: "linspace",
};

// QUADPACK's 21-point Kronrod rule on [−1, 1] (qk21): nodes ±XGK[k] and 0, weights WGK[k] (k = 10 is the centre).
const XGK = [
  0.995657163025808080735527280689003, 0.973906528517171720077964012084452, 0.930157491355708226001207180059508,
  0.865063366688984510732096688423493, 0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
  0.562757134668604683339000099272694, 0.433395394129247190799265943165784, 0.294392862701460198131126603103866,
  0.14887433898163121088482600112972,
];
const WGK = [
  0.011694638867371874278064396062192, 0.03255816230796472747881897245939, 0.05475589657435199603138130024458,
  0.07503967481091995276704314091619, 0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
  0.123491976262065851077208703299045, 0.134709217311473325928054001771707, 0.142775938577060080797094273138717,
  0.147739104901338491374841515972068, 0.149445554002916905664936468389821,
];

/** qk21's Kronrod estimate of ∫_a^b f, summed in QUADPACK's order (centre, Gauss nodes, then the others). */
export function gaussKronrod21(f: (x: number) => number, a: number, b: number): number {
  const centre = 0.5 * (a + b);
  const half = 0.5 * (b - a);
  let sum = WGK[10]! * f(centre);
  for (const k of [1, 3, 5, 7, 9, 0, 2, 4, 6, 8]) {
    const dx = half * XGK[k]!;
    sum += WGK[k]! * (f(centre - dx) + f(centre + dx));
  }
  return sum * half;
}

/** The LMS weight of derivative d_{i−j} for a step from σ_i to σ_{i+1} of the given order. */
export function lmsCoefficient(sigmas: Float32Array, order: number, i: number, j: number): number {
  // The Lagrange basis polynomial, float32 like diffusers' `(tau - sigmas[t-k]) / (…)` on 0-d tensors.
  const basis = (tau: number): number => {
    let prod = 1;
    for (let k = 0; k < order; k++) {
      if (k !== j) prod = f32(prod * f32(f32(f32(tau) - sigmas[i - k]!) / f32(sigmas[i - j]! - sigmas[i - k]!)));
    }
    return prod;
  };
  return gaussKronrod21(basis, sigmas[i]!, sigmas[i + 1]!);
}

export class LMSDiscreteScheduler extends SigmaScheduler<LMSDiscreteConfig> {
  readonly className = "LMSDiscreteScheduler";
  /** d = (x − x̂₀)/σ of the last steps, oldest first. */
  private derivatives: Float32Array[] = [];

  constructor(given: SchedulerConfigDict = {}) {
    const name = "LMSDiscreteScheduler";
    const config = resolveSchedulerConfig(name, LMS_DISCRETE_DEFAULTS, given);
    requireOneOf(name, "use_exponential_sigmas", config.use_exponential_sigmas, [false]);
    requireOneOf(name, "use_beta_sigmas", config.use_beta_sigmas, [false]);
    super(config);
  }

  setTimesteps(numInferenceSteps: number): void {
    this.setDiscreteSigmaSchedule(numInferenceSteps, { karras: this.config.use_karras_sigmas });
    this.derivatives = [];
  }

  /** `options.order` (default 4) is the maximal multistep order; the first steps use fewer points. */
  step(modelOutput: HostTensor, t: number, sample: HostTensor, options: StepOptions = {}): StepResult {
    const maxOrder = options.order ?? 4;
    if (!Number.isInteger(maxOrder) || maxOrder < 1) throw schedulerError(this.className, `step order ${maxOrder} must be a positive integer`);
    const { i, sigmas } = this.beginStep(modelOutput, t, sample);
    const x = sample.data;
    const { pred, derivative } = denoiseEpsilon(x, modelOutput.data, sigmas[i]!);
    this.derivatives.push(derivative);
    if (this.derivatives.length > maxOrder) this.derivatives.shift();

    const order = Math.min(i + 1, maxOrder);
    // Σ_j c_j·d_{i−j} accumulated newest first, as diffusers' `sum(...)` adds the float32 terms. Like its
    // `zip`, only as many terms as derivatives exist (fewer than `order` when img2img starts mid-schedule).
    const update = new Float32Array(x.length);
    for (let j = 0; j < Math.min(order, this.derivatives.length); j++) {
      const coeff = f32(lmsCoefficient(sigmas, order, i, j));
      const d = this.derivatives[this.derivatives.length - 1 - j]!;
      for (let k = 0; k < update.length; k++) update[k] = update[k]! + f32(coeff * d[k]!);
    }
    return this.endStep(i, sample, x.map((v, k) => v + update[k]!), pred);
  }
}
