import type { Backend } from "../backend/Backend.js";
import { groupNorm } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";
import { Module, type ParamGetter, type ParamSpec } from "./Module.js";

/** torch.nn.GroupNorm(groups, channels, eps, affine=True); `forward(x, true)` fuses the SiLU that follows. */
export class GroupNorm extends Module {
  private gamma: Tensor | null = null;
  private beta: Tensor | null = null;

  constructor(readonly numGroups: number, readonly numChannels: number, readonly eps: number) {
    super();
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: ${numChannels} channels not divisible into ${numGroups} groups`);
  }

  override ownParameters(): ParamSpec[] {
    return [{ name: "weight", shape: [this.numChannels] }, { name: "bias", shape: [this.numChannels] }];
  }

  override bind(backend: Backend, get: ParamGetter): void {
    this.gamma = backend.prepareVector(get("weight"), [this.numChannels]);
    this.beta = backend.prepareVector(get("bias"), [this.numChannels]);
  }

  override repr(): string {
    return `GroupNorm(${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=True)`;
  }

  forward(x: Tensor, silu = false): Tensor {
    if (!this.gamma || !this.beta) throw new Error("GroupNorm: weights not loaded");
    return groupNorm(x, this.numGroups, this.gamma, this.beta, this.eps, { silu });
  }
}

/** Python's repr of a float (1e-05, 1e-06, 0.5): scientific below 1e-4, as Python prints it. */
export function pyFloat(v: number): string {
  if (Number.isInteger(v)) return `${v}.0`;
  if (v !== 0 && Math.abs(v) < 1e-4) {
    const [mant, exp] = v.toExponential().split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    return `${mant}e${sign}${exp.replace(/^[-+]/, "").padStart(2, "0")}`;
  }
  return String(v);
}
