// Text-to-image and image-to-image, step for step as diffusers' `StableDiffusionPipeline.__call__` and
// `StableDiffusionImg2ImgPipeline.__call__` (0.31) with a CPU `torch.Generator` seeded with `seed`:
//
//   1. encode_prompt: prompt → [B, 77, D] embeds (clip skip applies to it), negative prompt ("" by default) →
//      uncond embeds (only when guidance > 1; no clip skip, as diffusers);       text encoder then released
//   2. scheduler.set_timesteps(steps)
//   3. latents  txt2img: randn([B, 4, H/8, W/8], generator) · init_noise_sigma            (1st generator draw)
//               img2img: see img2img.ts (VAE sample draw, then the add_noise draw)
//   4. denoise (denoise.ts), stochastic samplers continuing the same generator stream;    UNet then released
//   5. image = vae.decode(latents / scaling_factor) → (x/2 + 0.5).clamp(0, 1) → ·255, round → uint8 RGB
//
// So `sdts generate --seed S` gives the latents diffusers gives with `generator=torch.Generator().manual_seed(S)`.
// Networks are loaded when needed and dropped after use, so only one large network is resident at a time
// (img2img keeps the VAE, needed at both ends, beside the UNet). There is no safety checker.
import { randomInt } from "node:crypto";
import type { Backend } from "../backend/Backend.js";
import type { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import type { CLIPEncoding } from "../models/clip/CLIPTokenizer.js";
import type { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import type { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import { imageFromDecoded, imageToInput, type RgbImage } from "../models/vae/imageConversion.js";
import { parseTorchSeed, TorchGenerator, type TorchSeed } from "../random/TorchGenerator.js";
import type { HostTensor } from "../schedulers/Scheduler.js";
import type { Tensor } from "../tensor/Tensor.js";
import { collectGarbage, whileLoading } from "./collectGarbage.js";
import { decodeProgressTrace } from "./decodeProgress.js";
import { denoise } from "./denoise.js";
import { encodePrompt, repeatBatch } from "./encodePrompt.js";
import { formatGenerationParameters } from "./generationParameters.js";
import { img2imgLatents, img2imgTimesteps } from "./img2img.js";
import { defaultImageSize, imageSizeMultiple, vaeScaleFactor, type PipelineModel } from "./PipelineModel.js";
import { resolveSampler } from "./samplers.js";

/**
 * Load-time collections (one per 16 MiB of temporaries) between trims of the native heap. Measured, 512×512
 * fp16 SD1.5 (`generate --steps 2`): trimming after every collection: peak RSS 1.97–2.04 M KiB but +18 s of
 * system time (page faults) per run; every 8th: 2.03–2.05 M KiB, +4–8 s; only after each network: 2.06–2.09 M KiB.
 */
const TRIM_EVERY = 8;

/** sd.cpp's and A1111's default; diffusers' is 50 (pass `steps: 50` to compare with a default diffusers call). */
export const DEFAULT_STEPS = 20;
export const DEFAULT_GUIDANCE_SCALE = 7.5;
export const DEFAULT_STRENGTH = 0.75;

export type NetworkName = "text_encoder" | "unet" | "vae";

export type PipelineProgress =
  | { readonly phase: "load"; readonly network: NetworkName; readonly done: number; readonly total: number }
  | { readonly phase: "encode_prompt" }
  | { readonly phase: "encode_image" }
  | { readonly phase: "denoise"; readonly step: number; readonly totalSteps: number; readonly elapsedMs: number }
  | { readonly phase: "decode"; readonly done: number; readonly total: number };

/** 8-bit pixels, row-major interleaved, 3 (RGB) or 4 (RGBA, alpha ignored) channels per pixel. */
export interface InputImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface GenerateOptions {
  readonly prompt: string;
  /** Default "" (diffusers' unconditional prompt). Used only when guidanceScale > 1. */
  readonly negativePrompt?: string;
  /** Pixels; default unet sample_size × 8 (512 for SD1.5). img2img: default (and required) = the init image's. */
  readonly width?: number;
  readonly height?: number;
  /** Default 20. */
  readonly steps?: number;
  /** Classifier-free guidance scale; ≤ 1 disables guidance. Default 7.5. */
  readonly guidanceScale?: number;
  /** A sampler name (SAMPLER_NAMES); default: the model's own scheduler (PNDM/PLMS for SD1.5). */
  readonly sampler?: string;
  /** Default: a random seed (reported in the result). */
  readonly seed?: TorchSeed;
  /** Images in the batch (diffusers' num_images_per_prompt). Default 1. */
  readonly numImages?: number;
  /** diffusers' clip_skip: 0 = last layer (default), 1 = penultimate (A1111 "Clip skip: 2"). */
  readonly clipSkip?: number;
  /** DDIM's η (ignored by other samplers). Default 0. */
  readonly eta?: number;
  /** img2img: the starting image. */
  readonly initImage?: InputImage;
  /** img2img: how much of the schedule to run (0…1). Default 0.75. */
  readonly strength?: number;
  readonly onProgress?: (event: PipelineProgress) => void;
  /** Non-fatal notices (e.g. the prompt was truncated to 77 tokens). */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface GenerateResult {
  readonly images: RgbImage[];
  readonly seed: bigint;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  /** sdts sampler name and A1111 label. */
  readonly sampler: string;
  readonly samplerLabel: string;
  /** The timesteps the UNet ran at (img2img: the suffix). */
  readonly timesteps: readonly number[];
  /** Final latents [B, 4, H/8, W/8] (before the VAE). */
  readonly latents: HostTensor;
  /** A1111-style generation info, one per image (for the PNG `parameters` chunk). */
  readonly parameters: string[];
  readonly promptEncoding: CLIPEncoding;
}

export interface PipelineOptions {
  /** Keep networks loaded between `generate` calls (faster repeated calls, more memory). Default false. */
  readonly keepModelsLoaded?: boolean;
}

/** A seed as A1111 draws one: uniform in 0 … 2^32 − 2. */
export function randomSeed(): bigint {
  return BigInt(randomInt(0, 2 ** 32 - 1));
}

export class ImageSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageSizeError";
  }
}

/** Checks width/height for a model: positive, multiples of 8 (the VAE) and of the UNet's multiple. */
export function checkImageSize(model: Pick<PipelineModel, "unetConfig" | "vaeConfig">, width: number, height: number, what = "image"): void {
  const vae = vaeScaleFactor(model.vaeConfig);
  const multiple = imageSizeMultiple(model);
  const levels = model.unetConfig.blockOutChannels.length;
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new ImageSizeError(`${what} ${name} ${v} must be a positive integer`);
    if (v % vae !== 0) throw new ImageSizeError(`${what} ${name} ${v} is not divisible by ${vae} (the VAE maps ${vae}×${vae} pixels to one latent)`);
    if (v % multiple !== 0) {
      const lo = Math.floor(v / multiple) * multiple;
      throw new ImageSizeError(
        `${what} ${name} ${v} is not a multiple of ${multiple} (${vae} pixels per latent × 2^${levels - 1} for the UNet's ${levels - 1} ` +
          `downsampler${levels === 2 ? "" : "s"}); try ${lo > 0 ? `${lo} or ` : ""}${lo + multiple}`,
      );
    }
  }
}

function positiveInteger(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}

export class StableDiffusionPipeline {
  private cache: { textEncoder?: CLIPTextModel; unet?: UNet2DConditionModel; vae?: AutoencoderKL } = {};

  constructor(
    readonly model: PipelineModel,
    readonly backend: Backend,
    private readonly options: PipelineOptions = {},
  ) {}

  /** Default image size of this model (diffusers: unet sample_size × vae scale factor). */
  get defaultSize(): number {
    return defaultImageSize(this.model);
  }

  close(): void {
    this.cache = {};
    this.model.close();
  }

  private network<K extends "textEncoder" | "unet" | "vae">(key: K, o: GenerateOptions): NonNullable<StableDiffusionPipeline["cache"][K]> {
    const cached = this.cache[key];
    if (cached) return cached as NonNullable<StableDiffusionPipeline["cache"][K]>;
    const network: NetworkName = key === "textEncoder" ? "text_encoder" : key;
    // Frees each tensor's load temporaries soon after it is packed, and every TRIM_EVERY collections hands their
    // pages back to the OS (each trim costs page faults when the next tensors reuse the pages).
    let collections = 0;
    const collect = whileLoading(() => {
      if (++collections % TRIM_EVERY === 0) this.backend.releaseBuffers?.();
    });
    const report = (done: number, total: number): void => {
      collect();
      o.onProgress?.({ phase: "load", network, done, total });
    };
    const m = key === "textEncoder" ? this.model.loadTextEncoder(this.backend, report)
      : key === "unet" ? this.model.loadUNet(this.backend, report)
      : this.model.loadVae(this.backend, report);
    collectGarbage(); // the last load temporaries, so the network's first activations can take their memory
    this.backend.releaseBuffers?.(); // and the holes they leave between weight slabs go back to the OS
    if (this.options.keepModelsLoaded) (this.cache as Record<string, unknown>)[key] = m;
    return m as NonNullable<StableDiffusionPipeline["cache"][K]>;
  }

  /**
   * A network's work is done: its pooled activations go (Backend.releaseBuffers), and unless networks are kept
   * loaded a full GC frees the dropped network, so the next one loads into that memory instead of beside it.
   */
  private networkDone(): void {
    this.backend.releaseBuffers?.();
    if (!this.options.keepModelsLoaded) collectGarbage();
  }

  async generate(o: GenerateOptions): Promise<GenerateResult> {
    const model = this.model;
    const steps = positiveInteger(o.steps ?? DEFAULT_STEPS, "steps");
    const batch = positiveInteger(o.numImages ?? 1, "number of images");
    const guidanceScale = o.guidanceScale ?? DEFAULT_GUIDANCE_SCALE;
    if (!Number.isFinite(guidanceScale)) throw new RangeError(`guidance scale must be a finite number, got ${guidanceScale}`);
    const clipSkip = o.clipSkip ?? 0;
    const layers = model.textEncoderConfig.numHiddenLayers;
    if (!Number.isInteger(clipSkip) || clipSkip < 0 || clipSkip >= layers) {
      throw new RangeError(`clip skip ${clipSkip} is out of range: 0…${layers - 1} layers can be skipped (diffusers numbering)`);
    }
    const strength = o.strength ?? DEFAULT_STRENGTH;
    const init = o.initImage;
    let width: number, height: number;
    if (init) {
      if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength ${strength} must be in [0, 1]`);
      width = o.width ?? init.width;
      height = o.height ?? init.height;
      if (width !== init.width || height !== init.height) {
        throw new ImageSizeError(`the init image is ${init.width}×${init.height} but ${width}×${height} was asked for; img2img keeps the init image's size (resize the image, or leave width/height unset)`);
      }
      checkImageSize(model, width, height, "init image");
    } else {
      width = o.width ?? this.defaultSize;
      height = o.height ?? this.defaultSize;
      checkImageSize(model, width, height);
    }
    const sampler = resolveSampler(o.sampler, model.schedulerConfig);
    const scheduler = sampler.scheduler;
    const seed = o.seed === undefined ? randomSeed() : parseTorchSeed(o.seed);
    const negativePrompt = o.negativePrompt ?? "";
    const doCfg = guidanceScale > 1;

    // 1. Prompt embeddings; then the text encoder can go.
    o.onProgress?.({ phase: "encode_prompt" });
    let textEncoder: CLIPTextModel | undefined = this.network("textEncoder", o);
    const positive = encodePrompt(textEncoder, model.tokenizer, o.prompt, clipSkip);
    if (positive.encoding.warning) o.onWarning?.(positive.encoding.warning);
    const promptEmbeds = repeatBatch(positive.embeds, batch); // [B, 77, D]
    let negativeEmbeds: Tensor | null = null;
    if (doCfg) {
      const negative = encodePrompt(textEncoder, model.tokenizer, negativePrompt, 0);
      if (negative.encoding.warning) o.onWarning?.(`negative ${negative.encoding.warning}`);
      negativeEmbeds = repeatBatch(negative.embeds, batch);
    }
    textEncoder = undefined;
    this.networkDone(); // before the UNet loads into its memory

    // 2–3. Schedule and starting latents (the generator's first draws).
    const generator = new TorchGenerator(seed);
    scheduler.setTimesteps(steps);
    const vaeFactor = vaeScaleFactor(model.vaeConfig);
    const latentShape = [batch, model.unetConfig.inChannels, height / vaeFactor, width / vaeFactor];
    let latents: HostTensor;
    let timesteps: readonly number[];
    let vae: AutoencoderKL | undefined;
    if (init) {
      const t = img2imgTimesteps(scheduler, steps, strength);
      timesteps = t.timesteps;
      vae = this.network("vae", o);
      o.onProgress?.({ phase: "encode_image" });
      const channels = init.data.length / (init.width * init.height);
      if (channels !== 3 && channels !== 4) {
        throw new Error(`init image: ${init.data.length} bytes for ${init.width}×${init.height} pixels (expected 3 or 4 bytes per pixel)`);
      }
      const image = imageToInput(init.data, init.width, init.height, this.backend, channels); // [1, 3, H, W]
      latents = await img2imgLatents({ vae, image, batch, scheduler, timestep: timesteps[0]!, generator });
      this.backend.releaseBuffers?.(); // the encoder's activations, before the UNet loads
    } else {
      timesteps = scheduler.timesteps;
      const sigma = scheduler.initNoiseSigma;
      const noise = generator.randn(latentShape);
      latents = { shape: latentShape, data: sigma === 1 ? noise : noise.map((x) => Math.fround(x * sigma)) };
    }

    // 4. Denoising; then the UNet can go.
    let unet: UNet2DConditionModel | undefined = this.network("unet", o);
    o.onProgress?.({ phase: "denoise", step: 0, totalSteps: timesteps.length, elapsedMs: 0 });
    const final = await denoise({
      unet,
      scheduler,
      latents,
      promptEmbeds,
      negativeEmbeds,
      guidanceScale,
      timesteps,
      randn: (shape) => generator.randn(shape),
      eta: o.eta ?? 0,
      onStep: (s) => o.onProgress?.({ phase: "denoise", step: s.step + 1, totalSteps: s.totalSteps, elapsedMs: s.elapsedMs }),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    unet = undefined;
    this.networkDone(); // before the VAE loads and decodes

    // 5. Decode.
    vae ??= this.network("vae", o);
    const { trace } = decodeProgressTrace(model.vaeConfig, latentShape[2]!, latentShape[3]!, (done, total) =>
      o.onProgress?.({ phase: "decode", done, total }),
    );
    o.onProgress?.({ phase: "decode", done: 0, total: 1 });
    const decoded = await vae.decodeLatents(this.backend.fromArray(final.data, final.shape), o.onProgress ? trace : undefined);
    const images = await imageFromDecoded(decoded);
    this.backend.releaseBuffers?.(); // the decoder's pooled activations (≈1 GB at 512×512)
    o.onProgress?.({ phase: "decode", done: 1, total: 1 });

    const parameters = images.map((_, i) =>
      formatGenerationParameters({
        prompt: o.prompt,
        negativePrompt: doCfg ? negativePrompt : "",
        steps,
        sampler: sampler.label,
        cfgScale: guidanceScale,
        seed,
        width,
        height,
        model: model.name,
        ...(init ? { denoisingStrength: strength } : {}),
        ...(clipSkip > 0 ? { clipSkip: clipSkip + 1 } : {}),
        batchSize: batch,
        batchPos: i,
      }),
    );
    return {
      images,
      seed,
      width,
      height,
      steps,
      sampler: sampler.name,
      samplerLabel: sampler.label,
      timesteps: [...timesteps],
      latents: final,
      parameters,
      promptEncoding: positive.encoding,
    };
  }
}
