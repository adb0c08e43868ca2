// diffusers `UNetMidBlock2D` as the VAE uses it (no time embedding): resnet → attention → resnet at the
// lowest resolution, all at `channels`. Registered as `attentions` then `resnets`, diffusers' state-dict order.
import { Module, ModuleList } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, type TraceFn } from "../common/trace.js";
import { VAEAttention } from "./VAEAttention.js";

export class UNetMidBlock2D extends Module {
  readonly attentions: ModuleList<VAEAttention>;
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(channels: number, groups: number, eps: number) {
    super();
    this.attentions = this.add("attentions", new ModuleList([new VAEAttention(channels, groups, eps)]));
    const resnet = () => new ResnetBlock2D({ inChannels: channels, outChannels: channels, tembChannels: null, groups, eps });
    this.resnets = this.add("resnets", new ModuleList([resnet(), resnet()]));
  }

  /** [B, C, h, w] → [B, C, h, w]. */
  forward(x: Tensor, trace?: TraceFn): Tensor {
    let h = this.resnets.at(0).forward(x, null);
    trace?.("resnets.0", h);
    h = this.attentions.at(0).forward(h, scoped(trace, "attentions.0"));
    trace?.("attentions.0", h);
    h = this.resnets.at(1).forward(h, null);
    trace?.("resnets.1", h);
    return h;
  }
}
