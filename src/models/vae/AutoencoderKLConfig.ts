// The SD1.x VAE configuration: diffusers' `vae/config.json` for `AutoencoderKL`, typed.
// Only the architecture SD1.x uses is implemented (DownEncoderBlock2D / UpDecoderBlock2D levels, SiLU,
// quant_conv and post_quant_conv, a mid-block attention, plain `latents · scaling_factor` scaling). Any value
// that would change that architecture or the latent scaling is rejected with an error naming the field and
// the value, instead of silently computing something else.
import { readFileSync } from "node:fs";
import { ConfigError } from "../unet/UNetConfig.js";

export { ConfigError };

export interface AutoencoderKLConfig {
  /** Image channels in (3, RGB). */
  readonly inChannels: number;
  /** Image channels out (3, RGB). */
  readonly outChannels: number;
  /** Latent channels (4); the encoder emits 2× this (mean and log-variance). */
  readonly latentChannels: number;
  /** Channels per level, highest resolution first; one halving per level after the first. */
  readonly blockOutChannels: readonly number[];
  /** Resnets per encoder level; decoder levels have one more. */
  readonly layersPerBlock: number;
  readonly normNumGroups: number;
  /** Latents for the UNet are `mean · scalingFactor`; the decoder gets `latents / scalingFactor`. */
  readonly scalingFactor: number;
  /** Image size the model was trained at (512); informational (diffusers uses it only for tiling). */
  readonly sampleSize: number | readonly [number, number];
  /** diffusers runs this VAE in float32 under fp16 pipelines; sdts computes in float32 anyway. */
  readonly forceUpcast: boolean;
}

/** stable-diffusion-v1-5 `vae/config.json` (83,653,863 parameters). */
export const SD15_VAE_CONFIG: AutoencoderKLConfig = Object.freeze({
  inChannels: 3,
  outChannels: 3,
  latentChannels: 4,
  blockOutChannels: Object.freeze([128, 256, 512, 512]),
  layersPerBlock: 2,
  normNumGroups: 32,
  scalingFactor: 0.18215,
  sampleSize: 512,
  forceUpcast: true,
});

/** Every field diffusers' AutoencoderKL config may hold (0.31), plus the bookkeeping `_…` ones. */
const KNOWN = new Set([
  "in_channels", "out_channels", "down_block_types", "up_block_types", "block_out_channels", "layers_per_block",
  "act_fn", "latent_channels", "norm_num_groups", "sample_size", "scaling_factor", "shift_factor", "latents_mean",
  "latents_std", "force_upcast", "use_quant_conv", "use_post_quant_conv", "mid_block_add_attention",
]);

/**
 * Parse and validate a diffusers AutoencoderKL config.json object. Missing fields take diffusers' defaults
 * (as `AutoencoderKL.from_config` would); `source` names the file in error messages.
 */
export function parseAutoencoderKLConfig(json: unknown, source = "vae/config.json"): AutoencoderKLConfig {
  const err = (msg: string) => new ConfigError(`${source}: ${msg}`);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw err("expected a JSON object (a diffusers AutoencoderKL config)");
  const raw = json as Record<string, unknown>;

  if (raw._class_name !== undefined && raw._class_name !== "AutoencoderKL") {
    throw err(`"_class_name" is ${JSON.stringify(raw._class_name)}, expected "AutoencoderKL"`);
  }
  const unknown = Object.keys(raw).filter((k) => !k.startsWith("_") && !KNOWN.has(k));
  if (unknown.length) throw err(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} (not part of diffusers' AutoencoderKL config)`);

  // Fields whose only supported value is SD1.x's (absent = diffusers' default, which is that value).
  const fixed = (field: string, want: unknown, why: string): void => {
    if (field in raw && raw[field] !== want) {
      throw err(`unsupported "${field}": ${JSON.stringify(raw[field])} (sdts implements SD1.x's VAE, which uses ${JSON.stringify(want)}; ${why})`);
    }
  };
  fixed("act_fn", "silu", "another activation changes every resnet");
  fixed("use_quant_conv", true, "without it the encoder output is not passed through quant_conv");
  fixed("use_post_quant_conv", true, "without it the latents are not passed through post_quant_conv");
  fixed("mid_block_add_attention", true, "without it the mid blocks have no attention");
  fixed("shift_factor", null, "a shift changes the latent scaling to (latents − shift)·scale");
  fixed("latents_mean", null, "per-channel latent statistics change the latent scaling");
  fixed("latents_std", null, "per-channel latent statistics change the latent scaling");

  const posInt = (field: string, fallback: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw err(`"${field}" is ${JSON.stringify(v)}, expected a positive integer`);
    return v;
  };

  // diffusers' defaults: block_out_channels (64,), one DownEncoderBlock2D / UpDecoderBlock2D.
  const blockOutChannels = raw.block_out_channels ?? [64];
  if (!Array.isArray(blockOutChannels) || blockOutChannels.length === 0 ||
      !blockOutChannels.every((c) => typeof c === "number" && Number.isSafeInteger(c) && c > 0)) {
    throw err(`"block_out_channels" is ${JSON.stringify(blockOutChannels)}, expected a non-empty list of positive integers`);
  }
  const levels = blockOutChannels.length;
  const blockTypes = (field: string, want: string): void => {
    const v = raw[field] ?? [want];
    if (!Array.isArray(v) || v.length !== levels) {
      throw err(`"${field}" is ${JSON.stringify(v)}, expected a list of ${levels} block types (one per block_out_channels entry)`);
    }
    const bad = v.findIndex((t) => t !== want);
    if (bad >= 0) throw err(`unsupported "${field}"[${bad}]: ${JSON.stringify(v[bad])} (only ${want} is implemented, as in SD1.x)`);
  };
  blockTypes("down_block_types", "DownEncoderBlock2D");
  blockTypes("up_block_types", "UpDecoderBlock2D");

  const normNumGroups = posInt("norm_num_groups", 32);
  (blockOutChannels as number[]).forEach((c, i) => {
    if (c % normNumGroups !== 0) throw err(`block_out_channels[${i}] = ${c} is not divisible by norm_num_groups ${normNumGroups}`);
  });

  const scalingFactor = raw.scaling_factor ?? 0.18215;
  if (typeof scalingFactor !== "number" || !Number.isFinite(scalingFactor) || !(scalingFactor > 0)) {
    throw err(`"scaling_factor" is ${JSON.stringify(scalingFactor)}, expected a positive number`);
  }
  const sampleSizeRaw = raw.sample_size ?? 32;
  const isDim = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x > 0;
  let sampleSize: number | readonly [number, number];
  if (isDim(sampleSizeRaw)) sampleSize = sampleSizeRaw;
  else if (Array.isArray(sampleSizeRaw) && sampleSizeRaw.length === 2 && sampleSizeRaw.every(isDim)) sampleSize = [sampleSizeRaw[0], sampleSizeRaw[1]];
  else throw err(`"sample_size" is ${JSON.stringify(sampleSizeRaw)}, expected a positive integer or [height, width]`);
  const forceUpcast = raw.force_upcast ?? true;
  if (typeof forceUpcast !== "boolean") throw err(`"force_upcast" is ${JSON.stringify(forceUpcast)}, expected true or false`);

  return {
    inChannels: posInt("in_channels", 3),
    outChannels: posInt("out_channels", 3),
    latentChannels: posInt("latent_channels", 4),
    blockOutChannels: blockOutChannels as number[],
    layersPerBlock: posInt("layers_per_block", 1),
    normNumGroups,
    scalingFactor,
    sampleSize,
    forceUpcast,
  };
}

/** Read and parse a `vae/config.json` file. */
export function readAutoencoderKLConfig(path: string): AutoencoderKLConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${path}: cannot read the VAE config (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseAutoencoderKLConfig(json, path);
}
