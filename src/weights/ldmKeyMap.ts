// Name maps between diffusers/transformers state-dict keys and the original LDM/CompVis single-file keys
// (`v1-5-pruned-emaonly.safetensors` and community fine-tunes). Fixtures README §5 `single-file-tiny` gives the
// patterns. The maps are derived exactly from the config (which levels have attentions, which have down/up
// samplers, which resnets change channels and so have a shortcut conv), so a tensor absent from a file can be
// reported under both names, and every key of a file is either mapped or reported as unexpected.
//
// Each map is diffusers name → LDM name *inside the component* (without `model.diffusion_model.`,
// `first_stage_model.`, `cond_stage_model.transformer.`), in diffusers `state_dict` order.

// The maps take the typed model configs, or only the fields that decide parameter names. Those configs admit
// SD1.x's architecture only (one transformer block per attention, UNetMidBlock2DCrossAttn, VAE with quant convs
// and a mid-block attention), so that is the layout mapped here.
import type { CLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import type { UNetConfig } from "../models/unet/UNetConfig.js";
import type { AutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";

/** The fields of a UNet config that decide its parameter names. */
export type UNetKeyMapConfig = Pick<UNetConfig, "blockOutChannels" | "layersPerBlock" | "downBlockTypes" | "upBlockTypes">;
/** The fields of a VAE config that decide its parameter names. */
export type VaeKeyMapConfig = Pick<AutoencoderKLConfig, "blockOutChannels" | "layersPerBlock">;
/** The field of a CLIP text config that decides its parameter names. */
export type ClipTextKeyMapConfig = Pick<CLIPTextConfig, "numHiddenLayers">;

export class KeyMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyMapError";
  }
}

/** Builds a map and refuses two diffusers names landing on one LDM name (that would be a bug here). */
class MapBuilder {
  readonly map = new Map<string, string>();
  private readonly seen = new Set<string>();

  add(diffusers: string, ldm: string): void {
    if (this.map.has(diffusers) || this.seen.has(ldm)) {
      throw new KeyMapError(`internal: duplicate key mapping ${diffusers} → ${ldm}`);
    }
    this.map.set(diffusers, ldm);
    this.seen.add(ldm);
  }

  /** `<d>.weight`/`<d>.bias` → `<l>.weight`/`<l>.bias`. */
  wb(d: string, l: string, bias = true): void {
    this.add(`${d}.weight`, `${l}.weight`);
    if (bias) this.add(`${d}.bias`, `${l}.bias`);
  }
}

function checkLevels(kind: string, channels: readonly number[], layersPerBlock: number): void {
  if (channels.length === 0 || !channels.every((c) => Number.isSafeInteger(c) && c > 0)) {
    throw new KeyMapError(`${kind}: blockOutChannels ${JSON.stringify(channels)} must be a non-empty list of positive integers`);
  }
  if (!Number.isSafeInteger(layersPerBlock) || layersPerBlock < 1) {
    throw new KeyMapError(`${kind}: layersPerBlock ${layersPerBlock} must be a positive integer`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// UNet (`model.diffusion_model.*`)

/** ResnetBlock2D of the UNet ↔ LDM ResBlock (in_layers = [GroupNorm, SiLU, Conv], out_layers = [GroupNorm, SiLU, Dropout, Conv]). */
function unetResnet(b: MapBuilder, d: string, l: string, shortcut: boolean): void {
  b.wb(`${d}.norm1`, `${l}.in_layers.0`);
  b.wb(`${d}.conv1`, `${l}.in_layers.2`);
  b.wb(`${d}.time_emb_proj`, `${l}.emb_layers.1`);
  b.wb(`${d}.norm2`, `${l}.out_layers.0`);
  b.wb(`${d}.conv2`, `${l}.out_layers.3`);
  if (shortcut) b.wb(`${d}.conv_shortcut`, `${l}.skip_connection`);
}

/** Transformer2DModel (one transformer block, SD1.x) ↔ LDM SpatialTransformer: identical names inside, no shape change. */
function unetTransformer(b: MapBuilder, d: string, l: string): void {
  b.wb(`${d}.norm`, `${l}.norm`);
  b.wb(`${d}.proj_in`, `${l}.proj_in`);
  const td = `${d}.transformer_blocks.0`;
  const tl = `${l}.transformer_blocks.0`;
  b.wb(`${td}.norm1`, `${tl}.norm1`);
  for (const attn of ["attn1", "attn2"]) {
    // q/k/v projections have no bias in SD1.x's attention; the output projection has one.
    for (const p of ["to_q", "to_k", "to_v"]) b.wb(`${td}.${attn}.${p}`, `${tl}.${attn}.${p}`, false);
    b.wb(`${td}.${attn}.to_out.0`, `${tl}.${attn}.to_out.0`);
    if (attn === "attn1") b.wb(`${td}.norm2`, `${tl}.norm2`);
  }
  b.wb(`${td}.norm3`, `${tl}.norm3`);
  b.wb(`${td}.ff.net.0.proj`, `${tl}.ff.net.0.proj`);
  b.wb(`${td}.ff.net.2`, `${tl}.ff.net.2`);
  b.wb(`${d}.proj_out`, `${l}.proj_out`);
}

/**
 * diffusers UNet2DConditionModel name → LDM UNetModel name, for every parameter, in diffusers state_dict order.
 *
 * LDM numbers its blocks flat: `input_blocks.0` = conv_in; down level i has resnets/attentions at
 * `input_blocks.(i·(L+1)+j+1).{0,1}` and its downsampler at `input_blocks.((i+1)·(L+1)).0.op`;
 * `middle_block.{0,1,2}` = resnet, attention, resnet; up level i has L+1 resnets/attentions at
 * `output_blocks.(i·(L+1)+j).{0,1}` and its upsampler after them in the last block (`.1.conv`, or `.2.conv`
 * when the level has attentions). L = layers_per_block.
 */
export function ldmUnetKeyMap(config: UNetKeyMapConfig): Map<string, string> {
  const { blockOutChannels: ch, layersPerBlock: L, downBlockTypes, upBlockTypes } = config;
  checkLevels("UNet", ch, L);
  const n = ch.length;
  if (downBlockTypes.length !== n || upBlockTypes.length !== n) {
    throw new KeyMapError(
      `UNet: ${n} blockOutChannels but ${downBlockTypes.length} downBlockTypes and ${upBlockTypes.length} upBlockTypes (need one of each per level)`,
    );
  }
  const downAttn = downBlockTypes.map((t) => t === "CrossAttnDownBlock2D");
  const upAttn = upBlockTypes.map((t) => t === "CrossAttnUpBlock2D");

  const b = new MapBuilder();
  b.wb("conv_in", "input_blocks.0.0");
  b.wb("time_embedding.linear_1", "time_embed.0");
  b.wb("time_embedding.linear_2", "time_embed.2");

  // Down levels. A resnet changes channels (and has a 1×1 shortcut conv) only as the first of a level whose
  // width differs from the previous level's.
  for (let i = 0; i < n; i++) {
    const inCh = ch[Math.max(i - 1, 0)]!;
    // diffusers registers a block's attentions before its resnets.
    if (downAttn[i]) {
      for (let j = 0; j < L; j++) unetTransformer(b, `down_blocks.${i}.attentions.${j}`, `input_blocks.${i * (L + 1) + j + 1}.1`);
    }
    for (let j = 0; j < L; j++) {
      unetResnet(b, `down_blocks.${i}.resnets.${j}`, `input_blocks.${i * (L + 1) + j + 1}.0`, j === 0 && inCh !== ch[i]);
    }
    if (i < n - 1) b.wb(`down_blocks.${i}.downsamplers.0.conv`, `input_blocks.${(i + 1) * (L + 1)}.0.op`);
  }

  // Up levels (state_dict order: diffusers creates `up_blocks` before `mid_block`). Every up resnet takes the
  // concatenation [h, skip] so its input width differs from its output: all have a shortcut conv.
  for (let i = 0; i < n; i++) {
    if (upAttn[i]) {
      for (let j = 0; j <= L; j++) unetTransformer(b, `up_blocks.${i}.attentions.${j}`, `output_blocks.${i * (L + 1) + j}.1`);
    }
    for (let j = 0; j <= L; j++) unetResnet(b, `up_blocks.${i}.resnets.${j}`, `output_blocks.${i * (L + 1) + j}.0`, true);
    if (i < n - 1) {
      b.wb(`up_blocks.${i}.upsamplers.0.conv`, `output_blocks.${i * (L + 1) + L}.${upAttn[i] ? 2 : 1}.conv`);
    }
  }

  unetTransformer(b, "mid_block.attentions.0", "middle_block.1");
  unetResnet(b, "mid_block.resnets.0", "middle_block.0", false);
  unetResnet(b, "mid_block.resnets.1", "middle_block.2", false);

  b.wb("conv_norm_out", "out.0");
  b.wb("conv_out", "out.2");
  return b.map;
}

// ---------------------------------------------------------------------------------------------------------
// VAE (`first_stage_model.*`)

function vaeResnet(b: MapBuilder, d: string, l: string, shortcut: boolean): void {
  for (const p of ["norm1", "conv1", "norm2", "conv2"]) b.wb(`${d}.${p}`, `${l}.${p}`);
  if (shortcut) b.wb(`${d}.conv_shortcut`, `${l}.nin_shortcut`);
}

/** diffusers' mid-block Attention ↔ LDM AttnBlock. The q/k/v/proj_out weights also change shape (see below). */
const VAE_ATTN: ReadonlyArray<readonly [string, string]> = [
  ["group_norm", "norm"],
  ["to_q", "q"],
  ["to_k", "k"],
  ["to_v", "v"],
  ["to_out.0", "proj_out"],
];

function vaeMid(b: MapBuilder, side: "encoder" | "decoder"): void {
  // UNetMidBlock2D registers its attentions before its resnets.
  for (const [d, l] of VAE_ATTN) b.wb(`${side}.mid_block.attentions.0.${d}`, `${side}.mid.attn_1.${l}`);
  vaeResnet(b, `${side}.mid_block.resnets.0`, `${side}.mid.block_1`, false);
  vaeResnet(b, `${side}.mid_block.resnets.1`, `${side}.mid.block_2`, false);
}

/**
 * diffusers AutoencoderKL name → LDM AutoencoderKL name, for every parameter, in diffusers state_dict order.
 * The encoder's levels keep their numbers (`encoder.down.i`); the decoder's are numbered the other way round
 * (`decoder.up_blocks.i` ↔ `decoder.up.(n−1−i)`), because LDM indexes them by resolution.
 */
export function ldmVaeKeyMap(config: VaeKeyMapConfig): Map<string, string> {
  const { blockOutChannels: ch, layersPerBlock: L } = config;
  checkLevels("VAE", ch, L);
  const n = ch.length;
  const b = new MapBuilder();

  b.wb("encoder.conv_in", "encoder.conv_in");
  for (let i = 0; i < n; i++) {
    const inCh = ch[Math.max(i - 1, 0)]!;
    for (let j = 0; j < L; j++) {
      vaeResnet(b, `encoder.down_blocks.${i}.resnets.${j}`, `encoder.down.${i}.block.${j}`, j === 0 && inCh !== ch[i]);
    }
    if (i < n - 1) b.wb(`encoder.down_blocks.${i}.downsamplers.0.conv`, `encoder.down.${i}.downsample.conv`);
  }
  vaeMid(b, "encoder");
  b.wb("encoder.conv_norm_out", "encoder.norm_out");
  b.wb("encoder.conv_out", "encoder.conv_out");

  // Decoder state_dict order: conv_in, up_blocks (created before mid_block), mid_block, conv_norm_out, conv_out.
  b.wb("decoder.conv_in", "decoder.conv_in");
  const rev = [...ch].reverse();
  for (let i = 0; i < n; i++) {
    const prevCh = rev[Math.max(i - 1, 0)]!;
    for (let j = 0; j <= L; j++) {
      vaeResnet(b, `decoder.up_blocks.${i}.resnets.${j}`, `decoder.up.${n - 1 - i}.block.${j}`, j === 0 && prevCh !== rev[i]);
    }
    if (i < n - 1) b.wb(`decoder.up_blocks.${i}.upsamplers.0.conv`, `decoder.up.${n - 1 - i}.upsample.conv`);
  }
  vaeMid(b, "decoder");
  b.wb("decoder.conv_norm_out", "decoder.norm_out");
  b.wb("decoder.conv_out", "decoder.conv_out");

  b.wb("quant_conv", "quant_conv");
  b.wb("post_quant_conv", "post_quant_conv");
  return b.map;
}

/**
 * The VAE attention weights stored as 1×1 conv weights [C, C, 1, 1] by LDM and as Linear weights [C, C] by
 * diffusers: the same numbers in the same order (a reshape, not a transpose). Biases are [C] in both.
 */
export function isVaeAttentionProjection(diffusersName: string): boolean {
  return /^(encoder|decoder)\.mid_block\.attentions\.\d+\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(diffusersName);
}

// ---------------------------------------------------------------------------------------------------------
// CLIP text encoder (`cond_stage_model.transformer.*`)

/**
 * transformers CLIPTextModel name → LDM name under `cond_stage_model.transformer.`. SD1.x's FrozenCLIPEmbedder
 * wraps a transformers CLIPTextModel, so the names are transformers' own (`text_model.…`); files written
 * with transformers < 4.x lack the `text_model.` level — `ldmClipTextAlternative` gives that spelling.
 */
export function ldmClipTextKeyMap(config: ClipTextKeyMapConfig): Map<string, string> {
  const layers = config.numHiddenLayers;
  if (!Number.isSafeInteger(layers) || layers < 1) throw new KeyMapError(`CLIP: numHiddenLayers ${layers} must be a positive integer`);
  const b = new MapBuilder();
  const same = (d: string, bias = true): void => b.wb(d, d, bias);
  same("text_model.embeddings.token_embedding", false);
  same("text_model.embeddings.position_embedding", false);
  for (let i = 0; i < layers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    for (const proj of ["k_proj", "v_proj", "q_proj", "out_proj"]) same(`${p}.self_attn.${proj}`);
    same(`${p}.layer_norm1`);
    same(`${p}.mlp.fc1`);
    same(`${p}.mlp.fc2`);
    same(`${p}.layer_norm2`);
  }
  same("text_model.final_layer_norm");
  return b.map;
}

/** The older spelling of a CLIP LDM name, without the `text_model.` level (or undefined). */
export function ldmClipTextAlternative(ldmName: string): string | undefined {
  return ldmName.startsWith("text_model.") ? ldmName.slice("text_model.".length) : undefined;
}
