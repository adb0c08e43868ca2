// diffusers' ResnetBlock2D as SD uses it (pre-norm, SiLU, "default" time-embedding add, output scale 1):
//   h = conv1(silu(norm1(x)))  [+ time_emb_proj(silu(temb)) per channel]
//   h = conv2(silu(norm2(h)))        (dropout is identity at inference)
//   out = shortcut(x) + h            (shortcut = 1×1 conv_shortcut when channels change)
// The VAE uses the same block without a time embedding (temb channels = null).
import { Conv2d } from "../../nn/Conv2d.js";
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import { add, addPerChannel, sequential, silu, tidy } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";

export interface ResnetBlock2DOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Width of the time embedding, or null for the VAE's resnets. */
  readonly tembChannels: number | null;
  readonly groups: number;
  readonly eps: number;
}

export class ResnetBlock2D extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly time_emb_proj: Linear | null;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly conv_shortcut: Conv2d | null;

  constructor(readonly options: ResnetBlock2DOptions) {
    super();
    const { inChannels, outChannels, tembChannels, groups, eps } = options;
    this.norm1 = this.add("norm1", new GroupNorm(groups, inChannels, eps));
    this.conv1 = this.add("conv1", new Conv2d(inChannels, outChannels, 3, 1, 1));
    this.time_emb_proj = tembChannels === null ? null : this.add("time_emb_proj", new Linear(tembChannels, outChannels));
    this.norm2 = this.add("norm2", new GroupNorm(groups, outChannels, eps));
    this.conv2 = this.add("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1));
    this.conv_shortcut = inChannels === outChannels ? null : this.add("conv_shortcut", new Conv2d(inChannels, outChannels, 1));
  }

  /** x [B, Cin, H, W], temb [B, T] → [B, Cout, H, W]. */
  forward(x: Tensor, temb: Tensor | null): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.options.inChannels) {
      throw new ShapeError(`ResnetBlock2D: input ${shapeStr(x.shape)} should be [B, ${this.options.inChannels}, H, W]`);
    }
    const tembProj = this.time_emb_proj;
    if (tembProj && !temb) throw new Error("ResnetBlock2D: this block needs a time embedding");
    // Each intermediate is released as soon as the next op has read it (sequential), the rest when the block
    // returns (tidy): the next block's ops reuse the memory.
    return tidy(x.backend, () => {
      const h = sequential(x,
        (x) => this.norm1.forward(x, true), // GroupNorm + SiLU, [B, Cin, H, W]
        (h) => this.conv1.forward(h), // [B, Cout, H, W]
        (h) => (tembProj && temb ? addPerChannel(h, tembProj.forward(silu(temb))) : h), // + [B, Cout] per channel
        (h) => this.norm2.forward(h, true),
        (h) => this.conv2.forward(h),
      );
      const shortcut = this.conv_shortcut ? this.conv_shortcut.forward(x) : x;
      return add(shortcut, h);
    });
  }
}
