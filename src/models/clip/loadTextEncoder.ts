// Load SD1.5's text encoder from a diffusers model folder:
//   <dir>/text_encoder/config.json              transformers CLIPTextConfig
//   <dir>/text_encoder/model.safetensors        float32 weights (or model.fp16.safetensors, the fp16 variant)
// fp16/bf16 tensors are widened to float32 on read. The constant `position_ids` buffer some checkpoints carry
// is not a parameter and is skipped.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../backend/Backend.js";
import { loadWeights } from "../../weights/load.js";
import { SafetensorsSource, WeightError } from "../../weights/WeightSource.js";
import { CLIPTextModel } from "./CLIPTextModel.js";
import { readCLIPTextConfig } from "./CLIPTextConfig.js";

export interface LoadTextEncoderOptions {
  /** "fp16" reads `model.fp16.safetensors`. Default: `model.safetensors`, or the fp16 file when it is the only one. */
  readonly variant?: "fp16";
  /** Progress callback, per tensor. */
  readonly onTensor?: (name: string, index: number, total: number) => void;
}

/** Stored names that are buffers, not parameters. */
export const isTextEncoderBuffer = (name: string): boolean => name === "text_model.embeddings.position_ids";

/** The weight file `loadTextEncoder` would read, or an error naming what is missing. */
export function textEncoderWeightsPath(modelDir: string, variant?: "fp16"): string {
  const dir = join(modelDir, "text_encoder");
  const full = join(dir, "model.safetensors");
  const half = join(dir, "model.fp16.safetensors");
  if (variant === "fp16") {
    if (!existsSync(half)) throw new WeightError(`text encoder: fp16 variant requested but ${half} does not exist`);
    return half;
  }
  if (existsSync(full)) return full;
  if (existsSync(half)) return half;
  const bin = ["pytorch_model.bin", "pytorch_model.fp16.bin"].filter((f) => existsSync(join(dir, f)));
  throw new WeightError(
    `text encoder: neither ${full} nor ${half} exists` +
      (bin.length ? ` (found ${bin.join(", ")}: PyTorch pickle files are not supported, convert them to safetensors)` : ""),
  );
}

export function loadTextEncoder(modelDir: string, backend: Backend, options: LoadTextEncoderOptions = {}): CLIPTextModel {
  const configPath = join(modelDir, "text_encoder", "config.json");
  if (!existsSync(configPath)) throw new WeightError(`text encoder: config file ${configPath} does not exist (expected a diffusers model folder)`);
  const model = new CLIPTextModel(readCLIPTextConfig(configPath));
  const source = SafetensorsSource.open(textEncoderWeightsPath(modelDir, options.variant));
  try {
    loadWeights(model, source, backend, {
      ignore: isTextEncoderBuffer,
      ...(options.onTensor ? { onTensor: options.onTensor } : {}),
    });
  } finally {
    source.file.close();
  }
  return model;
}
