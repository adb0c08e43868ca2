// Free-function ops for model code: each dispatches to the backend that owns its first tensor, so a model
// reads as math (`silu(groupNorm(x))`) and never names a backend.
import type { AttentionOptions, Conv2dOptions, Conv2dWeight, LinearWeight, NormOptions } from "../backend/Backend.js";
import { ShapeError, shapeStr, type Tensor } from "./Tensor.js";

export const linear = (x: Tensor, w: LinearWeight): Tensor => x.backend.linear(x, w);
export const conv2d = (x: Tensor, w: Conv2dWeight, o: Conv2dOptions): Tensor => x.backend.conv2d(x, w, o);
export const groupNorm = (x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, o?: NormOptions): Tensor =>
  x.backend.groupNorm(x, groups, gamma, beta, eps, o);
export const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor => x.backend.layerNorm(x, gamma, beta, eps);
export const silu = (x: Tensor): Tensor => x.backend.silu(x);
export const gelu = (x: Tensor): Tensor => x.backend.gelu(x);
export const quickGelu = (x: Tensor): Tensor => x.backend.quickGelu(x);
export const geglu = (x: Tensor): Tensor => x.backend.geglu(x);
export const attention = (q: Tensor, k: Tensor, v: Tensor, heads: number, o?: AttentionOptions): Tensor =>
  q.backend.attention(q, k, v, heads, o);
export const upsampleNearest2x = (x: Tensor): Tensor => x.backend.upsampleNearest2x(x);
export const add = (a: Tensor, b: Tensor): Tensor => a.backend.add(a, b);
export const addPerChannel = (x: Tensor, v: Tensor): Tensor => x.backend.addPerChannel(x, v);
export const scale = (x: Tensor, s: number): Tensor => x.backend.scale(x, s);
export const slice = (x: Tensor, axis: number, start: number, end: number): Tensor => x.backend.slice(x, axis, start, end);
export const imageToTokens = (x: Tensor): Tensor => x.backend.imageToTokens(x);
export const tokensToImage = (x: Tensor, h: number, w: number): Tensor => x.backend.tokensToImage(x, h, w);

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError("concat of no tensors");
  return xs[0]!.backend.concat(xs, axis);
}

/** Split `x` into `n` equal parts along `axis` (torch.chunk for evenly divisible sizes). */
export function chunk(x: Tensor, n: number, axis: number): Tensor[] {
  const size = x.dim(axis);
  if (size % n !== 0) throw new ShapeError(`chunk: dim ${axis} of ${shapeStr(x.shape)} is not divisible by ${n}`);
  const part = size / n;
  return Array.from({ length: n }, (_, i) => x.backend.slice(x, axis, i * part, (i + 1) * part));
}

export { keep, sequential, tidy, type Step } from "./scope.js";
