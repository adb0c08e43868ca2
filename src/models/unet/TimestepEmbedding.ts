// diffusers `TimestepEmbedding` (`time_embedding`): linear_1 → SiLU → linear_2, widening the sinusoid
// [B, C0] to the time embedding [B, 4·C0] that every resnet receives (the seed's `emb`, a.k.a. `temb`).
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import { silu, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";

export class TimestepEmbedding extends Module {
  readonly linear_1: Linear;
  readonly linear_2: Linear;

  constructor(inChannels: number, timeEmbedDim: number) {
    super();
    this.linear_1 = this.add("linear_1", new Linear(inChannels, timeEmbedDim));
    this.linear_2 = this.add("linear_2", new Linear(timeEmbedDim, timeEmbedDim));
  }

  forward(tEmb: Tensor): Tensor {
    return tidy(tEmb.backend, () => this.linear_2.forward(silu(this.linear_1.forward(tEmb))));
  }
}
