// The diffusers model-folder layout (what `save_pretrained` writes and the SD1.5 repo holds):
//   model_index.json
//   unet/config.json          unet/diffusion_pytorch_model.safetensors  (.fp16.safetensors variant)
//   vae/config.json           vae/diffusion_pytorch_model.safetensors
//   text_encoder/config.json  text_encoder/model.safetensors
//   tokenizer/vocab.json, merges.txt      scheduler/scheduler_config.json
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { WeightError } from "./WeightSource.js";

export type WeightsVariant = "fp16";

export function isDiffusersFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && (existsSync(join(path, "model_index.json")) || existsSync(join(path, "unet", "config.json")));
}

/** Parse a JSON file, with errors that name it. */
export function readJsonFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new WeightError(`${path} does not exist`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new WeightError(`${path} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new WeightError(`${path} does not hold a JSON object`);
  return json as Record<string, unknown>;
}

/**
 * The weights file of one component: `<base>.safetensors`, or `<base>.fp16.safetensors` when that variant is
 * asked for or is the only one present. Pickle files are named in the error but never read.
 */
export function componentWeightsPath(modelDir: string, component: string, base: string, variant?: WeightsVariant): string {
  const dir = join(modelDir, component);
  const full = join(dir, `${base}.safetensors`);
  const half = join(dir, `${base}.fp16.safetensors`);
  if (variant === "fp16") {
    if (!existsSync(half)) throw new WeightError(`${component}: fp16 variant requested but ${half} does not exist`);
    return half;
  }
  if (existsSync(full)) return full;
  if (existsSync(half)) return half;
  const pickles = ["bin", "fp16.bin", "ckpt"].map((e) => `${base === "model" ? "pytorch_model" : base}.${e}`).filter((f) => existsSync(join(dir, f)));
  throw new WeightError(
    `${component}: neither ${full} nor ${half} exists` +
      (pickles.length ? ` (found ${pickles.join(", ")}: PyTorch pickle files can execute code when loaded and are not read; convert them to safetensors)` : ""),
  );
}

export function componentConfigPath(modelDir: string, component: string, file = "config.json"): string {
  const p = join(modelDir, component, file);
  if (!existsSync(p)) throw new WeightError(`${component}: ${p} does not exist (expected a diffusers model folder with a ${component}/ part)`);
  return p;
}
