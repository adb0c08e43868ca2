// diffusers `CrossAttnDownBlock2D`: `layers` × (ResnetBlock2D → Transformer2DModel), then an optional
// stride-2 Downsample2D. Every pair's output, and the downsampled tensor, is kept as a skip tensor for the
// matching up block.
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Downsample2D } from "../common/Downsample2D.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
import { Transformer2DModel } from "./Transformer2DModel.js";

export interface DownBlockOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly tembChannels: number;
  readonly layers: number;
  readonly groups: number;
  readonly eps: number;
  readonly addDownsample: boolean;
  readonly downsamplePadding: number;
}

export interface DownBlockOutput {
  /** What goes on to the next block. */
  readonly hidden: Tensor;
  /** Skip tensors, in the order they were produced. */
  readonly resSamples: Tensor[];
}

export class CrossAttnDownBlock2D extends Module {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(o: DownBlockOptions, heads: number, crossAttentionDim: number) {
    super();
    // diffusers registers attentions before resnets, which fixes the state_dict order.
    this.attentions = this.add("attentions", new ModuleList(Array.from({ length: o.layers },
      () => new Transformer2DModel(o.outChannels, heads, crossAttentionDim, o.groups))));
    this.resnets = this.add("resnets", new ModuleList(Array.from({ length: o.layers }, (_, i) => new ResnetBlock2D({
      inChannels: i === 0 ? o.inChannels : o.outChannels, outChannels: o.outChannels, tembChannels: o.tembChannels, groups: o.groups, eps: o.eps,
    }))));
    this.downsamplers = o.addDownsample ? this.add("downsamplers", new ModuleList([new Downsample2D(o.outChannels, o.downsamplePadding)])) : null;
  }

  /** x [B, Cin, H, W] → hidden [B, Cout, H/2, W/2] (or H, W for the last level) and the skip tensors. */
  forward(x: Tensor, temb: Tensor, context: Tensor, trace?: TraceFn): DownBlockOutput {
    const resSamples: Tensor[] = [];
    let h = x;
    for (let i = 0; i < this.resnets.length; i++) {
      // The resnet's output dies once the attention has read it; the pair's output is a skip tensor.
      h = sequential(h,
        (h) => traced(trace, `resnets.${i}`, this.resnets.at(i).forward(h, temb)), // [B, Cout, H, W]
        (h) => traced(trace, `attentions.${i}`, this.attentions.at(i).forward(h, context, scoped(trace, `attentions.${i}`))),
      );
      resSamples.push(h);
    }
    if (this.downsamplers) {
      h = traced(trace, "downsamplers.0", this.downsamplers.at(0).forward(h)); // [B, Cout, H/2, W/2]
      resSamples.push(h);
    }
    return { hidden: h, resSamples };
  }
}
