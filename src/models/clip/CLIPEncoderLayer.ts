import { add, sequential } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";
import { LayerNorm } from "../../nn/LayerNorm.js";
import { Module } from "../../nn/Module.js";
import { CLIPAttention } from "./CLIPAttention.js";
import { CLIPMLP } from "./CLIPMLP.js";
import type { CLIPTextConfig } from "./CLIPTextConfig.js";

/** A pre-LayerNorm transformer layer: x + attn(LN1(x)), then + mlp(LN2(·)). [B, T, H] → [B, T, H]. */
export class CLIPEncoderLayer extends Module {
  // Registered in transformers' state_dict order.
  readonly selfAttn: CLIPAttention;
  readonly layerNorm1: LayerNorm;
  readonly mlp: CLIPMLP;
  readonly layerNorm2: LayerNorm;

  constructor(config: CLIPTextConfig) {
    super();
    this.selfAttn = this.add("self_attn", new CLIPAttention(config));
    this.layerNorm1 = this.add("layer_norm1", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.mlp = this.add("mlp", new CLIPMLP(config));
    this.layerNorm2 = this.add("layer_norm2", new LayerNorm(config.hiddenSize, config.layerNormEps));
  }

  forward(x: Tensor): Tensor {
    return sequential(x,
      (x) => add(x, this.selfAttn.forward(this.layerNorm1.forward(x))),
      (h) => add(h, this.mlp.forward(this.layerNorm2.forward(h))),
    );
  }
}
