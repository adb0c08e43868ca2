// Which scheduler a generation uses, and what to call it. `--sampler <name>` swaps the scheduler class the way
// `pipe.scheduler = Cls.from_config(pipe.scheduler.config)` does in diffusers (names: src/schedulers/index.ts);
// without it the model's own `scheduler_config.json` class is used, as `StableDiffusionPipeline.from_pretrained`
// does (PNDM in PLMS mode for SD1.5). Labels are AUTOMATIC1111's sampler names, for the PNG's `Sampler:` field.
import { createScheduler, createSchedulerByClass, SCHEDULER_NAMES, type Scheduler } from "../schedulers/index.js";
import type { SchedulerConfigDict } from "../schedulers/SchedulerConfig.js";

/** A1111's names for the samplers sdts implements. */
export const SAMPLER_LABELS: Readonly<Record<string, string>> = {
  pndm: "PLMS",
  plms: "PLMS",
  ddim: "DDIM",
  euler: "Euler",
  euler_a: "Euler a",
  dpmpp_2m: "DPM++ 2M",
  dpmpp_2m_karras: "DPM++ 2M Karras",
  lms: "LMS",
  lms_karras: "LMS Karras",
};

export const SAMPLER_NAMES: readonly string[] = Object.keys(SCHEDULER_NAMES);

export interface ResolvedSampler {
  readonly scheduler: Scheduler;
  /** sdts sampler name (`euler_a`, …). */
  readonly name: string;
  /** A1111 label ("Euler a"). */
  readonly label: string;
}

export class UnknownSamplerError extends Error {
  constructor(name: string) {
    super(`unknown sampler "${name}" (valid: ${SAMPLER_NAMES.join(", ")})`);
    this.name = "UnknownSamplerError";
  }
}

/** The sampler name that describes a diffusers scheduler config (its class, Karras σ when set). */
function samplerNameOfConfig(config: SchedulerConfigDict): string {
  const cls = config._class_name;
  const karras = config.use_karras_sigmas === true;
  switch (cls) {
    case "PNDMScheduler":
      return "pndm";
    case "DDIMScheduler":
      return "ddim";
    case "EulerDiscreteScheduler":
      return "euler";
    case "EulerAncestralDiscreteScheduler":
      return "euler_a";
    case "DPMSolverMultistepScheduler":
      return karras ? "dpmpp_2m_karras" : "dpmpp_2m";
    case "LMSDiscreteScheduler":
      return karras ? "lms_karras" : "lms";
    default:
      throw new Error(
        `the model's scheduler_config.json names scheduler class ${JSON.stringify(cls)}, which sdts does not implement; ` +
          `choose one with --sampler (${SAMPLER_NAMES.join(", ")})`,
      );
  }
}

/** `name` undefined → the model's own scheduler class and config; else that sampler from the model's config. */
export function resolveSampler(name: string | undefined, modelSchedulerConfig: SchedulerConfigDict): ResolvedSampler {
  if (name === undefined) {
    const own = samplerNameOfConfig(modelSchedulerConfig);
    return { scheduler: createSchedulerByClass(String(modelSchedulerConfig._class_name), modelSchedulerConfig), name: own, label: SAMPLER_LABELS[own]! };
  }
  if (!Object.hasOwn(SCHEDULER_NAMES, name)) throw new UnknownSamplerError(name);
  return { scheduler: createScheduler(name, modelSchedulerConfig), name, label: SAMPLER_LABELS[name] ?? name };
}
