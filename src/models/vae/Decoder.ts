// diffusers' VAE `Decoder`: z [B, latent, h, w] (after post_quant_conv) → image [B, 3, h·f, w·f], f = 2^(levels−1):
//   conv_in → UNetMidBlock2D → UpDecoderBlock2D × levels (channels reversed; doubling except the last)
//   → conv_norm_out (GroupNorm, eps 1e-6) → SiLU → conv_out
// SD1.5: up levels (512, 512, 256, 128), 3 resnets each. Any latent size works (no halving on the way).
// Registration order is diffusers': conv_in, up_blocks, mid_block, conv_norm_out, conv_out.
import { Conv2d } from "../../nn/Conv2d.js";
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential, silu, type Step } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
import type { AutoencoderKLConfig } from "./AutoencoderKLConfig.js";
import { VAE_NORM_EPS } from "./Encoder.js";
import { UNetMidBlock2D } from "./UNetMidBlock2D.js";
import { UpDecoderBlock2D } from "./UpDecoderBlock2D.js";

export class Decoder extends Module {
  readonly conv_in: Conv2d;
  readonly up_blocks: ModuleList<UpDecoderBlock2D>;
  readonly mid_block: UNetMidBlock2D;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(readonly config: AutoencoderKLConfig) {
    super();
    const ch = config.blockOutChannels;
    const levels = ch.length;
    const reversed = [...ch].reverse();
    const groups = config.normNumGroups;
    this.conv_in = this.add("conv_in", new Conv2d(config.latentChannels, reversed[0]!, 3, 1, 1));
    this.up_blocks = this.add("up_blocks", new ModuleList(reversed.map((out, i) => new UpDecoderBlock2D({
      inChannels: reversed[Math.max(i - 1, 0)]!, outChannels: out, layers: config.layersPerBlock + 1, groups, eps: VAE_NORM_EPS,
    }, i < levels - 1))));
    this.mid_block = this.add("mid_block", new UNetMidBlock2D(reversed[0]!, groups, VAE_NORM_EPS));
    this.conv_norm_out = this.add("conv_norm_out", new GroupNorm(groups, ch[0]!, VAE_NORM_EPS));
    this.conv_out = this.add("conv_out", new Conv2d(ch[0]!, config.outChannels, 3, 1, 1));
  }

  /** z [B, latent, h, w] → [B, out, h·f, w·f]. */
  forward(z: Tensor, trace?: TraceFn): Tensor {
    if (z.rank !== 4 || z.shape[1] !== this.config.latentChannels || z.shape[2] === 0 || z.shape[3] === 0) {
      throw new ShapeError(`VAE decoder: latents ${shapeStr(z.shape)} should be [B, ${this.config.latentChannels}, h, w]`);
    }
    // Each stage's output is released once the next has read it (at 512×512 they are up to 268 MB).
    return sequential(z,
      (z) => traced(trace, "conv_in", this.conv_in.forward(z)), // [B, C_top, h, w]
      (h) => traced(trace, "mid_block", this.mid_block.forward(h, scoped(trace, "mid_block"))),
      ...this.up_blocks.items.map((block, i): Step => (h) =>
        traced(trace, `up_blocks.${i}`, block.forward(h, scoped(trace, `up_blocks.${i}`)))), // ×2 per level except the last
      (h) => traced(trace, "conv_norm_out", this.conv_norm_out.forward(h)), // [B, C0, h·f, w·f]
      (h) => traced(trace, "conv_act", silu(h)),
      (h) => this.conv_out.forward(h), // [B, out, h·f, w·f]
    );
  }
}
