// diffusers `UNetMidBlock2D` as the VAE uses it (no time embedding): resnet → attention → resnet at the
// lowest resolution, all at `channels`. Registered as `attentions` then `resnets`, diffusers' state-dict order.
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
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
    return sequential(x,
      (x) => traced(trace, "resnets.0", this.resnets.at(0).forward(x, null)),
      (h) => traced(trace, "attentions.0", this.attentions.at(0).forward(h, scoped(trace, "attentions.0"))),
      (h) => traced(trace, "resnets.1", this.resnets.at(1).forward(h, null)),
    );
  }
}
