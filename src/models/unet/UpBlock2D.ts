// diffusers `UpBlock2D`: like CrossAttnUpBlock2D without attention (SD1.x's lowest-resolution level).
import { Module, ModuleList } from "../../nn/Module.js";
import { concat, sequential, type Step } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import type { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { traced, type TraceFn } from "../common/trace.js";
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
    const layers = this.resnets.items.flatMap((resnet, j): Step[] => [
      (h) => concat([h, skips[skips.length - 1 - j]!], 1),
      (h) => traced(trace, `resnets.${j}`, resnet.forward(h, temb)),
    ]);
    const upsampler = this.upsamplers?.at(0);
    return sequential(x, ...layers, ...(upsampler ? [(h: Tensor) => traced(trace, "upsamplers.0", upsampler.forward(h))] : []));
  }
}
