// Runner for kind `scheduler_trajectory` (../shared/fixtures/README.md §5 "schedulers-<name>"): build
// `scheduler_class` from the case's resolved `config`, set_timesteps(num_inference_steps), then
//   sample = inputs.sample · init_noise_sigma;  for each t: model_input = scale_model_input(sample, t);
//   sample = step(inputs["eps.<i>"], t, sample[, noise = inputs["noise.<i>"]]).prev_sample
// emitting every intermediate under the fixture's key names.
import { createSchedulerByClass } from "../schedulers/index.js";
import type { HostTensor } from "../schedulers/Scheduler.js";
import { caseInputs, CaseError, requireInput } from "./common.js";
import type { CaseRunner, CaseTensor } from "./types.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const runSchedulerTrajectoryCase: CaseRunner = async (caseDir, caseJson) => {
  const { scheduler_class: className, config, num_inference_steps: steps } = caseJson;
  if (typeof className !== "string") throw new CaseError(`${caseDir}/case.json: "scheduler_class" must be a string`);
  if (!isRecord(config)) throw new CaseError(`${caseDir}/case.json: "config" must be an object`);
  if (typeof steps !== "number") throw new CaseError(`${caseDir}/case.json: "num_inference_steps" must be a number`);

  const inputs = caseInputs(caseDir);
  const scheduler = createSchedulerByClass(className, config);
  scheduler.setTimesteps(steps);
  const out = new Map<string, CaseTensor>();
  const n = scheduler.timesteps.length;
  out.set("timesteps", { shape: [n], data: Float32Array.from(scheduler.timesteps) });
  out.set("init_noise_sigma", { shape: [1], data: Float32Array.of(scheduler.initNoiseSigma) });
  out.set("alphas_cumprod", { shape: [scheduler.alphasCumprod.length], data: scheduler.alphasCumprod });
  if (scheduler.sigmas) out.set("sigmas", { shape: [scheduler.sigmas.length], data: scheduler.sigmas });

  const input = requireInput(inputs, "sample", caseDir);
  const sigma0 = Math.fround(scheduler.initNoiseSigma);
  let sample: HostTensor = { shape: input.shape, data: input.data.map((v) => v * sigma0) };
  out.set("sample.init", sample);
  const scales = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = scheduler.timesteps[i]!;
    scales[i] = scheduler.inputScale(t);
    out.set(`model_input.${i}`, scheduler.scaleModelInput(sample, t));
    const eps = requireInput(inputs, `eps.${i}`, caseDir);
    const noise = inputs.get(`noise.${i}`)?.data;
    const result = scheduler.step(eps, t, sample, noise ? { noise } : {});
    sample = result.prevSample;
    out.set(`sample.${i}`, sample);
    if (result.predOriginalSample) out.set(`pred_original_sample.${i}`, result.predOriginalSample);
  }
  out.set("scale_factor", { shape: [n], data: scales });
  return { type: "tensors", tensors: out };
};
