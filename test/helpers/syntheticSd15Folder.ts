// Writes a full-size SD1.5 diffusers folder whose weights are the synthetic values of fixtures README §2 (each
// tensor a function of its name), so the whole pipeline can run at SD1.5 scale without downloading 4 GB.
// Tensors are generated and written one at a time (the UNet alone is 1.7 GB in fp16), never all in memory.
import assert from "node:assert/strict";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CLIPTextModel } from "../../src/models/clip/CLIPTextModel.js";
import { parseCLIPTextConfig, SD15_CLIP_TEXT_CONFIG, type CLIPTextConfig } from "../../src/models/clip/CLIPTextConfig.js";
import { UNet2DConditionModel } from "../../src/models/unet/UNet2DConditionModel.js";
import { parseUNetConfig, SD15_UNET_CONFIG, type UNetConfig } from "../../src/models/unet/UNetConfig.js";
import { AutoencoderKL } from "../../src/models/vae/AutoencoderKL.js";
import { parseAutoencoderKLConfig, SD15_VAE_CONFIG, type AutoencoderKLConfig } from "../../src/models/vae/AutoencoderKLConfig.js";
import type { Module } from "../../src/nn/Module.js";
import { SD15_SCHEDULER_CONFIG } from "../../src/pipeline/sd15SchedulerConfig.js";
import { isVaeAttentionProjection, ldmClipTextKeyMap, ldmUnetKeyMap, ldmVaeKeyMap } from "../../src/weights/ldmKeyMap.js";
import { SafetensorsFile } from "../../src/weights/safetensors.js";
import { LDM_PREFIX } from "../../src/weights/singleFile.js";
import { syntheticParameter } from "../../src/weights/synthetic.js";
import { fixturePath } from "./fixtures.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (the synthetic values are small and normal). */
function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - exp;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** A safetensors file of `model`'s parameters (synthetic values), written tensor by tensor. */
export function writeSyntheticWeights(path: string, model: Module, dtype: "F16" | "F32"): void {
  const params = model.namedParameters();
  const bytesPer = dtype === "F16" ? 2 : 4;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, shape] of params) {
    const bytes = shape.reduce((a, b) => a * b, 1) * bytesPer;
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 8 !== 0) json += " ";
  const fd = openSync(path, "w");
  try {
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeAll(fd, head);
    writeAll(fd, Buffer.from(json, "utf8"));
    for (const [name, shape] of params) {
      const values = syntheticParameter(name, shape);
      if (dtype === "F32") {
        writeAll(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      } else {
        const half = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) half[i] = toHalf(values[i]!);
        writeAll(fd, new Uint8Array(half.buffer));
      }
    }
  } finally {
    closeSync(fd);
  }
}

// The `config.json` files of the folder, written from the typed SD1.5 configs in the diffusers/transformers
// spelling (fields left out take the library defaults, which are SD1.x's). Each is checked to parse back to
// the config it came from, so the folder describes exactly the model sdts builds.

function unetConfigJson(c: UNetConfig): Record<string, unknown> {
  const heads = c.attentionHeads;
  const json = {
    _class_name: "UNet2DConditionModel",
    in_channels: c.inChannels,
    out_channels: c.outChannels,
    block_out_channels: [...c.blockOutChannels],
    down_block_types: [...c.downBlockTypes],
    up_block_types: [...c.upBlockTypes],
    layers_per_block: c.layersPerBlock,
    // SD1.x's legacy spelling: `attention_head_dim` holds the number of heads.
    attention_head_dim: heads.every((h) => h === heads[0]) ? heads[0] : [...heads],
    cross_attention_dim: c.crossAttentionDim,
    norm_num_groups: c.normNumGroups,
    norm_eps: c.normEps,
    flip_sin_to_cos: c.flipSinToCos,
    freq_shift: c.freqShift,
    downsample_padding: c.downsamplePadding,
    sample_size: c.sampleSize,
  };
  assert.deepEqual(parseUNetConfig(json), c, "unet config.json does not parse back");
  return json;
}

function vaeConfigJson(c: AutoencoderKLConfig): Record<string, unknown> {
  const levels = c.blockOutChannels.length;
  const json = {
    _class_name: "AutoencoderKL",
    in_channels: c.inChannels,
    out_channels: c.outChannels,
    latent_channels: c.latentChannels,
    block_out_channels: [...c.blockOutChannels],
    down_block_types: Array<string>(levels).fill("DownEncoderBlock2D"),
    up_block_types: Array<string>(levels).fill("UpDecoderBlock2D"),
    layers_per_block: c.layersPerBlock,
    norm_num_groups: c.normNumGroups,
    scaling_factor: c.scalingFactor,
    sample_size: c.sampleSize,
    force_upcast: c.forceUpcast,
  };
  assert.deepEqual(parseAutoencoderKLConfig(json), c, "vae config.json does not parse back");
  return json;
}

function clipTextConfigJson(c: CLIPTextConfig): Record<string, unknown> {
  const json = {
    architectures: ["CLIPTextModel"],
    model_type: "clip_text_model",
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    max_position_embeddings: c.maxPositionEmbeddings,
    hidden_act: c.hiddenAct,
    layer_norm_eps: c.layerNormEps,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    pad_token_id: c.padTokenId,
    projection_dim: c.projectionDim,
  };
  assert.deepEqual(parseCLIPTextConfig(json), c, "text_encoder config.json does not parse back");
  return json;
}

/**
 * `dir` becomes an SD1.5 diffusers folder: the real configs, the SD1.5 tokenizer files, synthetic weights in
 * `dtype` — named `*.fp16.safetensors` (the Hub's fp16 variant) when F16.
 */
export function writeSyntheticSd15Folder(dir: string, dtype: "F16" | "F32" = "F16"): void {
  const suffix = dtype === "F16" ? ".fp16.safetensors" : ".safetensors";
  const part = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    return join(dir, name);
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model_index.json"), JSON.stringify({
    _class_name: "StableDiffusionPipeline", _diffusers_version: "0.31.0",
    scheduler: ["diffusers", "PNDMScheduler"], text_encoder: ["transformers", "CLIPTextModel"], tokenizer: ["transformers", "CLIPTokenizer"],
    unet: ["diffusers", "UNet2DConditionModel"], vae: ["diffusers", "AutoencoderKL"], safety_checker: [null, null], feature_extractor: [null, null],
  }, null, 2));
  writeFileSync(join(part("scheduler"), "scheduler_config.json"), JSON.stringify(SD15_SCHEDULER_CONFIG, null, 2));
  for (const f of ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]) {
    copyFileSync(fixturePath("clip-vocab", f), join(part("tokenizer"), f));
  }
  writeFileSync(join(part("text_encoder"), "config.json"), JSON.stringify(clipTextConfigJson(SD15_CLIP_TEXT_CONFIG), null, 2));
  writeSyntheticWeights(join(dir, "text_encoder", `model${suffix}`), new CLIPTextModel(SD15_CLIP_TEXT_CONFIG), dtype);
  writeFileSync(join(part("unet"), "config.json"), JSON.stringify(unetConfigJson(SD15_UNET_CONFIG), null, 2));
  writeSyntheticWeights(join(dir, "unet", `diffusion_pytorch_model${suffix}`), new UNet2DConditionModel(SD15_UNET_CONFIG), dtype);
  writeFileSync(join(part("vae"), "config.json"), JSON.stringify(vaeConfigJson(SD15_VAE_CONFIG), null, 2));
  writeSyntheticWeights(join(dir, "vae", `diffusion_pytorch_model${suffix}`), new AutoencoderKL(SD15_VAE_CONFIG), dtype);
}

/**
 * An LDM single-file checkpoint (`v1-5-pruned-emaonly.safetensors` layout) holding the same tensors as the SD1.5
 * diffusers folder `dir` (bytes copied): UNet under `model.diffusion_model.`, VAE under `first_stage_model.` (mid
 * attention projections as [C, C, 1, 1] 1×1 convs), text encoder under `cond_stage_model.transformer.`, plus the
 * non-parameter buffers such files carry (`alphas_cumprod`, `position_ids`).
 */
export function diffusersFolderToSingleFile(dir: string, outPath: string): void {
  const suffix = existsSync(join(dir, "unet", "diffusion_pytorch_model.fp16.safetensors")) ? ".fp16.safetensors" : ".safetensors";
  const parts: Array<[string, string, Map<string, string>, (name: string) => boolean]> = [
    [join(dir, "unet", `diffusion_pytorch_model${suffix}`), LDM_PREFIX.unet, ldmUnetKeyMap(SD15_UNET_CONFIG), () => false],
    [join(dir, "vae", `diffusion_pytorch_model${suffix}`), LDM_PREFIX.vae, ldmVaeKeyMap(SD15_VAE_CONFIG), isVaeAttentionProjection],
    [join(dir, "text_encoder", `model${suffix}`), LDM_PREFIX.textEncoder, ldmClipTextKeyMap(SD15_CLIP_TEXT_CONFIG), () => false],
  ];
  interface Entry { key: string; dtype: string; shape: number[]; bytes: () => Uint8Array }
  const entries: Entry[] = [];
  const files: SafetensorsFile[] = [];
  for (const [path, prefix, map, squeezed] of parts) {
    const f = SafetensorsFile.open(path);
    files.push(f);
    for (const info of f.infos()) {
      const ldm = map.get(info.name);
      if (ldm === undefined) throw new Error(`${path}: no LDM name for ${info.name}`);
      entries.push({ key: prefix + ldm, dtype: info.dtype, shape: squeezed(info.name) ? [...info.shape, 1, 1] : [...info.shape], bytes: () => f.readBytes(info.name) });
    }
  }
  const alphas = new Float32Array(1000).fill(0.5);
  entries.push({ key: "alphas_cumprod", dtype: "F32", shape: [1000], bytes: () => new Uint8Array(alphas.buffer) });
  const ids = new BigInt64Array(77).map((_, i) => BigInt(i));
  entries.push({ key: `${LDM_PREFIX.textEncoder}text_model.embeddings.position_ids`, dtype: "I64", shape: [1, 77], bytes: () => new Uint8Array(ids.buffer) });

  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  const sizes = entries.map((e) => e.shape.reduce((a, b) => a * b, 1) * (e.dtype === "F16" ? 2 : e.dtype === "I64" ? 8 : 4));
  entries.forEach((e, i) => {
    header[e.key] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + sizes[i]!] };
    offset += sizes[i]!;
  });
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 8 !== 0) json += " ";
  const fd = openSync(outPath, "w");
  try {
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeAll(fd, head);
    writeAll(fd, Buffer.from(json, "utf8"));
    entries.forEach((e, i) => {
      const b = e.bytes();
      if (b.length !== sizes[i]) throw new Error(`${e.key}: ${b.length} bytes, expected ${sizes[i]}`);
      writeAll(fd, b);
    });
  } finally {
    closeSync(fd);
    for (const f of files) f.close();
  }
}
