// SD1.5's text encoder: transformers' CLIPTextModel. Built from a config alone; module paths are the
// state-dict keys (`text_model.encoder.layers.0.self_attn.q_proj.weight`, …), so loading is a walk.
//
//   ids [B, T] → embeddings [B, T, H] → L pre-LN causal layers → final_layer_norm → last_hidden_state [B, T, H]
//                                                                                  → pooler_output [B, H]
import type { Tensor } from "../../tensor/Tensor.js";
import { Module } from "../../nn/Module.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";
import { CLIPTextTransformer, type CLIPTextForwardOptions, type CLIPTextOutput } from "./CLIPTextTransformer.js";

export type { CLIPTextForwardOptions, CLIPTextOutput } from "./CLIPTextTransformer.js";

export class CLIPTextModel extends Module {
  readonly textModel: CLIPTextTransformer;

  constructor(readonly config: CLIPTextConfig) {
    super();
    this.textModel = this.add("text_model", new CLIPTextTransformer(config));
  }

  /** `ids`: [batch, T] row-major token ids (T ≤ max_position_embeddings, SD1.5 uses 77). */
  forward(ids: Int32Array, batch: number, options: CLIPTextForwardOptions = {}): CLIPTextOutput {
    return this.textModel.forward(ids, batch, options);
  }

  /** final_layer_norm(x): turns any of `hiddenStates` into a clip-skip style output [B, T, H]. */
  finalLayerNorm(x: Tensor): Tensor {
    return this.textModel.finalLayerNorm.forward(x);
  }
}
