// diffusers `DownEncoderBlock2D`: `layers` resnets (the first changes inChannels → outChannels), then, except
// at the last level, a stride-2 Downsample2D that pads only bottom/right (diffusers' `downsample_padding=0`).
// No time embedding and no skip outputs: the encoder is a plain feed-forward stack.
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential, type Step } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Downsample2D } from "../common/Downsample2D.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { traced, type TraceFn } from "../common/trace.js";

export interface VAEBlockOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly layers: number;
  readonly groups: number;
  readonly eps: number;
}

export class DownEncoderBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(o: VAEBlockOptions, addDownsample: boolean) {
    super();
    this.resnets = this.add("resnets", new ModuleList(Array.from({ length: o.layers }, (_, i) => new ResnetBlock2D({
      inChannels: i === 0 ? o.inChannels : o.outChannels, outChannels: o.outChannels, tembChannels: null, groups: o.groups, eps: o.eps,
    }))));
    this.downsamplers = addDownsample ? this.add("downsamplers", new ModuleList([new Downsample2D(o.outChannels, 0)])) : null;
  }

  /** [B, Cin, H, W] → [B, Cout, H/2, W/2] (H, W unchanged at the last level). */
  forward(x: Tensor, trace?: TraceFn): Tensor {
    const resnets = this.resnets.items.map((resnet, i): Step => (h) => traced(trace, `resnets.${i}`, resnet.forward(h, null)));
    const downsampler = this.downsamplers?.at(0);
    return sequential(x, ...resnets, ...(downsampler ? [(h: Tensor) => traced(trace, "downsamplers.0", downsampler.forward(h))] : []));
  }
}
