// The VAE's mid-block self-attention: diffusers' `Attention` as UNetMidBlock2D builds it for AutoencoderKL
// (a `group_norm`, one head as wide as the channels, biased q/k/v, residual connection):
//   h   = group_norm(x)                      GroupNorm(groups, C, eps 1e-6)         [B, C, H, W]
//   t   = tokens(h)                          [B, H·W, C], tokens in row-major (y, x) order
//   o   = to_out.0(softmax(q kᵀ / √C) v)     q, k, v = to_q/to_k/to_v(t), one head of size C
//   out = x + image(o)                       back to [B, C, H, W], residual (output scale 1)
// Its own module (not common/Attention plus a norm) so the parameters keep diffusers' names *and* order:
// group_norm, to_q, to_k, to_v, to_out.0.
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Linear } from "../../nn/Linear.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { add, attention, imageToTokens, sequential, tidy, tokensToImage } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";
import { traced, type TraceFn } from "../common/trace.js";

export class VAEAttention extends Module {
  readonly group_norm: GroupNorm;
  readonly to_q: Linear;
  readonly to_k: Linear;
  readonly to_v: Linear;
  readonly to_out: ModuleList<Linear>;

  constructor(readonly channels: number, groups: number, eps: number) {
    super();
    this.group_norm = this.add("group_norm", new GroupNorm(groups, channels, eps));
    this.to_q = this.add("to_q", new Linear(channels, channels));
    this.to_k = this.add("to_k", new Linear(channels, channels));
    this.to_v = this.add("to_v", new Linear(channels, channels));
    // `to_out` is [Linear, Dropout] in diffusers; only index 0 has parameters.
    this.to_out = this.add("to_out", new ModuleList([new Linear(channels, channels)]));
  }

  /** x [B, C, H, W] → [B, C, H, W]. */
  forward(x: Tensor, trace?: TraceFn): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.channels) {
      throw new ShapeError(`VAE attention: input ${shapeStr(x.shape)} should be [B, ${this.channels}, H, W]`);
    }
    const [, , H, W] = x.shape as [number, number, number, number];
    return tidy(x.backend, () => {
      const o = sequential(x,
        (x) => traced(trace, "group_norm", this.group_norm.forward(x)), // [B, C, H, W]
        (h) => imageToTokens(h), // [B, H·W, C]
        (t) => attention(this.to_q.forward(t), this.to_k.forward(t), this.to_v.forward(t), 1), // scale 1/√C
        (a) => traced(trace, "to_out", this.to_out.at(0).forward(a)), // [B, H·W, C]
        (o) => tokensToImage(o, H, W),
      );
      return add(o, x);
    });
  }
}
