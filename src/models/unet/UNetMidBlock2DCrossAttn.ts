// diffusers `UNetMidBlock2DCrossAttn` at the lowest resolution: resnet → transformer → resnet.
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
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
    return sequential(x,
      (x) => traced(trace, "resnets.0", this.resnets.at(0).forward(x, temb)),
      (h) => traced(trace, "attentions.0", this.attentions.at(0).forward(h, context, scoped(trace, "attentions.0"))),
      (h) => traced(trace, "resnets.1", this.resnets.at(1).forward(h, temb)),
    );
  }
}
