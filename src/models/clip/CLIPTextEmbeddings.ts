import { add } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Embedding } from "../../nn/Embedding.js";
import { Module } from "../../nn/Module.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

/** token_embedding[ids] + position_embedding[0..T-1]: ids [B·T] → [B, T, H] (= hidden_states[0]). */
export class CLIPTextEmbeddings extends Module {
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Embedding;

  constructor(config: CLIPTextConfig) {
    super();
    this.tokenEmbedding = this.add("token_embedding", new Embedding(config.vocabSize, config.hiddenSize));
    this.positionEmbedding = this.add("position_embedding", new Embedding(config.maxPositionEmbeddings, config.hiddenSize));
  }

  /** `ids` already validated by the caller (length B·T, T ≤ max positions, each < vocab). */
  forward(ids: Int32Array, batch: number, length: number): Tensor {
    // The position ids (transformers' `position_ids` buffer, 0..T-1) repeated per row, so the position
    // table is gathered to [B, T, H] and added with a plain same-shape add.
    const positions = new Int32Array(batch * length);
    for (let b = 0; b < batch; b++) for (let t = 0; t < length; t++) positions[b * length + t] = t;
    return add(this.tokenEmbedding.forward(ids, batch, length), this.positionEmbedding.forward(positions, batch, length));
  }
}
