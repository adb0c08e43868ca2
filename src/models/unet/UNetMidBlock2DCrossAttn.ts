// diffusers `UNetMidBlock2DCrossAttn` at the lowest resolution: resnet → transformer → resnet.
import { Module, ModuleList } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, type TraceFn } from "../common/trace.js";
import { Transformer2DModel } from "./Transformer2DModel.js";

export class UNetMidBlock2DCrossAttn extends Module {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(channels: number, tembChannels: number, heads: number, crossAttentionDim: number, groups: number, eps: number) {
    super();
    this.attentions = this.add("attentions", new ModuleList([new Transformer2DModel(channels, heads, crossAttentionDim, groups)]));
    const resnet = () => new ResnetBlock2D({ inChannels: channels, outChannels: channels, tembChannels, groups, eps });
    this.resnets = this.add("resnets", new ModuleList([resnet(), resnet()]));
  }

  /** [B, C, h, w] → [B, C, h, w]. */
  forward(x: Tensor, temb: Tensor, context: Tensor, trace?: TraceFn): Tensor {
    let h = this.resnets.at(0).forward(x, temb);
    trace?.("resnets.0", h);
    h = this.attentions.at(0).forward(h, context, scoped(trace, "attentions.0"));
    trace?.("attentions.0", h);
    h = this.resnets.at(1).forward(h, temb);
    trace?.("resnets.1", h);
    return h;
  }
}
