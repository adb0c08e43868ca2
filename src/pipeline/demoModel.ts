// The built-in demo model: what `sdts generate` uses when no --model is given, so a fresh clone can run the whole
// pipeline (tokenizer → text encoder → UNet denoising → VAE decode → PNG) in seconds without downloading 4 GB.
// Every part has SD1.5's structure at toy size, with synthetic weights (fixtures README §2: values derived from
// each tensor's name), so it draws abstract noise, not pictures:
//   tokenizer     byte-level BPE over the 256 byte symbols (+ `</w>` forms), a handful of merges, BOS/EOS
//   text encoder  CLIP, hidden 32, 2 layers, 4 heads
//   UNet          the fixture unet-tiny: block_out_channels [32, 64], cross_attention_dim 32, sample_size 16
//   VAE           the fixture vae-mini: block_out_channels [32, 64, 64, 64] (8× downsampling, like SD's)
//   scheduler     SD1.5's PNDM config
// Default image: 16 latents × 8 = 128×128 pixels.
import type { Backend } from "../backend/Backend.js";
import { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import { parseCLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import { tokenizerFromMerges } from "../models/clip/openaiBpeVocab.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";
import { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import { parseAutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";
import { loadWeights } from "../weights/load.js";
import { SyntheticSource } from "../weights/WeightSource.js";
import { checkModelConsistency, type LoadProgressFn, type PipelineModel } from "./PipelineModel.js";
import { SD15_SCHEDULER_CONFIG } from "./sd15SchedulerConfig.js";

export const DEMO_MODEL_NAME = "sdts-demo";

/** A few merges so common words become single tokens; everything else stays byte-level (still valid ids). */
export const DEMO_MERGES: ReadonlyArray<readonly [string, string]> = [
  ["t", "h"], ["th", "e</w>"], ["c", "a"], ["ca", "t</w>"], ["d", "o"], ["do", "g</w>"],
  ["o", "f</w>"], ["i", "n"], ["in", "g</w>"], ["a", "n</w>"],
];

/** 256 + 256 + merges + BOS + EOS. */
export const DEMO_VOCAB_SIZE = 512 + DEMO_MERGES.length + 2;

export const DEMO_TEXT_ENCODER_CONFIG_JSON = {
  architectures: ["CLIPTextModel"],
  model_type: "clip_text_model",
  vocab_size: DEMO_VOCAB_SIZE,
  hidden_size: 32,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  max_position_embeddings: 77,
  hidden_act: "quick_gelu",
  layer_norm_eps: 1e-5,
  bos_token_id: DEMO_VOCAB_SIZE - 2,
  eos_token_id: DEMO_VOCAB_SIZE - 1,
  pad_token_id: DEMO_VOCAB_SIZE - 1,
  projection_dim: 32,
} as const;

export const DEMO_UNET_CONFIG_JSON = {
  _class_name: "UNet2DConditionModel",
  block_out_channels: [32, 64],
  down_block_types: ["CrossAttnDownBlock2D", "DownBlock2D"],
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D"],
  cross_attention_dim: 32,
  attention_head_dim: 8,
  layers_per_block: 2,
  norm_num_groups: 32,
  sample_size: 16,
} as const;

export const DEMO_VAE_CONFIG_JSON = {
  _class_name: "AutoencoderKL",
  block_out_channels: [32, 64, 64, 64],
  down_block_types: ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  up_block_types: ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
  layers_per_block: 2,
  latent_channels: 4,
  norm_num_groups: 32,
  sample_size: 128,
  scaling_factor: 0.18215,
} as const;

const progress = (onProgress?: LoadProgressFn) =>
  onProgress ? { onTensor: (_name: string, index: number, total: number) => onProgress(index + 1, total) } : {};

/** The demo model (no files: configs above, synthetic weights). */
export function openDemoModel(): PipelineModel {
  const textEncoderConfig = parseCLIPTextConfig(DEMO_TEXT_ENCODER_CONFIG_JSON, "demo text encoder config");
  const unetConfig = parseUNetConfig({ ...DEMO_UNET_CONFIG_JSON }, "demo UNet config");
  const vaeConfig = parseAutoencoderKLConfig(DEMO_VAE_CONFIG_JSON, "demo VAE config");
  const model = {
    kind: "demo" as const,
    name: DEMO_MODEL_NAME,
    description: "built-in demo model (tiny SD1.5-shaped networks, synthetic weights)",
    tokenizer: tokenizerFromMerges(DEMO_MERGES),
    textEncoderConfig,
    unetConfig,
    vaeConfig,
    schedulerConfig: SD15_SCHEDULER_CONFIG,
  };
  checkModelConsistency(model);
  const synthetic = new SyntheticSource();
  return {
    ...model,
    loadTextEncoder(backend: Backend, onProgress?: LoadProgressFn): CLIPTextModel {
      const m = new CLIPTextModel(textEncoderConfig);
      loadWeights(m, synthetic, backend, progress(onProgress));
      return m;
    },
    loadUNet(backend: Backend, onProgress?: LoadProgressFn): UNet2DConditionModel {
      const m = new UNet2DConditionModel(unetConfig);
      loadWeights(m, synthetic, backend, progress(onProgress));
      return m;
    },
    loadVae(backend: Backend, onProgress?: LoadProgressFn): AutoencoderKL {
      const m = new AutoencoderKL(vaeConfig);
      loadWeights(m, synthetic, backend, progress(onProgress));
      return m;
    },
    close: () => {},
  };
}
