// Build a (weightless) model from a diffusers/transformers config object, recognising which model it is.
import type { Module } from "../nn/Module.js";
import { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import { parseCLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";

export function buildComponentFromConfig(json: Record<string, unknown>, source: string): Module {
  const cls = json._class_name;
  if (cls === "UNet2DConditionModel" || (cls === undefined && "block_out_channels" in json && "cross_attention_dim" in json)) {
    return new UNet2DConditionModel(parseUNetConfig(json, source));
  }
  if (json.model_type === "clip_text_model" || (Array.isArray(json.architectures) && json.architectures.includes("CLIPTextModel"))) {
    return new CLIPTextModel(parseCLIPTextConfig(json, source));
  }
  throw new Error(`${source}: unrecognised model config (_class_name ${JSON.stringify(cls)}); sdts knows UNet2DConditionModel, AutoencoderKL and CLIPTextModel`);
}
