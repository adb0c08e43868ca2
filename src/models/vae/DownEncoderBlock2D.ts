// diffusers `DownEncoderBlock2D`: `layers` resnets (the first changes inChannels → outChannels), then, except
// at the last level, a stride-2 Downsample2D that pads only bottom/right (diffusers' `downsample_padding=0`).
// No time embedding and no skip outputs: the encoder is a plain feed-forward stack.
import { Module, ModuleList } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Downsample2D } from "../common/Downsample2D.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import type { TraceFn } from "../common/trace.js";

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
    let h = x;
    this.resnets.items.forEach((resnet, i) => {
      h = resnet.forward(h, null);
      trace?.(`resnets.${i}`, h);
    });
    if (this.downsamplers) {
      h = this.downsamplers.at(0).forward(h);
      trace?.("downsamplers.0", h);
    }
    return h;
  }
}
