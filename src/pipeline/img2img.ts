// The image-to-image start of diffusers' `StableDiffusionImg2ImgPipeline` (0.31):
//   get_timesteps:   init_timestep = min(int(steps·strength), steps); t_start = max(steps − init_timestep, 0)
//                    timesteps = scheduler.timesteps[t_start·order:]; scheduler.set_begin_index(t_start·order)
//   prepare_latents: x0 = vae.encode(image).latent_dist.sample(generator) · scaling_factor   ← 1st generator draw
//                    (one image, repeated to the batch), noise = randn(x0.shape, generator)  ← 2nd draw
//                    latents = scheduler.add_noise(x0, noise, timesteps[0])
// Denoising then runs over `timesteps` only. The generator draws happen in this order, after nothing else, so a
// seed reproduces diffusers' img2img latents with `torch.Generator("cpu").manual_seed(seed)`.
import type { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import type { TorchGenerator } from "../random/TorchGenerator.js";
import type { HostTensor, Scheduler } from "../schedulers/Scheduler.js";
import type { Tensor } from "../tensor/Tensor.js";

export interface Img2ImgTimesteps {
  /** The suffix of `scheduler.timesteps` to denoise over. */
  readonly timesteps: readonly number[];
  /** Index of its first entry in the full schedule. */
  readonly startIndex: number;
  /** diffusers' returned `num_inference_steps − t_start`. */
  readonly numInferenceSteps: number;
}

/** `get_timesteps` for a scheduler already set to `steps`; tells the scheduler where it begins. */
export function img2imgTimesteps(scheduler: Scheduler, steps: number, strength: number): Img2ImgTimesteps {
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength ${strength} must be in [0, 1]`);
  const initTimestep = Math.min(Math.trunc(steps * strength), steps);
  const tStart = Math.max(steps - initTimestep, 0);
  const startIndex = tStart * scheduler.order;
  const timesteps = scheduler.timesteps.slice(startIndex);
  if (initTimestep < 1 || timesteps.length === 0) {
    throw new RangeError(
      `strength ${strength} × ${steps} steps leaves no denoising step (int(steps × strength) = ${initTimestep}); ` +
        `raise --strength or --steps`,
    );
  }
  scheduler.setBeginIndex(startIndex);
  return { timesteps, startIndex, numInferenceSteps: steps - tStart };
}

export interface Img2ImgLatentsOptions {
  readonly vae: AutoencoderKL;
  /** The init image [1, 3, H, W] in [-1, 1]. */
  readonly image: Tensor;
  /** Images to generate (the encoded image is repeated to this batch). */
  readonly batch: number;
  readonly scheduler: Scheduler;
  /** The first timestep of the img2img schedule (noise level to start from). */
  readonly timestep: number;
  readonly generator: TorchGenerator;
}

/** Encoded, scaled and noised init latents [batch, 4, H/8, W/8]. */
export async function img2imgLatents(o: Img2ImgLatentsOptions): Promise<HostTensor> {
  const dist = await o.vae.encode(o.image);
  const sampled = dist.sample(o.generator.randn(dist.mean.shape)); // [1, 4, h, w]: the 1st draw
  const x0 = await o.vae.scaleLatents(sampled).toArray();
  const [, C, h, w] = dist.mean.shape as [number, number, number, number];
  const shape = [o.batch, C, h, w];
  const repeated = new Float32Array(o.batch * x0.length);
  for (let b = 0; b < o.batch; b++) repeated.set(x0, b * x0.length);
  const noise = o.generator.randn(shape); // the 2nd draw, over the whole batch
  return o.scheduler.addNoise({ shape, data: repeated }, { shape, data: noise }, o.timestep);
}
