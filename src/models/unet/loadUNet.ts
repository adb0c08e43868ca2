// Load the UNet from a diffusers folder (`unet/config.json` + `unet/diffusion_pytorch_model[.fp16].safetensors`).
import type { Backend } from "../../backend/Backend.js";
import { componentConfigPath, componentWeightsPath, readJsonFile, type WeightsVariant } from "../../weights/diffusersFolder.js";
import { loadWeights } from "../../weights/load.js";
import { SafetensorsSource } from "../../weights/WeightSource.js";
import { UNet2DConditionModel } from "./UNet2DConditionModel.js";
import { parseUNetConfig } from "./UNetConfig.js";

export interface LoadUNetOptions {
  readonly variant?: WeightsVariant;
  readonly onTensor?: (name: string, index: number, total: number) => void;
}

export function readUNetConfig(modelDir: string): UNet2DConditionModel["config"] {
  const path = componentConfigPath(modelDir, "unet");
  return parseUNetConfig(readJsonFile(path), path);
}

export function loadUNet(modelDir: string, backend: Backend, options: LoadUNetOptions = {}): UNet2DConditionModel {
  const unet = new UNet2DConditionModel(readUNetConfig(modelDir));
  const source = SafetensorsSource.open(componentWeightsPath(modelDir, "unet", "diffusion_pytorch_model", options.variant));
  try {
    loadWeights(unet, source, backend, options.onTensor ? { onTensor: options.onTensor } : {});
  } finally {
    source.file.close();
  }
  return unet;
}
