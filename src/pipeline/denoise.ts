// The denoising loop of StableDiffusionPipeline (the seed's step 7):
//   for each timestep t:
//     x    = scaleModelInput(cat([latents] * 2), t)       (one copy when guidance ≤ 1)
//     eps  = unet(x, t, cat([negativeEmbeds, promptEmbeds]))
//     eps  = uncond + g · (text − uncond)                  (classifier-free guidance)
//     latents = scheduler.step(eps, t, latents)
// Latents live on the host (they are small) and go to the backend only as UNet input.
import type { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import type { HostTensor, RandnFn, Scheduler, StepOptions } from "../schedulers/Scheduler.js";
import { concat } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";

export interface StepInfo {
  /** 0-based index of the step just finished. */
  readonly step: number;
  readonly totalSteps: number;
  readonly timestep: number;
  /** Latents after this step. */
  readonly latents: HostTensor;
  /** The guided noise prediction of this step. */
  readonly noisePred: HostTensor;
  /** Milliseconds since the loop started. */
  readonly elapsedMs: number;
}

export interface DenoiseOptions {
  readonly unet: UNet2DConditionModel;
  readonly scheduler: Scheduler;
  /** Starting latents [B, 4, h, w], already scaled by initNoiseSigma (txt2img) or noised (img2img). */
  readonly latents: HostTensor;
  /** Text embeddings [B, 77, D], one row per latent. */
  readonly promptEmbeds: Tensor;
  /** Unconditional / negative embeddings [B, 77, D]; required when guidanceScale > 1. */
  readonly negativeEmbeds?: Tensor | null;
  readonly guidanceScale: number;
  /** The timesteps to run (default: all of scheduler.timesteps; img2img passes a suffix). */
  readonly timesteps?: readonly number[];
  /** Gaussian noise for stochastic schedulers (Euler ancestral, DDIM with η > 0). */
  readonly randn?: RandnFn;
  /** Explicit noise per step (reference cases): overrides `randn` where given. */
  readonly stepNoise?: (step: number) => Float32Array | undefined;
  readonly eta?: number;
  readonly onStep?: (info: StepInfo) => void;
  readonly signal?: AbortSignal;
}

export class DenoiseAbortedError extends Error {
  constructor(step: number) {
    super(`denoising cancelled before step ${step}`);
    this.name = "DenoiseAbortedError";
  }
}

/** Runs the loop and returns the final latents. */
export async function denoise(o: DenoiseOptions): Promise<HostTensor> {
  const { unet, scheduler, guidanceScale } = o;
  const doCfg = guidanceScale > 1;
  const B = o.latents.shape[0]!;
  if (o.promptEmbeds.dim(0) !== B) throw new Error(`denoise: ${o.promptEmbeds.dim(0)} prompt embeddings for ${B} latents`);
  let context = o.promptEmbeds;
  if (doCfg) {
    if (!o.negativeEmbeds) throw new Error(`denoise: guidance scale ${guidanceScale} > 1 needs negative (unconditional) embeddings`);
    if (o.negativeEmbeds.dim(0) !== B) throw new Error(`denoise: ${o.negativeEmbeds.dim(0)} negative embeddings for ${B} latents`);
    context = concat([o.negativeEmbeds, o.promptEmbeds], 0); // [2B, 77, D]: uncond rows first, as diffusers
  }
  const backend = o.promptEmbeds.backend;
  const timesteps = o.timesteps ?? scheduler.timesteps;
  const start = performance.now();
  let latents = o.latents;
  const n = latents.data.length;
  for (let i = 0; i < timesteps.length; i++) {
    if (o.signal?.aborted) throw new DenoiseAbortedError(i);
    const t = timesteps[i]!;
    const input: HostTensor = doCfg ? { shape: [2 * B, ...latents.shape.slice(1)], data: doubled(latents.data) } : latents;
    const scaled = scheduler.scaleModelInput(input, t);
    const out = unet.forward(backend.fromArray(scaled.data, scaled.shape), t, context);
    const eps = await out.toArray(); // [2B or B, 4, h, w]
    let guided: Float32Array;
    if (doCfg) {
      guided = new Float32Array(n);
      const g = Math.fround(guidanceScale);
      // Same float32 order as diffusers: uncond + g * (text − uncond).
      for (let k = 0; k < n; k++) {
        const u = eps[k]!, txt = eps[n + k]!;
        guided[k] = u + Math.fround(g * Math.fround(txt - u));
      }
    } else {
      guided = eps;
    }
    const noisePred: HostTensor = { shape: latents.shape, data: guided };
    const stepOptions: StepOptions = { randn: o.randn, noise: o.stepNoise?.(i), eta: o.eta };
    latents = scheduler.step(noisePred, t, latents, stepOptions).prevSample;
    o.onStep?.({ step: i, totalSteps: timesteps.length, timestep: t, latents, noisePred, elapsedMs: performance.now() - start });
  }
  return latents;
}

function doubled(x: Float32Array): Float32Array {
  const out = new Float32Array(2 * x.length);
  out.set(x, 0);
  out.set(x, x.length);
  return out;
}
