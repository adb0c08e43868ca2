// Load SD1.5's VAE from a diffusers model folder:
//   <dir>/vae/config.json                              diffusers AutoencoderKL config
//   <dir>/vae/diffusion_pytorch_model.safetensors      float32 weights (or diffusion_pytorch_model.fp16.safetensors)
// fp16/bf16 tensors are widened to float32 on read; the VAE always computes in float32 (SD1.5's config sets
// force_upcast, and diffusers' fp16 pipelines upcast this VAE too).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../backend/Backend.js";
import { loadWeights } from "../../weights/load.js";
import { SafetensorsSource, WeightError } from "../../weights/WeightSource.js";
import { AutoencoderKL } from "./AutoencoderKL.js";
import { readAutoencoderKLConfig } from "./AutoencoderKLConfig.js";

export interface LoadVaeOptions {
  /** "fp16" reads the fp16 file. Default: the float32 file, or the fp16 one when it is the only one. */
  readonly variant?: "fp16";
  /** Progress callback, per tensor. */
  readonly onTensor?: (name: string, index: number, total: number) => void;
}

/** The weight file `loadVae` would read, or an error naming what is missing. */
export function vaeWeightsPath(modelDir: string, variant?: "fp16"): string {
  const dir = join(modelDir, "vae");
  const full = join(dir, "diffusion_pytorch_model.safetensors");
  const half = join(dir, "diffusion_pytorch_model.fp16.safetensors");
  if (variant === "fp16") {
    if (!existsSync(half)) throw new WeightError(`VAE: fp16 variant requested but ${half} does not exist`);
    return half;
  }
  if (existsSync(full)) return full;
  if (existsSync(half)) return half;
  const bin = ["diffusion_pytorch_model.bin", "diffusion_pytorch_model.fp16.bin"].filter((f) => existsSync(join(dir, f)));
  throw new WeightError(
    `VAE: neither ${full} nor ${half} exists` +
      (bin.length ? ` (found ${bin.join(", ")}: PyTorch pickle files are not supported, convert them to safetensors)` : ""),
  );
}

export function loadVae(modelDir: string, backend: Backend, options: LoadVaeOptions = {}): AutoencoderKL {
  const configPath = join(modelDir, "vae", "config.json");
  if (!existsSync(configPath)) throw new WeightError(`VAE: config file ${configPath} does not exist (expected a diffusers model folder with a vae/ subfolder)`);
  const model = new AutoencoderKL(readAutoencoderKLConfig(configPath));
  const source = SafetensorsSource.open(vaeWeightsPath(modelDir, options.variant));
  try {
    loadWeights(model, source, backend, options.onTensor ? { onTensor: options.onTensor } : {});
  } finally {
    source.file.close();
  }
  return model;
}
