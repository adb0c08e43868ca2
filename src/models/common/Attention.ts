// diffusers' Attention on token sequences: multi-head softmax(q kᵀ / √d) v with to_q/to_k/to_v and
// `to_out.0`. Self-attention when no context is given; cross-attention attends to `context`
// (the text embedding) instead. SD's UNet attention has no q/k/v bias; the VAE's has.
import { Linear } from "../../nn/Linear.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { attention, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";

export interface AttentionOptions {
  readonly queryDim: number;
  /** Width of the context for cross-attention; null = self-attention. */
  readonly crossAttentionDim: number | null;
  readonly heads: number;
  readonly dimHead: number;
  /** Bias on to_q/to_k/to_v (to_out.0 always has one). */
  readonly qkvBias: boolean;
}

export class Attention extends Module {
  readonly to_q: Linear;
  readonly to_k: Linear;
  readonly to_v: Linear;
  readonly to_out: ModuleList<Linear>;

  constructor(readonly options: AttentionOptions) {
    super();
    const { queryDim, crossAttentionDim, heads, dimHead, qkvBias } = options;
    const inner = heads * dimHead;
    const contextDim = crossAttentionDim ?? queryDim;
    this.to_q = this.add("to_q", new Linear(queryDim, inner, qkvBias));
    this.to_k = this.add("to_k", new Linear(contextDim, inner, qkvBias));
    this.to_v = this.add("to_v", new Linear(contextDim, inner, qkvBias));
    // `to_out` is [Linear, Dropout] in diffusers; only index 0 has parameters.
    this.to_out = this.add("to_out", new ModuleList([new Linear(inner, queryDim)]));
  }

  /** x [B, T, queryDim], context [B, S, contextDim] (or none) → [B, T, queryDim]. */
  forward(x: Tensor, context?: Tensor): Tensor {
    const b = x.backend;
    return tidy(b, () => {
      const o = tidy(b, () => { // q, k and v die once the attention has read them
        const kv = context ?? x;
        const q = this.to_q.forward(x); // [B, T, heads·dimHead]
        const k = this.to_k.forward(kv); // [B, S, heads·dimHead]
        const v = this.to_v.forward(kv);
        return attention(q, k, v, this.options.heads); // [B, T, heads·dimHead]
      });
      return this.to_out.at(0).forward(o);
    });
  }
}
