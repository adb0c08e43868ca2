// Helpers shared by the case runners: case inputs, weights (file when the case ships one, else synthetic).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../backend/Backend.js";
import type { Tensor } from "../tensor/Tensor.js";
import { SafetensorsFile } from "../weights/safetensors.js";
import { SafetensorsSource, SyntheticSource, type WeightSource } from "../weights/WeightSource.js";
import type { CaseTensor } from "./types.js";

export class CaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaseError";
  }
}

/** The case's `weights.safetensors` when present, else the synthetic rule. */
export function caseWeights(caseDir: string): WeightSource {
  const file = join(caseDir, "weights.safetensors");
  return existsSync(file) ? SafetensorsSource.open(file) : new SyntheticSource();
}

/** All float tensors of the case's inputs.safetensors. */
export function caseInputs(caseDir: string): Map<string, CaseTensor> {
  const path = join(caseDir, "inputs.safetensors");
  if (!existsSync(path)) throw new CaseError(`${caseDir}: missing inputs.safetensors`);
  const f = SafetensorsFile.open(path);
  try {
    const out = new Map<string, CaseTensor>();
    for (const info of f.infos()) {
      if (info.dtype === "F32" || info.dtype === "F16" || info.dtype === "BF16" || info.dtype === "F64") {
        out.set(info.name, { shape: info.shape, data: f.readF32(info.name) });
      }
    }
    return out;
  } finally {
    f.close();
  }
}

export function requireInput(inputs: Map<string, CaseTensor>, name: string, caseDir: string): CaseTensor {
  const t = inputs.get(name);
  if (!t) throw new CaseError(`${caseDir}/inputs.safetensors: missing input "${name}" (has: ${[...inputs.keys()].join(", ")})`);
  return t;
}

export function upload(backend: Backend, t: CaseTensor): Tensor {
  return backend.fromArray(t.data, t.shape);
}

/** Collects traced tensors (as host copies) under `prefix + name`. */
export class TraceCollector {
  private readonly pending: Array<[string, Tensor]> = [];

  constructor(private readonly prefix: string) {}

  readonly fn = (name: string, value: Tensor): void => {
    this.pending.push([this.prefix + name, value]);
  };

  async into(out: Map<string, CaseTensor>): Promise<void> {
    for (const [name, t] of this.pending) out.set(name, { shape: t.shape, data: await t.toArray() });
  }
}
