import type { Tensor } from "../../tensor/Tensor.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { CLIPEncoderLayer } from "./CLIPEncoderLayer.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

/** The stack of encoder layers (`encoder.layers.<L>`). */
export class CLIPEncoder extends Module {
  readonly layers: ModuleList<CLIPEncoderLayer>;

  constructor(config: CLIPTextConfig) {
    super();
    this.layers = this.add(
      "layers",
      new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new CLIPEncoderLayer(config))),
    );
  }

  /**
   * Run the first `numLayers` layers (all by default). Returns the transformers `hidden_states` tuple:
   * [input, output of layer 1, …, output of layer numLayers], each [B, T, H].
   */
  forward(x: Tensor, numLayers = this.layers.length): Tensor[] {
    const states = [x];
    for (let i = 0; i < numLayers; i++) states.push(this.layers.at(i).forward(states[i]!));
    return states;
  }
}
