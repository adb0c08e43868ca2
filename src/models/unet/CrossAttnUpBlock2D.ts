// diffusers `CrossAttnUpBlock2D`: `layers` (= layers_per_block + 1) × (concat a skip tensor on the channel
// axis → ResnetBlock2D → Transformer2DModel), then an optional nearest ×2 Upsample2D. Skip tensors are
// consumed last-produced first.
import { Module, ModuleList } from "../../nn/Module.js";
import { concat, sequential, type Step } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { scoped, traced, type TraceFn } from "../common/trace.js";
import { Upsample2D } from "../common/Upsample2D.js";
import { Transformer2DModel } from "./Transformer2DModel.js";

export interface UpBlockOptions {
  /** Channels of the matching down level's input (the width of this block's last skip tensor). */
  readonly inChannels: number;
  readonly outChannels: number;
  /** Channels arriving from the block below. */
  readonly prevOutputChannels: number;
  readonly tembChannels: number;
  readonly layers: number;
  readonly groups: number;
  readonly eps: number;
  readonly addUpsample: boolean;
}

/** The ResnetBlock2D list of an up block: resnet j sees (previous output ‖ skip tensor) channels. */
export function upBlockResnets(o: UpBlockOptions): ResnetBlock2D[] {
  return Array.from({ length: o.layers }, (_, j) => {
    const skipChannels = j === o.layers - 1 ? o.inChannels : o.outChannels;
    const fromBelow = j === 0 ? o.prevOutputChannels : o.outChannels;
    return new ResnetBlock2D({ inChannels: fromBelow + skipChannels, outChannels: o.outChannels, tembChannels: o.tembChannels, groups: o.groups, eps: o.eps });
  });
}

export class CrossAttnUpBlock2D extends Module {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(o: UpBlockOptions, heads: number, crossAttentionDim: number) {
    super();
    this.attentions = this.add("attentions", new ModuleList(Array.from({ length: o.layers },
      () => new Transformer2DModel(o.outChannels, heads, crossAttentionDim, o.groups))));
    this.resnets = this.add("resnets", new ModuleList(upBlockResnets(o)));
    this.upsamplers = o.addUpsample ? this.add("upsamplers", new ModuleList([new Upsample2D(o.outChannels)])) : null;
  }

  /** `skips` holds this block's skip tensors in production order; they are used from the end. */
  forward(x: Tensor, skips: readonly Tensor[], temb: Tensor, context: Tensor, trace?: TraceFn): Tensor {
    // Per layer: concatenate the skip tensor on the channel axis, resnet, attention; then the upsampler.
    // Each intermediate dies once the next step has read it.
    const layers = this.resnets.items.flatMap((resnet, j): Step[] => [
      (h) => concat([h, skips[skips.length - 1 - j]!], 1), // [B, C + C_skip, H, W]
      (h) => traced(trace, `resnets.${j}`, resnet.forward(h, temb)), // [B, Cout, H, W]
      (h) => traced(trace, `attentions.${j}`, this.attentions.at(j).forward(h, context, scoped(trace, `attentions.${j}`))),
    ]);
    const upsampler = this.upsamplers?.at(0);
    return sequential(x, ...layers,
      ...(upsampler ? [(h: Tensor) => traced(trace, "upsamplers.0", upsampler.forward(h))] : [])); // [B, Cout, 2H, 2W]
  }
}
