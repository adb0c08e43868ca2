// DPM-Solver++ multistep (Lu et al. 2022, arXiv:2211.01095), A1111's "DPM++ 2M": works on the data prediction
// x̂₀ = (x − σ_t·ε)/α_t in log-SNR time λ = log(α_t/σ_t). With h = λ_next − λ and the previous x̂₀ (m1):
//   1st order:  x ← (σ_next/σ)·x − α_next·(e^{−h} − 1)·x̂₀
//   2nd order (midpoint): the same, minus ½·α_next·(e^{−h} − 1)·D1, D1 = (x̂₀ − m1)·h/h_prev.
// Here α_t = 1/√(σ²+1), σ_t = σ·α_t are the VP coefficients of the k-diffusion σ.
import { BASE_DEFAULTS, requireOneOf, resolveSchedulerConfig, type BaseSchedulerConfig, type SchedulerConfigDict } from "./SchedulerConfig.js";
import type { HostTensor, StepOptions, StepResult } from "./Scheduler.js";
import { SigmaScheduler } from "./SigmaScheduler.js";
import { interpSigma, karrasSigmas, logSigmas, sigmaToT } from "./sigmas.js";
import { checkInferenceSteps, numpyArange, numpyLinspace, roundHalfEven } from "./timesteps.js";
import { torchExpF32 } from "./torchMath.js";

const f32 = Math.fround;

export interface DPMSolverMultistepConfig extends BaseSchedulerConfig {
  solver_order: number;
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  sample_max_value: number;
  algorithm_type: string;
  solver_type: string;
  lower_order_final: boolean;
  euler_at_final: boolean;
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  use_beta_sigmas: boolean;
  use_lu_lambdas: boolean;
  final_sigmas_type: string;
  lambda_min_clipped: number;
  variance_type: string | null;
  rescale_betas_zero_snr: boolean;
}

/** diffusers 0.31 `DPMSolverMultistepScheduler.__init__` defaults. */
export const DPM_SOLVER_MULTISTEP_DEFAULTS: DPMSolverMultistepConfig = {
  ...BASE_DEFAULTS,
  solver_order: 2,
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  algorithm_type: "dpmsolver++",
  solver_type: "midpoint",
  lower_order_final: true,
  euler_at_final: false,
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  use_lu_lambdas: false,
  final_sigmas_type: "zero",
  lambda_min_clipped: -Infinity,
  variance_type: null,
  timestep_spacing: "linspace",
  rescale_betas_zero_snr: false,
};

/** α_t = 1/√(σ²+1) and σ_t = σ·α_t in float32 (diffusers' `_sigma_to_alpha_sigma_t`). */
function alphaSigma(sigma: number): [number, number] {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1))));
  return [alpha, f32(sigma * alpha)];
}

/** λ = log α_t − log σ_t (float32; +∞ at σ = 0). */
function lambdaOf(alpha: number, sigmaT: number): number {
  return f32(f32(Math.log(alpha)) - f32(Math.log(sigmaT)));
}

export class DPMSolverMultistepScheduler extends SigmaScheduler<DPMSolverMultistepConfig> {
  readonly className = "DPMSolverMultistepScheduler";
  /** x̂₀ of the previous step (the multistep history; order 2 keeps one). */
  private previousX0: Float32Array | null = null;
  /** Steps taken so far, capped at solver_order (diffusers `lower_order_nums`). */
  private lowerOrderNums = 0;

  constructor(given: SchedulerConfigDict = {}) {
    const name = "DPMSolverMultistepScheduler";
    const config = resolveSchedulerConfig(name, DPM_SOLVER_MULTISTEP_DEFAULTS, given, { solver_order: "integer", variance_type: "string|null" });
    requireOneOf(name, "algorithm_type", config.algorithm_type, ["dpmsolver++"]);
    requireOneOf(name, "solver_order", config.solver_order, [1, 2]);
    requireOneOf(name, "solver_type", config.solver_type, ["midpoint", "heun"]);
    requireOneOf(name, "thresholding", config.thresholding, [false]);
    requireOneOf(name, "use_exponential_sigmas", config.use_exponential_sigmas, [false]);
    requireOneOf(name, "use_beta_sigmas", config.use_beta_sigmas, [false]);
    requireOneOf(name, "use_lu_lambdas", config.use_lu_lambdas, [false]);
    requireOneOf(name, "final_sigmas_type", config.final_sigmas_type, ["zero", "sigma_min"]);
    requireOneOf(name, "variance_type", config.variance_type, [null]);
    requireOneOf(name, "rescale_betas_zero_snr", config.rescale_betas_zero_snr, [false]);
    super(config);
  }

  override get initNoiseSigma(): number {
    return 1;
  }

  override inputScale(_t: number): number {
    return 1;
  }

  /** DPM-Solver's UNet input is the sample itself. */
  override scaleModelInput(sample: HostTensor, _t: number): HostTensor {
    return sample;
  }

  /** A timestep not in the schedule maps to the last step (diffusers' DPM-Solver behaviour). */
  protected override indexForTimestep(t: number): number {
    const hits = this.timesteps.flatMap((s, i) => (s === f32(t) ? [i] : []));
    if (hits.length === 0) return this.timesteps.length - 1;
    return hits.length > 1 ? hits[1]! : hits[0]!;
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    const n = numInferenceSteps;
    const T = c.num_train_timesteps;
    checkInferenceSteps(this.className, n, T);
    // λ_min clipping: drop the high-t end where λ(t) < lambda_min_clipped (never for the default −∞).
    const lambdas = this.alphasCumprod.map((a) => f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a)))))));
    const clipped = lambdas.filter((l) => l < c.lambda_min_clipped).length;
    const last = T - clipped;
    // n + 1 points from the top, the last (t = 0 side) dropped: 999, 949, …, 50 for linspace and 20 steps.
    let timesteps: number[];
    switch (c.timestep_spacing) {
      case "linspace":
        timesteps = numpyLinspace(0, last - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
        break;
      case "leading": {
        const ratio = Math.floor(last / (n + 1));
        timesteps = Array.from({ length: n + 1 }, (_, i) => i * ratio).reverse().slice(0, n).map((t) => t + c.steps_offset);
        break;
      }
      default: // "trailing"
        timesteps = numpyArange(last, 0, -T / n).map((t) => roundHalfEven(t) - 1);
    }
    let sigmas: number[];
    if (c.use_karras_sigmas) {
      // Karras spacing between the training schedule's own σ_min = σ_0 and σ_max = σ_{T−1}.
      sigmas = karrasSigmas(this.sigmaTable[0]!, this.sigmaTable[T - 1]!, n);
      const logTable = logSigmas(this.sigmaTable);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, logTable)));
    } else {
      sigmas = timesteps.map((t) => interpSigma(t, this.sigmaTable));
    }
    const finalSigma = c.final_sigmas_type === "zero" ? 0 : this.sigmaTable[0]!;
    this.installSchedule(timesteps, Float32Array.from([...sigmas, finalSigma]), timesteps.length);
    this.previousX0 = null;
    this.lowerOrderNums = 0;
  }

  step(modelOutput: HostTensor, t: number, sample: HostTensor, _options: StepOptions = {}): StepResult {
    const c = this.config;
    const { i, sigmas } = this.beginStep(modelOutput, t, sample);
    const n = this.timesteps.length;
    // The final step (always when it goes to σ = 0) falls back to first order for stability. (diffusers'
    // `lower_order_second` only chooses between 2nd and 3rd order, and solver_order 3 is rejected.)
    const lowerOrderFinal = i === n - 1 && (c.euler_at_final || (c.lower_order_final && n < 15) || c.final_sigmas_type === "zero");

    const [alphaS0, sigmaS0] = alphaSigma(sigmas[i]!);
    const x = sample.data;
    const eps = modelOutput.data;
    const x0 = x.map((v, k) => f32(v - f32(sigmaS0 * eps[k]!)) / alphaS0);

    const [alphaT, sigmaT] = alphaSigma(sigmas[i + 1]!);
    const h = f32(lambdaOf(alphaT, sigmaT) - lambdaOf(alphaS0, sigmaS0));
    const ratio = f32(sigmaT / sigmaS0);
    const expm1 = f32(torchExpF32(-h) - 1); // torch's SLEEF exp: Math.exp is 1 ulp off at step 0
    const coef0 = f32(alphaT * expm1); // α_next·(e^{−h} − 1)
    const firstOrder = c.solver_order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal || this.previousX0 === null;
    let prev: Float32Array;
    if (firstOrder) {
      prev = x.map((v, k) => f32(ratio * v) - f32(coef0 * x0[k]!));
    } else {
      const m1 = this.previousX0!;
      const [alphaS1, sigmaS1] = alphaSigma(sigmas[i - 1]!);
      const h0 = f32(lambdaOf(alphaS0, sigmaS0) - lambdaOf(alphaS1, sigmaS1));
      const invR0 = f32(1 / f32(h0 / h));
      // D1 coefficient: −½·α(e^{−h}−1) (midpoint) or +α((e^{−h}−1)/h + 1) (heun), float32 as diffusers.
      const coef1 = c.solver_type === "midpoint" ? -f32(0.5 * coef0) : f32(alphaT * f32(f32(expm1 / h) + 1));
      prev = x.map((v, k) => {
        const d1 = f32(invR0 * f32(x0[k]! - m1[k]!));
        return f32(f32(ratio * v) - f32(coef0 * x0[k]!)) + f32(coef1 * d1);
      });
    }
    this.previousX0 = x0;
    if (this.lowerOrderNums < c.solver_order) this.lowerOrderNums++;
    return this.endStep(i, sample, prev);
  }

  /** add_noise is α_t·x₀ + σ_t·ε with (α_t, σ_t) from the schedule's σ at `t` (the VP forward process). */
  protected override noiseCoefficients(t: number): readonly [number, number] {
    return alphaSigma(this.noiseSigma(t));
  }
}

