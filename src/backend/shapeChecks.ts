// Shape validation every backend performs the same way, so errors read the same whichever backend runs.
import { ShapeError, shapeStr, type Tensor } from "../tensor/Tensor.js";

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
