import type { Backend, LinearWeight } from "../backend/Backend.js";
import { linear } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";
import { Module, type ParamGetter, type ParamSpec } from "./Module.js";

/** y = x Wᵀ + b over the last dimension; W is [out, in] (torch.nn.Linear). */
export class Linear extends Module {
  private w: LinearWeight | null = null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, readonly bias = true) {
    super();
  }

  override ownParameters(): ParamSpec[] {
    const p: ParamSpec[] = [{ name: "weight", shape: [this.outFeatures, this.inFeatures] }];
    if (this.bias) p.push({ name: "bias", shape: [this.outFeatures] });
    return p;
  }

  override bind(backend: Backend, get: ParamGetter): void {
    this.w = backend.prepareLinear(get("weight"), this.outFeatures, this.inFeatures, this.bias ? get("bias") : undefined);
  }

  override repr(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"})`;
  }

  forward(x: Tensor): Tensor {
    if (!this.w) throw new Error("Linear: weights not loaded");
    return linear(x, this.w);
  }
}
