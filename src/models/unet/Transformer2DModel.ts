// diffusers `Transformer2DModel` for SD1.x (continuous input, 1×1-conv projections, one block):
//   h = proj_in(norm(x))                 GroupNorm (eps 1e-6), then 1×1 conv      [B, C, H, W]
//   h = tokens(h)                        [B, H·W, C], tokens in row-major (y, x) order
//   h = transformer_blocks.0(h, context)
//   out = x + proj_out(image(h))         back to [B, C, H, W], 1×1 conv, residual
import { Conv2d } from "../../nn/Conv2d.js";
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { add, imageToTokens, sequential, tidy, tokensToImage } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
import { BasicTransformerBlock } from "./BasicTransformerBlock.js";

export class Transformer2DModel extends Module {
  readonly norm: GroupNorm;
  readonly proj_in: Conv2d;
  readonly transformer_blocks: ModuleList<BasicTransformerBlock>;
  readonly proj_out: Conv2d;

  constructor(channels: number, heads: number, crossAttentionDim: number, groups: number) {
    super();
    const dimHead = channels / heads;
    this.norm = this.add("norm", new GroupNorm(groups, channels, 1e-6));
    this.proj_in = this.add("proj_in", new Conv2d(channels, channels, 1));
    this.transformer_blocks = this.add("transformer_blocks",
      new ModuleList([new BasicTransformerBlock(channels, heads, dimHead, crossAttentionDim)]));
    this.proj_out = this.add("proj_out", new Conv2d(channels, channels, 1));
  }

  /** x [B, C, H, W], context [B, S, D] → [B, C, H, W]. */
  forward(x: Tensor, context: Tensor, trace?: TraceFn): Tensor {
    const [, , H, W] = x.shape as [number, number, number, number];
    return tidy(x.backend, () => {
      const h = sequential(x,
        (x) => traced(trace, "norm", this.norm.forward(x)),
        (h) => traced(trace, "proj_in", this.proj_in.forward(h)),
        (h) => imageToTokens(h), // [B, H·W, C]
        ...this.transformer_blocks.items.map((block, i) => (tokens: Tensor) =>
          traced(trace, `transformer_blocks.${i}`, block.forward(tokens, context, scoped(trace, `transformer_blocks.${i}`)))),
        (tokens) => tokensToImage(tokens, H, W), // [B, C, H, W]
        (h) => traced(trace, "proj_out", this.proj_out.forward(h)),
      );
      return add(h, x);
    });
  }
}
