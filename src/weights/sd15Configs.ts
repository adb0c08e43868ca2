// The model configs an SD1.x single-file checkpoint implies. Such a file holds weights only; the architecture is
// that of stable-diffusion-v1-5: its `unet/config.json`, `vae/config.json` and `text_encoder/config.json`
// (openai/clip-vit-large-patch14's text model). They are given here as plain data in the diffusers/transformers
// JSON spelling (snake_case, every field as diffusers 0.31 writes it), which the model config parsers consume,
// plus the typed layouts the LDM key maps need. Helpers derive those layouts from any such JSON (e.g. a
// case.json's `unet_config`).
import type { LdmClipTextLayout, LdmUnetLayout, LdmVaeLayout } from "./ldmKeyMap.js";

export { SD15_CLIP_TEXT_CONFIG } from "../models/clip/CLIPTextConfig.js";

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** stable-diffusion-v1-5 `unet/config.json`, resolved (UNet2DConditionModel, 859,520,964 parameters). */
export const SD15_UNET_CONFIG_JSON: { readonly [k: string]: Json } = deepFreeze({
  _class_name: "UNet2DConditionModel",
  act_fn: "silu",
  addition_embed_type: null,
  addition_embed_type_num_heads: 64,
  addition_time_embed_dim: null,
  attention_head_dim: 8,
  attention_type: "default",
  block_out_channels: [320, 640, 1280, 1280],
  center_input_sample: false,
  class_embed_type: null,
  class_embeddings_concat: false,
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  cross_attention_dim: 768,
  cross_attention_norm: null,
  down_block_types: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  downsample_padding: 1,
  dropout: 0.0,
  dual_cross_attention: false,
  encoder_hid_dim: null,
  encoder_hid_dim_type: null,
  flip_sin_to_cos: true,
  freq_shift: 0,
  in_channels: 4,
  layers_per_block: 2,
  mid_block_only_cross_attention: null,
  mid_block_scale_factor: 1,
  mid_block_type: "UNetMidBlock2DCrossAttn",
  norm_eps: 1e-5,
  norm_num_groups: 32,
  num_attention_heads: null,
  num_class_embeds: null,
  only_cross_attention: false,
  out_channels: 4,
  projection_class_embeddings_input_dim: null,
  resnet_out_scale_factor: 1.0,
  resnet_skip_time_act: false,
  resnet_time_scale_shift: "default",
  reverse_transformer_layers_per_block: null,
  sample_size: 64,
  time_cond_proj_dim: null,
  time_embedding_act_fn: null,
  time_embedding_dim: null,
  time_embedding_type: "positional",
  timestep_post_act: null,
  transformer_layers_per_block: 1,
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  upcast_attention: false,
  use_linear_projection: false,
});

/** stable-diffusion-v1-5 `vae/config.json`, resolved (AutoencoderKL, 83,653,863 parameters). */
export const SD15_VAE_CONFIG_JSON: { readonly [k: string]: Json } = deepFreeze({
  _class_name: "AutoencoderKL",
  act_fn: "silu",
  block_out_channels: [128, 256, 512, 512],
  down_block_types: ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  force_upcast: true,
  in_channels: 3,
  latent_channels: 4,
  latents_mean: null,
  latents_std: null,
  layers_per_block: 2,
  mid_block_add_attention: true,
  norm_num_groups: 32,
  out_channels: 3,
  sample_size: 512,
  scaling_factor: 0.18215,
  shift_factor: null,
  up_block_types: ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
  use_post_quant_conv: true,
  use_quant_conv: true,
});

/** stable-diffusion-v1-5 `text_encoder/config.json` (CLIPTextModel; legacy token ids 0/2/1 as in that file). */
export const SD15_CLIP_TEXT_CONFIG_JSON: { readonly [k: string]: Json } = deepFreeze({
  architectures: ["CLIPTextModel"],
  attention_dropout: 0.0,
  bos_token_id: 0,
  dropout: 0.0,
  eos_token_id: 2,
  hidden_act: "quick_gelu",
  hidden_size: 768,
  initializer_factor: 1.0,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 77,
  model_type: "clip_text_model",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  projection_dim: 768,
  vocab_size: 49408,
});

export class LayoutConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LayoutConfigError";
  }
}

function field(json: Readonly<Record<string, unknown>>, key: string, source: string): unknown {
  if (!(key in json)) throw new LayoutConfigError(`${source}: missing field "${key}"`);
  return json[key];
}

function intList(json: Readonly<Record<string, unknown>>, key: string, source: string): number[] {
  const v = field(json, key, source);
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && (x as number) > 0)) {
    throw new LayoutConfigError(`${source}: "${key}" is ${JSON.stringify(v)}, expected a non-empty list of positive integers`);
  }
  return v as number[];
}

function strList(json: Readonly<Record<string, unknown>>, key: string, source: string): string[] {
  const v = field(json, key, source);
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new LayoutConfigError(`${source}: "${key}" is ${JSON.stringify(v)}, expected a list of block type names`);
  }
  return v as string[];
}

function posInt(json: Readonly<Record<string, unknown>>, key: string, source: string, fallback?: number): number {
  const v = key in json ? json[key] : fallback;
  if (!Number.isSafeInteger(v) || (v as number) < 1) {
    throw new LayoutConfigError(`${source}: "${key}" is ${JSON.stringify(v)}, expected a positive integer`);
  }
  return v as number;
}

function bool(json: Readonly<Record<string, unknown>>, key: string, source: string, fallback: boolean): boolean {
  const v = json[key] ?? fallback;
  if (typeof v !== "boolean") throw new LayoutConfigError(`${source}: "${key}" is ${JSON.stringify(v)}, expected true or false`);
  return v;
}

/** The naming-relevant part of a diffusers UNet2DConditionModel config JSON. */
export function unetLayoutFromConfigJson(json: Readonly<Record<string, unknown>>, source = "unet/config.json"): LdmUnetLayout {
  const tlpb = json.transformer_layers_per_block ?? 1;
  if (!Number.isSafeInteger(tlpb)) {
    throw new LayoutConfigError(`${source}: "transformer_layers_per_block" is ${JSON.stringify(tlpb)}; only a single integer is supported`);
  }
  const mid = json.mid_block_type ?? "UNetMidBlock2DCrossAttn";
  if (typeof mid !== "string") throw new LayoutConfigError(`${source}: "mid_block_type" is ${JSON.stringify(mid)}, expected a block type name`);
  return {
    blockOutChannels: intList(json, "block_out_channels", source),
    layersPerBlock: posInt(json, "layers_per_block", source),
    downBlockTypes: strList(json, "down_block_types", source),
    upBlockTypes: strList(json, "up_block_types", source),
    midBlockType: mid,
    transformerLayersPerBlock: tlpb as number,
  };
}

/** The naming-relevant part of a diffusers AutoencoderKL config JSON. */
export function vaeLayoutFromConfigJson(json: Readonly<Record<string, unknown>>, source = "vae/config.json"): LdmVaeLayout {
  return {
    blockOutChannels: intList(json, "block_out_channels", source),
    layersPerBlock: posInt(json, "layers_per_block", source),
    midBlockAddAttention: bool(json, "mid_block_add_attention", source, true),
    useQuantConv: bool(json, "use_quant_conv", source, true),
    usePostQuantConv: bool(json, "use_post_quant_conv", source, true),
  };
}

/** The naming-relevant part of a transformers CLIPTextConfig JSON (default num_hidden_layers 12, as transformers). */
export function clipTextLayoutFromConfigJson(json: Readonly<Record<string, unknown>>, source = "text_encoder/config.json"): LdmClipTextLayout {
  return { numHiddenLayers: posInt(json, "num_hidden_layers", source, 12) };
}

export const SD15_UNET_LAYOUT: LdmUnetLayout = deepFreeze(unetLayoutFromConfigJson(SD15_UNET_CONFIG_JSON, "SD15_UNET_CONFIG_JSON"));
export const SD15_VAE_LAYOUT: LdmVaeLayout = deepFreeze(vaeLayoutFromConfigJson(SD15_VAE_CONFIG_JSON, "SD15_VAE_CONFIG_JSON"));
export const SD15_CLIP_TEXT_LAYOUT: LdmClipTextLayout = deepFreeze(clipTextLayoutFromConfigJson(SD15_CLIP_TEXT_CONFIG_JSON, "SD15_CLIP_TEXT_CONFIG_JSON"));
