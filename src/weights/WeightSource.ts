// Where parameter values come from: a safetensors file (or several), synthetic values, or a renamed view
// of a single-file LDM checkpoint. The loader only needs names, shapes and float32 values.
import { shapeStr, type Shape } from "../tensor/Tensor.js";
import { SafetensorsFile } from "./safetensors.js";
import { syntheticParameter } from "./synthetic.js";

export interface WeightSource {
  /** For error messages: the file path or "synthetic weights". */
  readonly description: string;
  /** Shape of a stored tensor, or undefined when absent. A synthetic source answers for any name. */
  shapeOf(name: string, expected: Shape): Shape | undefined;
  read(name: string, shape: Shape): Float32Array;
  /** All stored names, when the source has a fixed set (used to report unexpected tensors). */
  names(): readonly string[] | null;
}

export class SafetensorsSource implements WeightSource {
  readonly description: string;

  constructor(readonly file: SafetensorsFile) {
    this.description = file.path;
  }

  static open(path: string): SafetensorsSource {
    return new SafetensorsSource(SafetensorsFile.open(path));
  }

  shapeOf(name: string): Shape | undefined {
    return this.file.has(name) ? this.file.info(name).shape : undefined;
  }

  read(name: string): Float32Array {
    return this.file.readF32(name);
  }

  names(): readonly string[] {
    return this.file.names();
  }
}

export class SyntheticSource implements WeightSource {
  readonly description = "synthetic weights (fixtures README §2)";

  shapeOf(_name: string, expected: Shape): Shape {
    return expected;
  }

  read(name: string, shape: Shape): Float32Array {
    return syntheticParameter(name, shape);
  }

  names(): null {
    return null;
  }
}

/** Names under `prefix` in `inner`, seen without the prefix (`text_model.` inside a whole checkpoint…). */
export class PrefixedSource implements WeightSource {
  readonly description: string;

  constructor(private readonly inner: WeightSource, private readonly prefix: string) {
    this.description = `${inner.description} (tensors under "${prefix}")`;
  }

  shapeOf(name: string, expected: Shape): Shape | undefined {
    return this.inner.shapeOf(this.prefix + name, expected);
  }

  read(name: string, shape: Shape): Float32Array {
    return this.inner.read(this.prefix + name, shape);
  }

  names(): readonly string[] | null {
    const all = this.inner.names();
    return all ? all.filter((n) => n.startsWith(this.prefix)).map((n) => n.slice(this.prefix.length)) : null;
  }
}

export class WeightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightError";
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export { shapeStr };
