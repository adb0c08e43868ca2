// Halves H and W with a 3×3 stride-2 convolution (module name `conv`, as in diffusers).
// The UNet pads 1 on every side; the VAE pads only bottom and right by 1 (diffusers' `padding=0` case,
// which applies F.pad(x, (0, 1, 0, 1)) before the convolution).
import type { Padding2d } from "../../backend/Backend.js";
import { Conv2d } from "../../nn/Conv2d.js";
import { Module } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";

const BOTTOM_RIGHT: Padding2d = { top: 0, bottom: 1, left: 0, right: 1 };

export class Downsample2D extends Module {
  readonly conv: Conv2d;

  constructor(readonly channels: number, readonly padding: number) {
    super();
    this.conv = this.add("conv", new Conv2d(channels, channels, 3, 2, padding));
  }

  /** [B, C, H, W] → [B, C, H/2, W/2]. */
  forward(x: Tensor): Tensor {
    return this.padding === 0 ? this.conv.forward(x, BOTTOM_RIGHT) : this.conv.forward(x);
  }
}
