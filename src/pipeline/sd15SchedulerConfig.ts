// stable-diffusion-v1-5's `scheduler/scheduler_config.json`: the PNDM (PLMS) scheduler SD1.5 ships with. A
// single-file checkpoint holds no scheduler; diffusers' `from_single_file` takes this config from the SD1.5 repo,
// and so does sdts.
import type { SchedulerConfigDict } from "../schedulers/SchedulerConfig.js";

// Typed by its literal fields (still a SchedulerConfigDict), so callers can read e.g. `beta_start` as a number.
export const SD15_SCHEDULER_CONFIG = Object.freeze({
  _class_name: "PNDMScheduler",
  _diffusers_version: "0.6.0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
}) satisfies SchedulerConfigDict;
