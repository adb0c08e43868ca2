// Scheduler construction by the names users know (A1111 / ComfyUI sampler names) or by diffusers class name,
// always from a diffusers `scheduler_config.json` dict (SD1.5 ships PNDM's), as swapping `pipe.scheduler` does.
import { DDIMScheduler } from "./DDIMScheduler.js";
import { DPMSolverMultistepScheduler } from "./DPMSolverMultistepScheduler.js";
import { EulerAncestralDiscreteScheduler } from "./EulerAncestralDiscreteScheduler.js";
import { EulerDiscreteScheduler } from "./EulerDiscreteScheduler.js";
import { LMSDiscreteScheduler } from "./LMSDiscreteScheduler.js";
import { PNDMScheduler } from "./PNDMScheduler.js";
import type { Scheduler } from "./Scheduler.js";
import type { SchedulerConfigDict } from "./SchedulerConfig.js";

export type { HostTensor, RandnFn, Scheduler, StepOptions, StepResult } from "./Scheduler.js";
export type { SchedulerConfigDict } from "./SchedulerConfig.js";
export { DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, LMSDiscreteScheduler, PNDMScheduler };

type SchedulerClass = new (config: SchedulerConfigDict) => Scheduler;

/** diffusers class name → implementation. */
export const SCHEDULER_CLASSES: Readonly<Record<string, SchedulerClass>> = {
  PNDMScheduler,
  DDIMScheduler,
  EulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler,
  DPMSolverMultistepScheduler,
  LMSDiscreteScheduler,
};

interface NamedScheduler {
  readonly className: keyof typeof SCHEDULER_CLASSES & string;
  /** Applied over the user's config: what makes the class that sampler. */
  readonly overrides: SchedulerConfigDict;
}

/** Sampler name → diffusers class and config overrides (diffusers' own mapping of the A1111 names). */
export const SCHEDULER_NAMES: Readonly<Record<string, NamedScheduler>> = {
  pndm: { className: "PNDMScheduler", overrides: {} },
  plms: { className: "PNDMScheduler", overrides: { skip_prk_steps: true } },
  ddim: { className: "DDIMScheduler", overrides: {} },
  euler: { className: "EulerDiscreteScheduler", overrides: {} },
  euler_a: { className: "EulerAncestralDiscreteScheduler", overrides: {} },
  dpmpp_2m: { className: "DPMSolverMultistepScheduler", overrides: { algorithm_type: "dpmsolver++", solver_order: 2 } },
  dpmpp_2m_karras: {
    className: "DPMSolverMultistepScheduler",
    overrides: { algorithm_type: "dpmsolver++", solver_order: 2, use_karras_sigmas: true },
  },
  lms: { className: "LMSDiscreteScheduler", overrides: {} },
  lms_karras: { className: "LMSDiscreteScheduler", overrides: { use_karras_sigmas: true } },
};

/** The diffusers class `Cls.from_config(config)` for a class name such as "EulerDiscreteScheduler". */
export function createSchedulerByClass(className: string, config: SchedulerConfigDict = {}): Scheduler {
  const Cls = Object.hasOwn(SCHEDULER_CLASSES, className) ? SCHEDULER_CLASSES[className] : undefined;
  if (!Cls) throw new Error(`unknown scheduler class "${className}" (known: ${Object.keys(SCHEDULER_CLASSES).join(", ")})`);
  return new Cls(config);
}

/** A scheduler by sampler name (`euler_a`, `dpmpp_2m_karras`, …) from a `scheduler_config.json` dict. */
export function createScheduler(name: string, config: SchedulerConfigDict = {}): Scheduler {
  const entry = Object.hasOwn(SCHEDULER_NAMES, name) ? SCHEDULER_NAMES[name] : undefined;
  if (!entry) throw new Error(`unknown scheduler "${name}" (valid: ${Object.keys(SCHEDULER_NAMES).join(", ")})`);
  return createSchedulerByClass(entry.className, { ...config, ...entry.overrides });
}
