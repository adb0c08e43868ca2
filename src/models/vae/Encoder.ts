// diffusers' VAE `Encoder` (double_z): image [B, 3, H, W] → moments before quant_conv [B, 2·latent, H/f, W/f],
// f = 2^(levels−1) (8 for SD1.x):
//   conv_in → DownEncoderBlock2D × levels (halving except the last) → UNetMidBlock2D
//   → conv_norm_out (GroupNorm, eps 1e-6) → SiLU → conv_out
// SD1.5: levels (128, 256, 512, 512), 2 resnets each, mid block at 512 channels.
import { Conv2d } from "../../nn/Conv2d.js";
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential, silu, type Step } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
import type { AutoencoderKLConfig } from "./AutoencoderKLConfig.js";
import { DownEncoderBlock2D } from "./DownEncoderBlock2D.js";
import { UNetMidBlock2D } from "./UNetMidBlock2D.js";

/** diffusers builds every VAE norm with eps 1e-6 (resnets, mid attention, conv_norm_out). */
export const VAE_NORM_EPS = 1e-6;

export class Encoder extends Module {
  readonly conv_in: Conv2d;
  readonly down_blocks: ModuleList<DownEncoderBlock2D>;
  readonly mid_block: UNetMidBlock2D;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(readonly config: AutoencoderKLConfig) {
    super();
    const ch = config.blockOutChannels;
    const levels = ch.length;
    const top = ch[levels - 1]!;
    const groups = config.normNumGroups;
    this.conv_in = this.add("conv_in", new Conv2d(config.inChannels, ch[0]!, 3, 1, 1));
    this.down_blocks = this.add("down_blocks", new ModuleList(ch.map((out, i) => new DownEncoderBlock2D({
      inChannels: i === 0 ? ch[0]! : ch[i - 1]!, outChannels: out, layers: config.layersPerBlock, groups, eps: VAE_NORM_EPS,
    }, i < levels - 1))));
    this.mid_block = this.add("mid_block", new UNetMidBlock2D(top, groups, VAE_NORM_EPS));
    this.conv_norm_out = this.add("conv_norm_out", new GroupNorm(groups, top, VAE_NORM_EPS));
    this.conv_out = this.add("conv_out", new Conv2d(top, 2 * config.latentChannels, 3, 1, 1));
  }

  /** Image height and width must be multiples of this (one exact halving per downsampler). */
  get sizeMultiple(): number {
    return 2 ** (this.config.blockOutChannels.length - 1);
  }

  /** image [B, Cin, H, W] → [B, 2·latent, H/f, W/f]. */
  forward(image: Tensor, trace?: TraceFn): Tensor {
    const c = this.config;
    if (image.rank !== 4 || image.shape[1] !== c.inChannels) {
      throw new ShapeError(`VAE encoder: image ${shapeStr(image.shape)} should be [B, ${c.inChannels}, H, W]`);
    }
    const [, , H, W] = image.shape as [number, number, number, number];
    const m = this.sizeMultiple;
    if (H === 0 || W === 0 || H % m !== 0 || W % m !== 0) {
      throw new ShapeError(`VAE encoder: image size ${H}×${W} (H×W) must be a positive multiple of ${m} in both dimensions (one halving per downsampler)`);
    }
    // Each stage's output is released once the next has read it.
    return sequential(image,
      (x) => traced(trace, "conv_in", this.conv_in.forward(x)), // [B, C0, H, W]
      ...this.down_blocks.items.map((block, i): Step => (h) =>
        traced(trace, `down_blocks.${i}`, block.forward(h, scoped(trace, `down_blocks.${i}`)))), // [B, C_i, H/2^(i+1), W/2^(i+1)] (no halving at the last level)
      (h) => traced(trace, "mid_block", this.mid_block.forward(h, scoped(trace, "mid_block"))),
      (h) => traced(trace, "conv_norm_out", this.conv_norm_out.forward(h)),
      (h) => traced(trace, "conv_act", silu(h)),
      (h) => traced(trace, "conv_out", this.conv_out.forward(h)), // [B, 2·latent, H/f, W/f]
    );
  }
}
