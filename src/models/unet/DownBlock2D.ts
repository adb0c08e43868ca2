// diffusers `DownBlock2D`: like CrossAttnDownBlock2D without attention (SD1.x's lowest-resolution level).
import { Module, ModuleList } from "../../nn/Module.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Downsample2D } from "../common/Downsample2D.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { traced, type TraceFn } from "../common/trace.js";
import type { DownBlockOptions, DownBlockOutput } from "./CrossAttnDownBlock2D.js";

export class DownBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(o: DownBlockOptions) {
    super();
    this.resnets = this.add("resnets", new ModuleList(Array.from({ length: o.layers }, (_, i) => new ResnetBlock2D({
      inChannels: i === 0 ? o.inChannels : o.outChannels, outChannels: o.outChannels, tembChannels: o.tembChannels, groups: o.groups, eps: o.eps,
    }))));
    this.downsamplers = o.addDownsample ? this.add("downsamplers", new ModuleList([new Downsample2D(o.outChannels, o.downsamplePadding)])) : null;
  }

  forward(x: Tensor, temb: Tensor, _context: Tensor, trace?: TraceFn): DownBlockOutput {
    const resSamples: Tensor[] = []; // every output is a skip tensor: nothing to release here
    let h = x;
    for (let i = 0; i < this.resnets.length; i++) {
      h = traced(trace, `resnets.${i}`, this.resnets.at(i).forward(h, temb));
      resSamples.push(h);
    }
    if (this.downsamplers) {
      h = traced(trace, "downsamplers.0", this.downsamplers.at(0).forward(h));
      resSamples.push(h);
    }
    return { hidden: h, resSamples };
  }
}
