// diffusers `UpDecoderBlock2D`: `layers` resnets (layers_per_block + 1; the first changes
// inChannels → outChannels), then, except at the last level, nearest ×2 + 3×3 conv (Upsample2D).
// Unlike the UNet's up blocks there are no skip connections.
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential, type Step } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { ResnetBlock2D } from "../common/ResnetBlock2D.js";
import { traced, type TraceFn } from "../common/trace.js";
import { Upsample2D } from "../common/Upsample2D.js";
import type { VAEBlockOptions } from "./DownEncoderBlock2D.js";

export class UpDecoderBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(o: VAEBlockOptions, addUpsample: boolean) {
    super();
    this.resnets = this.add("resnets", new ModuleList(Array.from({ length: o.layers }, (_, i) => new ResnetBlock2D({
      inChannels: i === 0 ? o.inChannels : o.outChannels, outChannels: o.outChannels, tembChannels: null, groups: o.groups, eps: o.eps,
    }))));
    this.upsamplers = addUpsample ? this.add("upsamplers", new ModuleList([new Upsample2D(o.outChannels)])) : null;
  }

  /** [B, Cin, h, w] → [B, Cout, 2h, 2w] (h, w unchanged at the last level). */
  forward(x: Tensor, trace?: TraceFn): Tensor {
    const resnets = this.resnets.items.map((resnet, i): Step => (h) => traced(trace, `resnets.${i}`, resnet.forward(h, null)));
    const upsampler = this.upsamplers?.at(0);
    return sequential(x, ...resnets, ...(upsampler ? [(h: Tensor) => traced(trace, "upsamplers.0", upsampler.forward(h))] : []));
  }
}
