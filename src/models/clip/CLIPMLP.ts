import { quickGelu, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

/** fc2(quick_gelu(fc1(x))): [B, T, H] → [B, T, I] → [B, T, H]. */
export class CLIPMLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(config: CLIPTextConfig) {
    super();
    this.fc1 = this.add("fc1", new Linear(config.hiddenSize, config.intermediateSize));
    this.fc2 = this.add("fc2", new Linear(config.intermediateSize, config.hiddenSize));
  }

  forward(x: Tensor): Tensor {
    // hidden_act is validated to be quick_gelu when the config is parsed.
    return tidy(x.backend, () => this.fc2.forward(quickGelu(this.fc1.forward(x))));
  }
}
