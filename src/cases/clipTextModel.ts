// Runner for `clip-text-model` cases (../shared/fixtures/clip-text-*): transformers CLIPTextModel called as
// `model(input_ids, output_hidden_states=True)`. Weights come from the case's weights.safetensors when it
// ships one, else from the synthetic rule (clip-text-full: 123M parameters, generated on the fly).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import { parseCLIPTextConfig } from "../models/clip/CLIPTextConfig.js";
import { isTextEncoderBuffer } from "../models/clip/loadTextEncoder.js";
import type { Tensor } from "../tensor/Tensor.js";
import { loadWeights } from "../weights/load.js";
import { SafetensorsFile } from "../weights/safetensors.js";
import { SafetensorsSource, SyntheticSource, type WeightSource } from "../weights/WeightSource.js";
import type { CaseRunner, CaseTensor } from "./types.js";

/** input_ids [B, T] (I64) from inputs.safetensors. */
function readInputIds(path: string): { ids: Int32Array; batch: number } {
  const file = SafetensorsFile.open(path);
  try {
    if (!file.has("input_ids")) throw new Error(`${path}: no tensor "input_ids"`);
    const shape = file.info("input_ids").shape;
    if (shape.length !== 2) throw new Error(`${path}: "input_ids" has shape [${shape.join(", ")}], expected [B, T]`);
    const values = file.readInts("input_ids");
    const bad = values.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 0x7fffffff);
    if (bad >= 0) throw new Error(`${path}: "input_ids" element ${bad} (${values[bad]}) is not a valid token id`);
    return { ids: Int32Array.from(values), batch: shape[0]! };
  } finally {
    file.close();
  }
}

export const runClipTextModelCase: CaseRunner = async (caseDir, caseJson, { backend }) => {
  const config = parseCLIPTextConfig(caseJson.config, `${join(caseDir, "case.json")} "config"`);
  const model = new CLIPTextModel(config);
  const weightsPath = join(caseDir, "weights.safetensors");
  const source: WeightSource = existsSync(weightsPath) ? SafetensorsSource.open(weightsPath) : new SyntheticSource();
  try {
    loadWeights(model, source, backend, { ignore: isTextEncoderBuffer });
  } finally {
    if (source instanceof SafetensorsSource) source.file.close();
  }

  const { ids, batch } = readInputIds(join(caseDir, "inputs.safetensors"));
  const out = model.forward(ids, batch, { outputHiddenStates: true });
  const states = out.hiddenStates!; // L+1 tensors
  const penultimate = states[states.length - 2]!;

  const named: Array<[string, Tensor]> = [
    ["last_hidden_state", out.lastHiddenState],
    ["pooler_output", out.poolerOutput],
    ["penultimate_hidden_state", penultimate],
    ["clip_skip_1", model.finalLayerNorm(penultimate)],
  ];
  // Every hidden state only where the case stores them (its `outputs` lists "hidden_states.i"): the full
  // case keeps just the four above.
  const outputs = caseJson.outputs;
  if (typeof outputs === "object" && outputs !== null && "hidden_states.i" in outputs) {
    states.forEach((s, i) => named.push([`hidden_states.${i}`, s]));
  }

  const tensors = new Map<string, CaseTensor>();
  for (const [name, t] of named) tensors.set(name, { shape: [...t.shape], data: await t.toArray() });
  return { type: "tensors", tensors };
};
