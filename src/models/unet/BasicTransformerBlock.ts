// diffusers `BasicTransformerBlock` for SD1.x: three pre-norm residual sublayers on tokens [B, T, C]:
//   x = x + attn1(norm1(x))             self-attention over the image tokens
//   x = x + attn2(norm2(x), context)    cross-attention to the text embedding [B, 77, 768]
//   x = x + ff(norm3(x))                GEGLU feed-forward
import { LayerNorm } from "../../nn/LayerNorm.js";
import { Module } from "../../nn/Module.js";
import { add, sequential } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Attention } from "../common/Attention.js";
import type { TraceFn } from "../common/trace.js";
import { FeedForward } from "./FeedForward.js";

export class BasicTransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn1: Attention;
  readonly norm2: LayerNorm;
  readonly attn2: Attention;
  readonly norm3: LayerNorm;
  readonly ff: FeedForward;

  constructor(dim: number, heads: number, dimHead: number, crossAttentionDim: number) {
    super();
    this.norm1 = this.add("norm1", new LayerNorm(dim, 1e-5));
    this.attn1 = this.add("attn1", new Attention({ queryDim: dim, crossAttentionDim: null, heads, dimHead, qkvBias: false }));
    this.norm2 = this.add("norm2", new LayerNorm(dim, 1e-5));
    this.attn2 = this.add("attn2", new Attention({ queryDim: dim, crossAttentionDim, heads, dimHead, qkvBias: false }));
    this.norm3 = this.add("norm3", new LayerNorm(dim, 1e-5));
    this.ff = this.add("ff", new FeedForward(dim));
  }

  /** x [B, T, C], context [B, S, crossAttentionDim] → [B, T, C]; each sublayer's temporaries die with it. */
  forward(x: Tensor, context: Tensor, trace?: TraceFn): Tensor {
    return sequential(x,
      (x) => {
        const a1 = this.attn1.forward(this.norm1.forward(x));
        trace?.("attn1", a1);
        return add(x, a1);
      },
      (x) => {
        const a2 = this.attn2.forward(this.norm2.forward(x), context);
        trace?.("attn2", a2);
        return add(x, a2);
      },
      (x) => {
        const f = this.ff.forward(this.norm3.forward(x));
        trace?.("ff", f);
        return add(x, f);
      },
    );
  }
}
