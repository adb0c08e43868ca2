// A diffusers Stable Diffusion folder (what `save_pretrained` writes; stable-diffusion-v1-5 on the Hub):
//   model_index.json  tokenizer/{vocab.json, merges.txt}  scheduler/scheduler_config.json
//   text_encoder/{config.json, model[.fp16].safetensors}
//   unet/{config.json, diffusion_pytorch_model[.fp16].safetensors}
//   vae/{config.json, diffusion_pytorch_model[.fp16].safetensors}
// Every part is checked when the folder is opened (an error names the first missing file), configs are parsed
// then; the networks load only when the pipeline asks for them.
import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Backend } from "../backend/Backend.js";
import { readCLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import { CLIPTokenizer } from "../models/clip/CLIPTokenizer.js";
import { loadTextEncoder, textEncoderWeightsPath } from "../models/clip/loadTextEncoder.js";
import { loadUNet, readUNetConfig } from "../models/unet/loadUNet.js";
import { readAutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";
import { loadVae, vaeWeightsPath } from "../models/vae/loadVae.js";
import { componentWeightsPath, readJsonFile, type WeightsVariant } from "../weights/diffusersFolder.js";
import { WeightError } from "../weights/WeightSource.js";
import { checkModelConsistency, type LoadProgressFn, type PipelineModel } from "./PipelineModel.js";

export interface DiffusersModelOptions {
  /** "fp16" reads the `*.fp16.safetensors` files. Default: float32 files, else the fp16 ones when only they exist. */
  readonly variant?: WeightsVariant;
}

function requireFile(dir: string, rel: string, what: string): string {
  const p = join(dir, rel);
  if (!existsSync(p)) throw new WeightError(`${dir}: missing ${what}: ${p} does not exist`);
  return p;
}

const progress = (onProgress?: LoadProgressFn) =>
  onProgress ? { onTensor: (_name: string, index: number, total: number) => onProgress(index + 1, total) } : {};

export function openDiffusersModel(dir: string, options: DiffusersModelOptions = {}): PipelineModel {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new WeightError(`${dir} is not a folder`);
  const variant = options.variant;

  // model_index.json is optional (a hand-assembled folder works), but when present it must be an SD1.x pipeline.
  const indexPath = join(root, "model_index.json");
  if (existsSync(indexPath)) {
    const index = readJsonFile(indexPath);
    if ("text_encoder_2" in index || "transformer" in index) {
      throw new WeightError(`${indexPath}: _class_name ${JSON.stringify(index._class_name)} is not a Stable Diffusion 1.x pipeline (sdts implements SD1.x only)`);
    }
  }
  const vocab = requireFile(root, "tokenizer/vocab.json", "tokenizer vocabulary");
  const merges = requireFile(root, "tokenizer/merges.txt", "tokenizer merges");
  const teConfigPath = requireFile(root, "text_encoder/config.json", "text encoder config");
  textEncoderWeightsPath(root, variant); // throws naming the missing weights file
  requireFile(root, "unet/config.json", "UNet config");
  componentWeightsPath(root, "unet", "diffusion_pytorch_model", variant);
  const vaeConfigPath = requireFile(root, "vae/config.json", "VAE config");
  vaeWeightsPath(root, variant);
  const schedulerPath = requireFile(root, "scheduler/scheduler_config.json", "scheduler config");

  const schedulerConfig = readJsonFile(schedulerPath);
  const model = {
    kind: "diffusers" as const,
    name: basename(root),
    description: root,
    tokenizer: CLIPTokenizer.fromFiles(vocab, merges),
    textEncoderConfig: readCLIPTextConfig(teConfigPath),
    unetConfig: readUNetConfig(root),
    vaeConfig: readAutoencoderKLConfig(vaeConfigPath),
    schedulerConfig,
  };
  checkModelConsistency(model);
  return {
    ...model,
    loadTextEncoder: (backend: Backend, onProgress?: LoadProgressFn) => loadTextEncoder(root, backend, { variant, ...progress(onProgress) }),
    loadUNet: (backend: Backend, onProgress?: LoadProgressFn) => loadUNet(root, backend, { variant, ...progress(onProgress) }),
    loadVae: (backend: Backend, onProgress?: LoadProgressFn) => loadVae(root, backend, { variant, ...progress(onProgress) }),
    close: () => {},
  };
}
