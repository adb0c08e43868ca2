import type { Backend } from "../backend/Backend.js";
import { layerNorm } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";
import { pyFloat } from "./GroupNorm.js";
import { Module, type ParamGetter, type ParamSpec } from "./Module.js";

/** torch.nn.LayerNorm over the last dimension, elementwise affine. */
export class LayerNorm extends Module {
  private gamma: Tensor | null = null;
  private beta: Tensor | null = null;

  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
  }

  override ownParameters(): ParamSpec[] {
    return [{ name: "weight", shape: [this.dim] }, { name: "bias", shape: [this.dim] }];
  }

  override bind(backend: Backend, get: ParamGetter): void {
    this.gamma = backend.prepareVector(get("weight"), [this.dim]);
    this.beta = backend.prepareVector(get("bias"), [this.dim]);
  }

  override repr(): string {
    return `LayerNorm((${this.dim},), eps=${pyFloat(this.eps)}, elementwise_affine=True)`;
  }

  forward(x: Tensor): Tensor {
    if (!this.gamma || !this.beta) throw new Error("LayerNorm: weights not loaded");
    return layerNorm(x, this.gamma, this.beta, this.eps);
  }
}
