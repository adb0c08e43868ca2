// `--model` → a PipelineModel: a diffusers folder, an SD1.x single-file `.safetensors`, or (no path) the demo.
import { existsSync, statSync } from "node:fs";
import type { Backend } from "../backend/Backend.js";
import { assertNotPickle } from "../weights/singleFile.js";
import { isDiffusersFolder, type WeightsVariant } from "../weights/diffusersFolder.js";
import { WeightError } from "../weights/WeightSource.js";
import { openDemoModel } from "./demoModel.js";
import { openDiffusersModel } from "./diffusersModel.js";
import type { PipelineModel } from "./PipelineModel.js";
import { openSingleFileModel } from "./singleFileModel.js";
import { StableDiffusionPipeline, type PipelineOptions } from "./StableDiffusionPipeline.js";

export interface OpenModelOptions {
  /** diffusers folders: read the fp16 weight files. */
  readonly variant?: WeightsVariant;
}

/** Open (and check) a model without loading any network. `path` undefined → the built-in demo model. */
export function openModel(path: string | undefined, options: OpenModelOptions = {}): PipelineModel {
  if (path === undefined) return openDemoModel();
  if (!existsSync(path)) throw new WeightError(`model ${path} does not exist (give a diffusers folder or an SD1.x .safetensors file)`);
  if (statSync(path).isDirectory()) {
    if (!isDiffusersFolder(path)) {
      throw new WeightError(`${path} is not a diffusers model folder: it has neither model_index.json nor unet/config.json`);
    }
    return openDiffusersModel(path, options);
  }
  assertNotPickle(path); // .ckpt/.pt/.bin: refused with an explanation
  if (options.variant !== undefined) throw new WeightError(`--variant applies to diffusers folders only; ${path} is a single file`);
  return openSingleFileModel(path);
}

/** A pipeline over `openModel(path)`. */
export function loadPipeline(path: string | undefined, backend: Backend, options: OpenModelOptions & PipelineOptions = {}): StableDiffusionPipeline {
  return new StableDiffusionPipeline(openModel(path, options), backend, options);
}
