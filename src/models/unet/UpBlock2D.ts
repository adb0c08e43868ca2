// diffusers `UpBlock2D`: like CrossAttnUpBlock2D without attention (SD1.x's lowest-resolution level).
import { Module, ModuleList } from "../../nn/Module.js";
import { concat } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import type { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import type { TraceFn } from "../common/trace.js";
import { Upsample2D } from "../common/Upsample2D.js";
import { upBlockResnets, type UpBlockOptions } from "./CrossAttnUpBlock2D.js";

export class UpBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(o: UpBlockOptions) {
    super();
    this.resnets = this.add("resnets", new ModuleList(upBlockResnets(o)));
    this.upsamplers = o.addUpsample ? this.add("upsamplers", new ModuleList([new Upsample2D(o.outChannels)])) : null;
  }

  forward(x: Tensor, skips: readonly Tensor[], temb: Tensor, _context: Tensor, trace?: TraceFn): Tensor {
    let h = x;
    for (let j = 0; j < this.resnets.length; j++) {
      const skip = skips[skips.length - 1 - j]!;
      h = this.resnets.at(j).forward(concat([h, skip], 1), temb);
      trace?.(`resnets.${j}`, h);
    }
    if (this.upsamplers) {
      h = this.upsamplers.at(0).forward(h);
      trace?.("upsamplers.0", h);
    }
    return h;
  }
}
