// What the pipeline needs from "a model": the tokenizer, the three networks' configs, the scheduler config, and a
// way to load each network on demand. Loading on demand lets the pipeline hold one large network at a time
// (text encoder → release → UNet → release → VAE): SD1.5 in float32 is 0.5 + 3.4 + 0.3 GB.
// Implementations: a diffusers folder (diffusersModel.ts), an LDM single file (singleFileModel.ts), the built-in
// demo (demoModel.ts).
import type { Backend } from "../backend/Backend.js";
import type { CLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import type { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import type { CLIPTokenizer } from "../models/clip/CLIPTokenizer.js";
import type { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import type { UNetConfig } from "../models/unet/UNetConfig.js";
import type { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import type { AutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";
import type { SchedulerConfigDict } from "../schedulers/SchedulerConfig.js";

/** Called after each tensor while a network loads. */
export type LoadProgressFn = (done: number, total: number) => void;

export type PipelineModelKind = "diffusers" | "single-file" | "demo";

export interface PipelineModel {
  readonly kind: PipelineModelKind;
  /** Short name for the PNG's `Model:` field (folder or file name without extension, or "sdts-demo"). */
  readonly name: string;
  /** Where it comes from, for messages. */
  readonly description: string;
  readonly tokenizer: CLIPTokenizer;
  readonly textEncoderConfig: CLIPTextConfig;
  readonly unetConfig: UNetConfig;
  readonly vaeConfig: AutoencoderKLConfig;
  /** `scheduler/scheduler_config.json` (its `_class_name` names the model's own scheduler). */
  readonly schedulerConfig: SchedulerConfigDict;
  loadTextEncoder(backend: Backend, onProgress?: LoadProgressFn): CLIPTextModel;
  loadUNet(backend: Backend, onProgress?: LoadProgressFn): UNet2DConditionModel;
  loadVae(backend: Backend, onProgress?: LoadProgressFn): AutoencoderKL;
  /** Release open files. */
  close(): void;
}

/** Pixels per latent (8 for SD1.x): one halving per VAE level after the first. */
export function vaeScaleFactor(vae: AutoencoderKLConfig): number {
  return 2 ** (vae.blockOutChannels.length - 1);
}

/** Image sizes must be multiples of this: VAE factor × one halving per UNet downsampler (8 · 8 = 64 for SD1.5). */
export function imageSizeMultiple(model: Pick<PipelineModel, "unetConfig" | "vaeConfig">): number {
  return vaeScaleFactor(model.vaeConfig) * 2 ** (model.unetConfig.blockOutChannels.length - 1);
}

/** The default image size, as diffusers: unet.config.sample_size × vae_scale_factor (512 for SD1.5). */
export function defaultImageSize(model: Pick<PipelineModel, "unetConfig" | "vaeConfig">): number {
  return model.unetConfig.sampleSize * vaeScaleFactor(model.vaeConfig);
}

/** Checks that the three networks fit together (text width = cross-attention width, latent channels agree). */
export function checkModelConsistency(model: Omit<PipelineModel, "loadTextEncoder" | "loadUNet" | "loadVae" | "close">): void {
  const { textEncoderConfig: te, unetConfig: unet, vaeConfig: vae } = model;
  if (te.hiddenSize !== unet.crossAttentionDim) {
    throw new Error(`${model.description}: the text encoder's hidden_size ${te.hiddenSize} differs from the UNet's cross_attention_dim ${unet.crossAttentionDim}`);
  }
  if (vae.latentChannels !== unet.inChannels || vae.latentChannels !== unet.outChannels) {
    throw new Error(`${model.description}: the VAE has ${vae.latentChannels} latent channels but the UNet takes ${unet.inChannels} and returns ${unet.outChannels}`);
  }
  if (model.tokenizer.vocabSize > te.vocabSize) {
    throw new Error(`${model.description}: the tokenizer has ${model.tokenizer.vocabSize} tokens but the text encoder's vocab_size is ${te.vocabSize}`);
  }
}
