// run-case kind `unet2d_condition_forward`: unet(sample, timestep, encoder_hidden_states).sample (+ trace).
import { loadWeights } from "../weights/load.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";
import { caseInputs, caseWeights, CaseError, requireInput, TraceCollector, upload } from "./common.js";
import type { CaseRunner, CaseTensor } from "./types.js";

export const runUNetForwardCase: CaseRunner = async (caseDir, caseJson, { trace, backend }) => {
  const configJson = caseJson.config ?? caseJson.unet_config;
  if (typeof configJson !== "object" || configJson === null) throw new CaseError(`${caseDir}/case.json: no "config" object`);
  const unet = new UNet2DConditionModel(parseUNetConfig(configJson as Record<string, unknown>, `${caseDir}/case.json config`));
  loadWeights(unet, caseWeights(caseDir), backend);
  const inputs = caseInputs(caseDir);
  const sample = upload(backend, requireInput(inputs, "sample", caseDir));
  const timestep = [...requireInput(inputs, "timestep", caseDir).data];
  const context = upload(backend, requireInput(inputs, "encoder_hidden_states", caseDir));
  const collector = new TraceCollector("trace.");
  const out = unet.forward(sample, timestep, context, trace ? collector.fn : undefined);
  const tensors = new Map<string, CaseTensor>([["sample", { shape: out.shape, data: await out.toArray() }]]);
  if (trace) await collector.into(tensors);
  return { type: "tensors", tensors };
};
