import type { Backend } from "../backend/Backend.js";
import type { Tensor } from "../tensor/Tensor.js";
import { Module, type ParamGetter, type ParamSpec } from "./Module.js";

/** torch.nn.Embedding: a [num, dim] table looked up by integer ids. */
export class Embedding extends Module {
  private table: Tensor | null = null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
  }

  override ownParameters(): ParamSpec[] {
    return [{ name: "weight", shape: [this.numEmbeddings, this.embeddingDim] }];
  }

  override bind(backend: Backend, get: ParamGetter): void {
    this.table = backend.prepareVector(get("weight"), [this.numEmbeddings, this.embeddingDim]);
  }

  override repr(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }

  /** ids [batch·length] → [batch, length, dim]. */
  forward(ids: Int32Array, batch: number, length: number): Tensor {
    if (!this.table) throw new Error("Embedding: weights not loaded");
    return this.table.backend.embedding(this.table, ids, batch, length);
  }
}
