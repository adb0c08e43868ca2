import type { Backend, Conv2dWeight, Padding2d } from "../backend/Backend.js";
import { conv2d } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";
import { Module, type ParamGetter, type ParamSpec } from "./Module.js";

/** Square-kernel 2-D convolution with bias (torch.nn.Conv2d as SD uses it). */
export class Conv2d extends Module {
  private w: Conv2dWeight | null = null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly stride = 1,
    readonly padding = 0,
  ) {
    super();
  }

  override ownParameters(): ParamSpec[] {
    const k = this.kernelSize;
    return [
      { name: "weight", shape: [this.outChannels, this.inChannels, k, k] },
      { name: "bias", shape: [this.outChannels] },
    ];
  }

  override bind(backend: Backend, get: ParamGetter): void {
    const k = this.kernelSize;
    this.w = backend.prepareConv2d(get("weight"), [this.outChannels, this.inChannels, k, k], get("bias"));
  }

  override repr(): string {
    const k = this.kernelSize, s = this.stride, p = this.padding;
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=(${k}, ${k}), stride=(${s}, ${s})${p ? `, padding=(${p}, ${p})` : ""})`;
  }

  /** `padding` overrides the module's own (the VAE downsampler pads bottom/right only). */
  forward(x: Tensor, padding?: Padding2d): Tensor {
    if (!this.w) throw new Error("Conv2d: weights not loaded");
    return conv2d(x, this.w, { stride: this.stride, padding: padding ?? this.padding });
  }
}
