import { attention, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

/**
 * Multi-head self-attention of a CLIP encoder layer. The text encoder is causal: position i attends to
 * positions j ≤ i only, and SD1.5 passes no padding mask, so padded positions are computed like any other.
 */
export class CLIPAttention extends Module {
  readonly heads: number;
  // Registered in transformers' state_dict order (k, v, q, out).
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly qProj: Linear;
  readonly outProj: Linear;

  constructor(config: CLIPTextConfig) {
    super();
    const H = config.hiddenSize;
    this.heads = config.numAttentionHeads;
    this.kProj = this.add("k_proj", new Linear(H, H));
    this.vProj = this.add("v_proj", new Linear(H, H));
    this.qProj = this.add("q_proj", new Linear(H, H));
    this.outProj = this.add("out_proj", new Linear(H, H));
  }

  /** [B, T, H] → [B, T, H]; scores scaled by head_dim^-0.5 (the op's default). */
  forward(x: Tensor): Tensor {
    return tidy(x.backend, () => {
      const q = this.qProj.forward(x);
      const k = this.kProj.forward(x);
      const v = this.vProj.forward(x);
      return this.outProj.forward(attention(q, k, v, this.heads, { causal: true }));
    });
  }
}
