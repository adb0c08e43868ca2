// Load a module tree from a weight source: a straight walk over the tree's parameters, whose paths are the
// state-dict keys. Every tensor is checked (present, right shape) before it is read, read one at a time,
// handed to the backend to prepare, and dropped. Missing, misshapen and unexpected tensors are errors that
// name the tensor and the file.
import type { Backend } from "../backend/Backend.js";
import type { Module } from "../nn/Module.js";
import { shapeStr } from "../tensor/Tensor.js";
import { sameShape, WeightError, type WeightSource } from "./WeightSource.js";

export interface LoadOptions {
  /** Stored names that are not parameters and may be ignored (e.g. `text_model.embeddings.position_ids`). */
  readonly ignore?: (name: string) => boolean;
  /** Called after each tensor (for progress). */
  readonly onTensor?: (name: string, index: number, total: number) => void;
}

export function loadWeights(model: Module, source: WeightSource, backend: Backend, options: LoadOptions = {}): void {
  const expected = model.namedParameters();
  // Check every name and shape first, so a bad file fails before any work is done.
  const missing: string[] = [];
  for (const [name, shape] of expected) {
    const got = source.shapeOf(name, shape);
    if (!got) missing.push(`${name} ${shapeStr(shape)}`);
    else if (!sameShape(got, shape)) {
      throw new WeightError(`${source.description}: tensor "${name}" has shape ${shapeStr(got)}, expected ${shapeStr(shape)}`);
    }
  }
  if (missing.length) {
    const list = missing.slice(0, 10).join(", ") + (missing.length > 10 ? `, … (${missing.length} in all)` : "");
    throw new WeightError(`${source.description}: missing tensor${missing.length > 1 ? "s" : ""} ${list}`);
  }
  const stored = source.names();
  if (stored) {
    const wanted = new Set(expected.map(([n]) => n));
    const unexpected = stored.filter((n) => !wanted.has(n) && !(options.ignore?.(n) ?? false));
    if (unexpected.length) {
      const list = unexpected.slice(0, 10).join(", ") + (unexpected.length > 10 ? `, … (${unexpected.length} in all)` : "");
      throw new WeightError(`${source.description}: unexpected tensor${unexpected.length > 1 ? "s" : ""} ${list} (not part of the configured model)`);
    }
  }
  let index = 0;
  const total = expected.length;
  for (const [path, module] of model.modules()) {
    const own = module.ownParameters();
    if (own.length === 0) continue;
    const prefix = path ? `${path}.` : "";
    module.bind(backend, (local) => {
      const spec = own.find((p) => p.name === local);
      if (!spec) throw new Error(`${module.constructor.name} asked for undeclared parameter "${local}"`);
      const name = prefix + local;
      const values = source.read(name, spec.shape);
      options.onTensor?.(name, index++, total);
      return values;
    });
  }
  backend.endWeights?.();
}
