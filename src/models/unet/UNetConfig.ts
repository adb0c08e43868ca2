// The SD1.x UNet configuration: the fields of diffusers' `unet/config.json` that SD1.x sets, typed.
// Every other field must hold the value SD1.x uses; anything else changes the architecture and is rejected
// with an error naming the field and value (we keep only what SD1.x needs).

export type DownBlockType = "CrossAttnDownBlock2D" | "DownBlock2D";
export type UpBlockType = "UpBlock2D" | "CrossAttnUpBlock2D";

export interface UNetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly DownBlockType[];
  readonly upBlockTypes: readonly UpBlockType[];
  readonly layersPerBlock: number;
  /** Heads per level. (SD1.x's `attention_head_dim: 8` is, by legacy naming, the number of heads.) */
  readonly attentionHeads: readonly number[];
  readonly crossAttentionDim: number;
  readonly normNumGroups: number;
  readonly normEps: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  readonly downsamplePadding: number;
  /** Latent size the model was trained at (64 for 512×512); informational. */
  readonly sampleSize: number;
}

export const SD15_UNET_CONFIG: UNetConfig = {
  inChannels: 4,
  outChannels: 4,
  blockOutChannels: [320, 640, 1280, 1280],
  downBlockTypes: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  upBlockTypes: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
  layersPerBlock: 2,
  attentionHeads: [8, 8, 8, 8],
  crossAttentionDim: 768,
  normNumGroups: 32,
  normEps: 1e-5,
  flipSinToCos: true,
  freqShift: 0,
  downsamplePadding: 1,
  sampleSize: 64,
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Fields that must keep SD1.x's value (a missing field means diffusers' default, which is that value). */
const FIXED: Record<string, unknown> = {
  act_fn: "silu",
  addition_embed_type: null,
  addition_time_embed_dim: null,
  attention_type: "default",
  center_input_sample: false,
  class_embed_type: null,
  class_embeddings_concat: false,
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  cross_attention_norm: null,
  dual_cross_attention: false,
  encoder_hid_dim: null,
  encoder_hid_dim_type: null,
  mid_block_only_cross_attention: null,
  mid_block_scale_factor: 1,
  mid_block_type: "UNetMidBlock2DCrossAttn",
  num_class_embeds: null,
  only_cross_attention: false,
  projection_class_embeddings_input_dim: null,
  resnet_out_scale_factor: 1,
  resnet_skip_time_act: false,
  resnet_time_scale_shift: "default",
  reverse_transformer_layers_per_block: null,
  time_cond_proj_dim: null,
  time_embedding_act_fn: null,
  time_embedding_dim: null,
  time_embedding_type: "positional",
  timestep_post_act: null,
  transformer_layers_per_block: 1,
  upcast_attention: false,
  use_linear_projection: false,
};

const KNOWN = new Set([
  ...Object.keys(FIXED),
  "_class_name", "_diffusers_version", "_name_or_path", "in_channels", "out_channels", "block_out_channels",
  "down_block_types", "up_block_types", "layers_per_block", "attention_head_dim", "num_attention_heads",
  "cross_attention_dim", "norm_num_groups", "norm_eps", "flip_sin_to_cos", "freq_shift", "downsample_padding",
  "sample_size", "dropout", "addition_embed_type_num_heads",
]);

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return a.every((x) => sameValue(x, b)); // per-block lists: every entry must match
  return a === b;
}

function intField(json: Record<string, unknown>, name: string, fallback?: number): number {
  const v = json[name] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ConfigError(`unet config: "${name}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Parse and validate a diffusers UNet2DConditionModel config.json object. */
export function parseUNetConfig(json: Record<string, unknown>, source = "unet config"): UNetConfig {
  const err = (msg: string) => new ConfigError(`${source}: ${msg}`);
  if (json._class_name !== undefined && json._class_name !== "UNet2DConditionModel") {
    throw err(`"_class_name" is ${JSON.stringify(json._class_name)}, expected "UNet2DConditionModel"`);
  }
  for (const [field, want] of Object.entries(FIXED)) {
    if (field in json && json[field] !== undefined && !sameValue(json[field], want) && !(want === 1 && json[field] === 1.0)) {
      throw err(`unsupported "${field}": ${JSON.stringify(json[field])} (sdts implements SD1.x, which uses ${JSON.stringify(want)})`);
    }
  }
  for (const field of Object.keys(json)) {
    if (!KNOWN.has(field)) throw err(`unknown field "${field}" (not part of SD1.x's UNet2DConditionModel config)`);
  }
  const blockOutChannels = json.block_out_channels;
  if (!Array.isArray(blockOutChannels) || blockOutChannels.length === 0 || !blockOutChannels.every((c) => Number.isInteger(c) && c > 0)) {
    throw err(`"block_out_channels" must be a non-empty list of positive integers, got ${JSON.stringify(blockOutChannels)}`);
  }
  const levels = blockOutChannels.length;
  const down = json.down_block_types ?? SD15_UNET_CONFIG.downBlockTypes;
  const up = json.up_block_types ?? SD15_UNET_CONFIG.upBlockTypes;
  if (!Array.isArray(down) || down.length !== levels || !down.every((t) => t === "CrossAttnDownBlock2D" || t === "DownBlock2D")) {
    throw err(`"down_block_types" must list ${levels} of CrossAttnDownBlock2D / DownBlock2D, got ${JSON.stringify(down)}`);
  }
  if (!Array.isArray(up) || up.length !== levels || !up.every((t) => t === "CrossAttnUpBlock2D" || t === "UpBlock2D")) {
    throw err(`"up_block_types" must list ${levels} of CrossAttnUpBlock2D / UpBlock2D, got ${JSON.stringify(up)}`);
  }
  // diffusers: num_attention_heads = num_attention_heads or attention_head_dim (the legacy naming).
  const headsRaw = json.num_attention_heads ?? json.attention_head_dim ?? 8;
  const heads = typeof headsRaw === "number" ? Array(levels).fill(headsRaw) : headsRaw;
  if (!Array.isArray(heads) || heads.length !== levels || !heads.every((h) => Number.isInteger(h) && h > 0)) {
    throw err(`"attention_head_dim" must be a positive integer or a list of ${levels}, got ${JSON.stringify(headsRaw)}`);
  }
  if (json.num_attention_heads != null && json.attention_head_dim != null && json.attention_head_dim !== 8 && !sameValue(json.num_attention_heads, json.attention_head_dim)) {
    throw err(`"num_attention_heads" (${JSON.stringify(json.num_attention_heads)}) and "attention_head_dim" (${JSON.stringify(json.attention_head_dim)}) disagree; SD1.x sets only attention_head_dim`);
  }
  const crossAttentionDim = json.cross_attention_dim ?? 1280;
  if (typeof crossAttentionDim !== "number" || !Number.isInteger(crossAttentionDim) || crossAttentionDim <= 0) {
    throw err(`"cross_attention_dim" must be a positive integer, got ${JSON.stringify(crossAttentionDim)}`);
  }
  const normEps = json.norm_eps ?? 1e-5;
  if (typeof normEps !== "number" || !(normEps > 0)) throw err(`"norm_eps" must be a positive number, got ${JSON.stringify(normEps)}`);
  const flip = json.flip_sin_to_cos ?? true;
  if (typeof flip !== "boolean") throw err(`"flip_sin_to_cos" must be a boolean, got ${JSON.stringify(flip)}`);
  const freqShift = json.freq_shift ?? 0;
  if (typeof freqShift !== "number") throw err(`"freq_shift" must be a number, got ${JSON.stringify(freqShift)}`);
  const groups = intField(json, "norm_num_groups", 32);
  for (const c of blockOutChannels as number[]) {
    if (groups === 0 || c % groups !== 0) throw err(`block_out_channels entry ${c} is not divisible by norm_num_groups ${groups}`);
  }
  (heads as number[]).forEach((h, i) => {
    if ((blockOutChannels as number[])[i]! % h !== 0) throw err(`block_out_channels[${i}] = ${(blockOutChannels as number[])[i]} is not divisible by ${h} attention heads`);
  });
  return {
    inChannels: intField(json, "in_channels", 4),
    outChannels: intField(json, "out_channels", 4),
    blockOutChannels: blockOutChannels as number[],
    downBlockTypes: down as DownBlockType[],
    upBlockTypes: up as UpBlockType[],
    layersPerBlock: intField(json, "layers_per_block", 2),
    attentionHeads: heads as number[],
    crossAttentionDim,
    normNumGroups: groups,
    normEps,
    flipSinToCos: flip,
    freqShift,
    downsamplePadding: intField(json, "downsample_padding", 1),
    sampleSize: intField(json, "sample_size", 64),
  };
}
