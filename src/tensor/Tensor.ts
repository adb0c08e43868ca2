// The tensor type model code sees: a shape and a backend. The backend owns the storage (host Float32Array,
// native memory, a GPU buffer) and its layout; model code never touches elements, only composes ops.
import type { Backend } from "../backend/Backend.js";

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

export class Tensor {
  #storage: unknown;

  constructor(
    readonly backend: Backend,
    readonly shape: Shape,
    storage: unknown,
  ) {
    this.#storage = storage;
  }

  /** Opaque to everyone but `backend`. */
  get storage(): unknown {
    return this.#storage;
  }

  /**
   * For the owning backend only: this tensor's elements now live in `storage`. A scope moves the result it hands
   * out of every scope (a forward's output) out of its reusable memory this way (backend/hostBufferPool.ts).
   */
  moveStorage(storage: unknown): void {
    this.#storage = storage;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  dim(i: number): number {
    const d = this.shape[i < 0 ? this.shape.length + i : i];
    if (d === undefined) throw new ShapeError(`dim ${i} out of range for shape ${shapeStr(this.shape)}`);
    return d;
  }

  /** Same elements, new shape (row-major order is preserved). */
  reshape(shape: Shape): Tensor {
    if (numelOf(shape) !== this.numel) {
      throw new ShapeError(`cannot reshape ${shapeStr(this.shape)} (${this.numel} elements) to ${shapeStr(shape)}`);
    }
    return this.backend.reshape(this, shape);
  }

  /** Copy to the host as row-major float32 in NCHW order. Asynchronous because GPU backends need it. */
  toArray(): Promise<Float32Array> {
    return this.backend.read(this);
  }
}
