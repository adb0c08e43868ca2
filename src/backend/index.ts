// Backend selection. `ts` (portable TypeScript) is always available; `native` (the C++ addon of native/,
// built by `npm install`) is the default when it loaded. SDTS_BACKEND / --backend choose explicitly,
// SDTS_THREADS / --threads set the native kernel threads.
import type { Backend } from "./Backend.js";
import { TsBackend } from "./ts/TsBackend.js";
import { loadNativeAddon } from "./native/addon.js";
import { NativeBackend, type NativeIsa, type NativePrecision, type NativeWeightStorage } from "./native/NativeBackend.js";

export type BackendName = "ts" | "native";
export const BACKEND_NAMES: readonly BackendName[] = ["ts", "native"];

export interface BackendOptions {
  /** Worker threads for kernels (default: $SDTS_THREADS, else all cores). */
  readonly threads?: number;
  /** Native instruction set (default: the best the CPU supports). */
  readonly isa?: NativeIsa;
  /** Native GEMM precision (default fp32; bf16 is opt-in, AVX512-BF16 CPUs only). */
  readonly precision?: NativePrecision;
  /** Native conv/linear weight storage with fp32 precision (default fp32; fp16 halves the memory). */
  readonly weights?: NativeWeightStorage;
}

let fallbackNoticeShown = false;

/** Whether the native addon loaded, and why not. */
export function nativeAvailability(): { available: boolean; reason: string | null } {
  const load = loadNativeAddon();
  return { available: load.addon !== null, reason: load.error };
}

function threadsFromEnv(): number | undefined {
  const env = process.env.SDTS_THREADS;
  if (env === undefined || env === "") return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SDTS_THREADS must be a positive integer, got "${env}"`);
  return n;
}

/**
 * `name`: "ts" or "native"; when absent, $SDTS_BACKEND, else native if its addon loaded, else ts (with a
 * one-time notice on stderr saying why).
 */
export function createBackend(name?: string, options: BackendOptions = {}): Backend {
  const chosen = name ?? (process.env.SDTS_BACKEND || undefined);
  const threads = options.threads ?? threadsFromEnv();
  switch (chosen) {
    case "ts":
      if (options.precision && options.precision !== "fp32") throw new Error(`backend "ts" computes in fp32 only (asked for ${options.precision})`);
      return new TsBackend(threads === undefined ? {} : { threads });
    case "native": {
      const load = loadNativeAddon();
      if (!load.addon) throw new Error(`backend "native" is not available: ${load.error}`);
      return new NativeBackend(load.addon, { threads, isa: options.isa, precision: options.precision, weights: options.weights });
    }
    case undefined: {
      const load = loadNativeAddon();
      if (load.addon) return new NativeBackend(load.addon, { threads, isa: options.isa, precision: options.precision, weights: options.weights });
      if (!fallbackNoticeShown) {
        fallbackNoticeShown = true;
        process.stderr.write(`sdts: native backend not available, using the TypeScript backend (${load.error})\n`);
      }
      return new TsBackend(threads === undefined ? {} : { threads });
    }
    default:
      throw new Error(`unknown backend "${chosen}" (valid: ${BACKEND_NAMES.join(", ")})`);
  }
}
