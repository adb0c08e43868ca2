// Layout ops over row-major host Float32Arrays, shared by every backend that keeps its tensors in host memory
// in logical layout (the TypeScript and native backends). They only move data, so one implementation serves
// both; each backend passes its own allocator (shared memory for worker threads, malloc-friendly buffers, …).
import { numelOf, ShapeError, shapeStr, type Shape } from "../tensor/Tensor.js";

export interface HostTensor {
  readonly data: Float32Array;
  readonly shape: Shape;
}

export type Alloc = (n: number) => Float32Array;

export function hostConcat(xs: readonly HostTensor[], axis: number, alloc: Alloc): HostTensor {
  const first = xs[0];
  if (!first) throw new ShapeError("concat of no tensors");
  const rank = first.shape.length;
  const ax = axis < 0 ? rank + axis : axis;
  if (ax < 0 || ax >= rank) throw new ShapeError(`concat: axis ${axis} out of range for ${shapeStr(first.shape)}`);
  for (const t of xs) {
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat on axis ${axis}: ${xs.map((t) => shapeStr(t.shape)).join(" and ")} differ outside that axis`);
    }
  }
  const outer = numelOf(first.shape.slice(0, ax));
  const inner = numelOf(first.shape.slice(ax + 1));
  const total = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const out = alloc(outer * total * inner);
  let offset = 0;
  for (const t of xs) {
    const chunk = t.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * total * inner + offset);
    offset += chunk;
  }
  const shape = [...first.shape];
  shape[ax] = total;
  return { data: out, shape };
}

export function hostSlice(x: HostTensor, axis: number, start: number, end: number, alloc: Alloc): HostTensor {
  const ax = axis < 0 ? x.shape.length + axis : axis;
  const size = x.shape[ax];
  if (size === undefined || start < 0 || end > size || start >= end) {
    throw new ShapeError(`slice [${start}, ${end}) on axis ${axis} out of range for ${shapeStr(x.shape)}`);
  }
  const outer = numelOf(x.shape.slice(0, ax));
  const inner = numelOf(x.shape.slice(ax + 1));
  const len = (end - start) * inner;
  const out = alloc(outer * len);
  for (let o = 0; o < outer; o++) {
    const from = (o * size + start) * inner;
    out.set(x.data.subarray(from, from + len), o * len);
  }
  const shape = [...x.shape];
  shape[ax] = end - start;
  return { data: out, shape };
}

/** table [V, D], ids (batch·length) → [batch, length, D]. */
export function hostEmbedding(table: HostTensor, ids: Int32Array, batch: number, length: number, alloc: Alloc): HostTensor {
  if (table.shape.length !== 2) throw new ShapeError(`embedding: table must be [V, D], got ${shapeStr(table.shape)}`);
  const [V, D] = table.shape as [number, number];
  if (ids.length !== batch * length) throw new ShapeError(`embedding: ${ids.length} ids for [${batch}, ${length}]`);
  const out = alloc(ids.length * D);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) throw new ShapeError(`embedding: id ${id} at position ${i} is outside the vocabulary of ${V}`);
    out.set(table.data.subarray(id * D, (id + 1) * D), i * D);
  }
  return { data: out, shape: [batch, length, D] };
}
