// run-case kind `denoising_loop`: StableDiffusionPipeline's loop with classifier-free guidance on given
// latents and prompt embeddings (row order: uncond rows, then text rows), reporting the guided noise
// prediction and the latents after every step.
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";
import { denoise } from "../pipeline/denoise.js";
import { TorchGenerator } from "../random/TorchGenerator.js";
import type { SchedulerConfigDict } from "../schedulers/SchedulerConfig.js";
import { createSchedulerByClass } from "../schedulers/index.js";
import { slice } from "../tensor/ops.js";
import { loadWeights } from "../weights/load.js";
import { caseInputs, caseWeights, CaseError, requireInput, upload } from "./common.js";
import type { CaseRunner, CaseTensor } from "./types.js";

export const runDenoisingLoopCase: CaseRunner = async (caseDir, caseJson, { backend }) => {
  const where = `${caseDir}/case.json`;
  const unetJson = caseJson.unet_config ?? caseJson.config;
  if (typeof unetJson !== "object" || unetJson === null) throw new CaseError(`${where}: no "unet_config" object`);
  const schedulerJson = caseJson.scheduler_config;
  if (typeof schedulerJson !== "object" || schedulerJson === null) throw new CaseError(`${where}: no "scheduler_config" object`);
  const className = (caseJson.scheduler_class ?? (schedulerJson as Record<string, unknown>)._class_name) as unknown;
  if (typeof className !== "string") throw new CaseError(`${where}: no "scheduler_class"`);
  const steps = caseJson.num_inference_steps;
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps <= 0) throw new CaseError(`${where}: "num_inference_steps" must be a positive integer`);
  const guidance = caseJson.guidance_scale;
  if (typeof guidance !== "number") throw new CaseError(`${where}: "guidance_scale" must be a number`);
  const eta = typeof caseJson.eta === "number" ? caseJson.eta : undefined;

  const unet = new UNet2DConditionModel(parseUNetConfig(unetJson as Record<string, unknown>, `${where} unet_config`));
  loadWeights(unet, caseWeights(caseDir), backend);
  const scheduler = createSchedulerByClass(className, schedulerJson as SchedulerConfigDict);
  scheduler.setTimesteps(steps);

  const inputs = caseInputs(caseDir);
  const init = requireInput(inputs, "latents", caseDir);
  const embeds = requireInput(inputs, "prompt_embeds", caseDir);
  const B = init.shape[0]!;
  const doCfg = guidance > 1;
  if (embeds.shape[0] !== (doCfg ? 2 * B : B)) {
    throw new CaseError(`${caseDir}: prompt_embeds has ${embeds.shape[0]} rows, expected ${doCfg ? 2 * B : B} for ${B} latents${doCfg ? " with guidance (uncond rows first)" : ""}`);
  }
  const all = upload(backend, embeds);
  const negativeEmbeds = doCfg ? slice(all, 0, 0, B) : null;
  const promptEmbeds = doCfg ? slice(all, 0, B, 2 * B) : all;

  // Noise for stochastic schedulers: explicit per-step tensors (`noise.<i>`) when the case gives them, else a
  // torch CPU generator seeded as the case says (diffusers passes the generator to scheduler.step).
  const seed = caseJson.generator_seed ?? caseJson.seed;
  const generator = typeof seed === "number" || typeof seed === "string" ? new TorchGenerator(String(caseJson.seed_str ?? seed)) : null;
  const initNoiseSigma = scheduler.initNoiseSigma;
  const latents = { shape: init.shape, data: init.data.map((v) => v * Math.fround(initNoiseSigma)) };

  const out = new Map<string, CaseTensor>();
  out.set("timesteps", { shape: [scheduler.timesteps.length], data: Float32Array.from(scheduler.timesteps) });
  const final = await denoise({
    unet, scheduler, latents, promptEmbeds, negativeEmbeds, guidanceScale: guidance, eta,
    stepNoise: (i) => inputs.get(`noise.${i}`)?.data,
    randn: generator ? (shape) => generator.randn(shape) : undefined,
    onStep: ({ step, latents: l, noisePred }) => {
      out.set(`noise_pred.${step}`, { shape: noisePred.shape, data: noisePred.data });
      out.set(`latents.${step}`, { shape: l.shape, data: l.data });
    },
  });
  out.set("latents", { shape: final.shape, data: final.data });
  return { type: "tensors", tensors: out };
};
