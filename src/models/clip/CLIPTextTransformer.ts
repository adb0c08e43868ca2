import { concat, slice, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { LayerNorm } from "../../nn/LayerNorm.js";
import { Module } from "../../nn/Module.js";
import { CLIPEncoder } from "./CLIPEncoder.js";
import { CLIPTextEmbeddings } from "./CLIPTextEmbeddings.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

export interface CLIPTextForwardOptions {
  /**
   * diffusers' `clip_skip`: k > 0 makes `lastHiddenState` = final_layer_norm(hidden_states[-(k+1)]), the output
   * of layer L−k normalized by the final layer norm (k = 1 is A1111's "Clip skip: 2"). 0 / undefined: the
   * real last_hidden_state. Valid range 0…num_hidden_layers.
   */
  readonly clipSkip?: number;
  /** Also return transformers' `hidden_states` tuple (L+1 tensors, embeddings first, none normalized). */
  readonly outputHiddenStates?: boolean;
}

export interface CLIPTextOutput {
  /** [B, T, H]: what SD1.5 feeds the UNet as encoder_hidden_states (the clip-skip output when clipSkip > 0). */
  readonly lastHiddenState: Tensor;
  /** [B, H]: transformers' pooler_output, always taken from the real (unskipped) last_hidden_state. */
  readonly poolerOutput: Tensor;
  /** [B, T, H] × (L+1) when `outputHiddenStates`. */
  readonly hiddenStates?: Tensor[];
}

/** transformers' CLIPTextTransformer (`text_model.*`): embeddings → causal encoder → final layer norm → pooling. */
export class CLIPTextTransformer extends Module {
  readonly embeddings: CLIPTextEmbeddings;
  readonly encoder: CLIPEncoder;
  readonly finalLayerNorm: LayerNorm;

  constructor(readonly config: CLIPTextConfig) {
    super();
    this.embeddings = this.add("embeddings", new CLIPTextEmbeddings(config));
    this.encoder = this.add("encoder", new CLIPEncoder(config));
    this.finalLayerNorm = this.add("final_layer_norm", new LayerNorm(config.hiddenSize, config.layerNormEps));
  }

  /** `ids` is [batch, T] row-major (T = ids.length / batch, at most max_position_embeddings). */
  forward(ids: Int32Array, batch: number, options: CLIPTextForwardOptions = {}): CLIPTextOutput {
    const length = this.checkIds(ids, batch);
    const L = this.config.numHiddenLayers;
    const skip = options.clipSkip ?? 0;
    if (!Number.isInteger(skip) || skip < 0 || skip > L) {
      throw new RangeError(`clipSkip ${skip} is out of range: expected an integer 0…${L} (the model has ${L} layers)`);
    }
    const embeds = this.embeddings.forward(ids, batch, length); // [B, T, H]
    // The layers' outputs are released on return unless asked for (hiddenStates).
    return tidy(embeds.backend, () => {
      const states = this.encoder.forward(embeds); // L+1 × [B, T, H]
      const last = this.finalLayerNorm.forward(states[L]!);
      return {
        lastHiddenState: skip === 0 ? last : this.finalLayerNorm.forward(states[L - skip]!),
        poolerOutput: this.pool(last, ids, batch, length),
        ...(options.outputHiddenStates ? { hiddenStates: states } : {}),
      };
    });
  }

  /**
   * pooler_output: row r of `x` [B, T, H] at one position per row → [B, H]. With SD1.5's legacy config
   * (eos_token_id == 2) the position is argmax(ids[r]) (the first maximum: EOS 49407 is the largest id);
   * otherwise the first position holding eos_token_id (0 when there is none, as torch's argmax of all-false).
   */
  private pool(x: Tensor, ids: Int32Array, batch: number, length: number): Tensor {
    const eos = this.config.eosTokenId;
    const rows: Tensor[] = [];
    for (let r = 0; r < batch; r++) {
      let p = 0;
      for (let t = 0; t < length; t++) {
        const id = ids[r * length + t]!;
        if (eos === 2 ? id > ids[r * length + p]! : id === eos) {
          p = t;
          if (eos !== 2) break;
        }
      }
      rows.push(slice(slice(x, 0, r, r + 1), 1, p, p + 1)); // [1, 1, H]
    }
    return concat(rows, 0).reshape([batch, this.config.hiddenSize]);
  }

  /** Validate the ids against the batch size and the config; returns T. */
  private checkIds(ids: Int32Array, batch: number): number {
    const { vocabSize, maxPositionEmbeddings } = this.config;
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`CLIP text encoder: batch ${batch} must be a positive integer`);
    if (ids.length === 0 || ids.length % batch !== 0) {
      throw new RangeError(`CLIP text encoder: ${ids.length} input ids do not form ${batch} equal rows (expected batch·T ids)`);
    }
    const length = ids.length / batch;
    if (length > maxPositionEmbeddings) {
      throw new RangeError(`CLIP text encoder: sequence length ${length} exceeds max_position_embeddings ${maxPositionEmbeddings}`);
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < 0 || id >= vocabSize) {
        throw new RangeError(
          `CLIP text encoder: input id ${id} at [${Math.floor(i / length)}, ${i % length}] is outside the vocabulary (0…${vocabSize - 1})`,
        );
      }
    }
    return length;
  }
}
