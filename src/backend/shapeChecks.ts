// Shape validation every backend performs the same way, so errors read the same whichever backend runs.
import { ShapeError, shapeStr, type Tensor } from "../tensor/Tensor.js";
import type { Conv2dOptions, Conv2dWeight, Padding2d } from "./Backend.js";

export interface AttentionDims {
  readonly B: number;
  readonly Tq: number;
  readonly Tk: number;
  /** heads · headDim */
  readonly E: number;
  readonly D: number;
}

/** q [B, Tq, H·D], k/v [B, Tk, H·D] → the dimensions, or a ShapeError naming all three shapes. */
export function attentionDims(q: Tensor, k: Tensor, v: Tensor, heads: number): AttentionDims {
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3 || q.shape[0] !== k.shape[0] || k.shape[0] !== v.shape[0] ||
      q.shape[2] !== k.shape[2] || k.shape[2] !== v.shape[2] || k.shape[1] !== v.shape[1]) {
    throw new ShapeError(`attention: q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)} must be [B, T, H·D] with matching B, H·D and key length`);
  }
  const [B, Tq, E] = q.shape as [number, number, number];
  const Tk = k.dim(1);
  if (E % heads !== 0) throw new ShapeError(`attention: width ${E} not divisible by ${heads} heads`);
  if (Tk === 0) throw new ShapeError(`attention: no keys (k ${shapeStr(k.shape)})`);
  return { B, Tq, Tk, E, D: E / heads };
}

export interface Conv2dDims {
  readonly B: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly stride: number;
  readonly pad: Padding2d;
}

/** x [B, C, H, W] against a prepared weight: the output size, or a ShapeError naming both shapes. */
export function conv2dDims(x: Tensor, w: Conv2dWeight, options: Conv2dOptions): Conv2dDims {
  if (x.rank !== 4 || x.shape[1] !== w.inChannels) {
    throw new ShapeError(`conv2d: input ${shapeStr(x.shape)} does not match weight [${w.outChannels}, ${w.inChannels}, ${w.kernelH}, ${w.kernelW}] (expected [B, ${w.inChannels}, H, W])`);
  }
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const { stride } = options;
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`conv2d: stride must be a positive integer, got ${stride}`);
  const p = options.padding;
  const pad: Padding2d = typeof p === "number" ? { top: p, bottom: p, left: p, right: p } : p;
  const OH = Math.floor((H + pad.top + pad.bottom - w.kernelH) / stride) + 1;
  const OW = Math.floor((W + pad.left + pad.right - w.kernelW) / stride) + 1;
  if (OH <= 0 || OW <= 0) throw new ShapeError(`conv2d: input ${shapeStr(x.shape)} too small for kernel ${w.kernelH}×${w.kernelW}`);
  return { B, C, H, W, OH, OW, stride, pad };
}
