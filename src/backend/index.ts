// Backend selection. `ts` is always available; `native` (the C++ addon) is added by src/backend/native.
import type { Backend } from "./Backend.js";
import { TsBackend } from "./ts/TsBackend.js";

export type BackendName = "ts" | "native";
export const BACKEND_NAMES: readonly BackendName[] = ["ts", "native"];

export interface BackendOptions {
  /** Worker threads for kernels (default: all cores). */
  readonly threads?: number;
}

export function createBackend(name: string = process.env.SDTS_BACKEND ?? "ts", _options: BackendOptions = {}): Backend {
  switch (name) {
    case "ts":
      return new TsBackend();
    default:
      throw new Error(`unknown backend "${name}" (valid: ${BACKEND_NAMES.join(", ")})`);
  }
}
