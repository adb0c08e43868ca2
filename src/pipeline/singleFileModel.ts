// An SD1.x single-file checkpoint (`v1-5-pruned-emaonly.safetensors`, community fine-tunes): UNet, VAE and CLIP
// text encoder in one file under LDM names. The file holds weights only, so the rest is SD1.5's: the network
// configs (SD15_UNET_CONFIG, SD15_VAE_CONFIG, SD15_CLIP_TEXT_CONFIG), the PNDM scheduler config, and the tokenizer built from OpenAI's
// vocabulary file that sdts ships (assets/clip/). Tensors are read one at a time when a network loads.
import { basename, extname, resolve } from "node:path";
import type { Backend } from "../backend/Backend.js";
import { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import { SD15_CLIP_TEXT_CONFIG } from "../models/clip/CLIPTextConfig.js";
import { tokenizerFromOpenAIBpeFile } from "../models/clip/openaiBpeVocab.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { SD15_UNET_CONFIG } from "../models/unet/UNetConfig.js";
import { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import { SD15_VAE_CONFIG } from "../models/vae/AutoencoderKLConfig.js";
import { loadWeights } from "../weights/load.js";
import { LDM_PREFIX, SingleFileCheckpoint } from "../weights/singleFile.js";
import { WeightError } from "../weights/WeightSource.js";
import { assetPath, CLIP_BPE_VOCAB_ASSET } from "./assets.js";
import { checkModelConsistency, type LoadProgressFn, type PipelineModel } from "./PipelineModel.js";
import { SD15_SCHEDULER_CONFIG } from "./sd15SchedulerConfig.js";

const progress = (onProgress?: LoadProgressFn) =>
  onProgress ? { onTensor: (_name: string, index: number, total: number) => onProgress(index + 1, total) } : {};

export function openSingleFileModel(path: string): PipelineModel {
  const full = resolve(path);
  const ckpt = SingleFileCheckpoint.open(full);
  try {
    // Touching each source runs the family checks (SDXL / SD2 / diffusers-format files are refused by name).
    ckpt.unetSource();
    ckpt.textEncoderSource();
    ckpt.vaeSource();
    const parts: Array<[keyof typeof LDM_PREFIX, string]> = [["unet", "UNet"], ["textEncoder", "CLIP text encoder"], ["vae", "VAE"]];
    for (const [part, label] of parts) {
      if (!ckpt.has(part)) {
        throw new WeightError(`${full}: the checkpoint has no ${label} (no tensor under "${LDM_PREFIX[part]}"); sdts needs UNet, VAE and text encoder in the file`);
      }
    }
  } catch (err) {
    ckpt.close();
    throw err;
  }
  const model = {
    kind: "single-file" as const,
    name: basename(full, extname(full)),
    description: full,
    tokenizer: tokenizerFromOpenAIBpeFile(assetPath(CLIP_BPE_VOCAB_ASSET)),
    textEncoderConfig: SD15_CLIP_TEXT_CONFIG,
    unetConfig: SD15_UNET_CONFIG,
    vaeConfig: SD15_VAE_CONFIG,
    schedulerConfig: SD15_SCHEDULER_CONFIG,
  };
  checkModelConsistency(model);
  return {
    ...model,
    loadTextEncoder(backend: Backend, onProgress?: LoadProgressFn): CLIPTextModel {
      const m = new CLIPTextModel(SD15_CLIP_TEXT_CONFIG);
      loadWeights(m, ckpt.textEncoderSource(), backend, progress(onProgress));
      return m;
    },
    loadUNet(backend: Backend, onProgress?: LoadProgressFn): UNet2DConditionModel {
      const m = new UNet2DConditionModel(SD15_UNET_CONFIG);
      loadWeights(m, ckpt.unetSource(), backend, progress(onProgress));
      return m;
    },
    loadVae(backend: Backend, onProgress?: LoadProgressFn): AutoencoderKL {
      const m = new AutoencoderKL(SD15_VAE_CONFIG);
      loadWeights(m, ckpt.vaeSource(), backend, progress(onProgress));
      return m;
    },
    close: () => ckpt.close(),
  };
}
