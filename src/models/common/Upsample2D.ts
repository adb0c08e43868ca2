// Doubles H and W: nearest-neighbour ×2, then a 3×3 convolution (module name `conv`).
import { Conv2d } from "../../nn/Conv2d.js";
import { Module } from "../../nn/Module.js";
import { tidy, upsampleNearest2x } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";

export class Upsample2D extends Module {
  readonly conv: Conv2d;

  constructor(readonly channels: number) {
    super();
    this.conv = this.add("conv", new Conv2d(channels, channels, 3, 1, 1));
  }

  /** [B, C, H, W] → [B, C, 2H, 2W]. */
  forward(x: Tensor): Tensor {
    return tidy(x.backend, () => this.conv.forward(upsampleNearest2x(x))); // the 4× larger upsampled input dies here
  }
}
