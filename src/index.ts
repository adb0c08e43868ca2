// sdts's public API: the pipeline for applications, and the models, schedulers, backends and weight
// loaders for people who want to use or study the pieces.
export { loadPipeline, openModel } from "./pipeline/loadPipeline.js";
export { StableDiffusionPipeline, type GenerateOptions, type GenerateResult } from "./pipeline/StableDiffusionPipeline.js";
export { denoise, type DenoiseOptions, type StepInfo } from "./pipeline/denoise.js";

export { UNet2DConditionModel } from "./models/unet/UNet2DConditionModel.js";
export { parseUNetConfig, SD15_UNET_CONFIG, type UNetConfig } from "./models/unet/UNetConfig.js";
export { loadUNet } from "./models/unet/loadUNet.js";
export { CLIPTextModel } from "./models/clip/CLIPTextModel.js";
export { CLIPTokenizer } from "./models/clip/CLIPTokenizer.js";
export { loadTextEncoder } from "./models/clip/loadTextEncoder.js";
export { AutoencoderKL } from "./models/vae/AutoencoderKL.js";
export { loadVae } from "./models/vae/loadVae.js";

export { createScheduler, createSchedulerByClass } from "./schedulers/index.js";
export type { Scheduler, HostTensor } from "./schedulers/Scheduler.js";
export { TorchGenerator } from "./random/TorchGenerator.js";

export { createBackend, type BackendName } from "./backend/index.js";
export type { Backend } from "./backend/Backend.js";
export { Tensor, type Shape } from "./tensor/Tensor.js";

export { SafetensorsFile, writeSafetensors } from "./weights/safetensors.js";
export { SingleFileCheckpoint } from "./weights/singleFile.js";
export { loadWeights } from "./weights/load.js";
export { SafetensorsSource, SyntheticSource, type WeightSource } from "./weights/WeightSource.js";
