// Backend selection. `ts` (portable TypeScript) is always available; `native` (the C++ addon of native/,
// built by `npm install`) is the default when it loaded. SDTS_BACKEND / --backend choose explicitly,
// SDTS_THREADS / --threads set the native kernel threads.
import type { Backend } from "./Backend.js";
import { TsBackend } from "./ts/TsBackend.js";
import { loadNativeAddon } from "./native/addon.js";
import { NativeBackend, type NativeIsa, type NativePrecision, type NativeWeightStorage } from "./native/NativeBackend.js";

export type BackendName = "ts" | "native";
export const BACKEND_NAMES: readonly BackendName[] = ["ts", "native"];

/** Conv/linear compute precision (`--precision`). */
export type Precision = "fp32" | "bf16";
export const PRECISIONS: readonly Precision[] = ["fp32", "bf16"];
/** Conv/linear weight storage (`--weights-dtype`); compute is unchanged (fp32 unless precision is bf16). */
export type WeightsDtype = "fp32" | "fp16" | "bf16";
export const WEIGHTS_DTYPES: readonly WeightsDtype[] = ["fp32", "fp16", "bf16"];

export interface BackendOptions {
  /** Worker threads for kernels (default: $SDTS_THREADS, else all cores). */
  readonly threads?: number;
  /** Native instruction set (default: the best the CPU supports). */
  readonly isa?: NativeIsa;
  /** Native GEMM precision (default fp32; bf16 is opt-in, AVX512-BF16 CPUs only). */
  readonly precision?: NativePrecision;
  /**
   * Conv/linear weight storage (default fp32). Native: fp16 with fp32 precision (half the memory, widened on
   * use); bf16 only together with precision bf16 (which always stores bf16). TS: fp32 only.
   */
  readonly weights?: WeightsDtype;
}

/** The native backend's storage option for (precision, weights dtype), or an error naming the flags. */
function nativeWeights(precision: NativePrecision | undefined, weights: WeightsDtype | undefined): NativeWeightStorage | undefined {
  if (weights === undefined) return undefined;
  if (precision === "bf16") {
    if (weights === "bf16") return undefined; // bf16 precision stores bf16: nothing more to ask
    throw new Error(`--weights-dtype ${weights} cannot be combined with --precision bf16, which stores conv/linear weights as bf16 (use --weights-dtype bf16 or leave it out)`);
  }
  if (weights === "bf16") {
    throw new Error("--weights-dtype bf16: the native backend's fp32 kernels read fp32 or fp16 weights only; bf16 weights come with --precision bf16 (bf16 compute), or use --weights-dtype fp16");
  }
  return weights;
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
      if (options.precision && options.precision !== "fp32") throw new Error(`--precision ${options.precision}: backend "ts" computes in fp32 only`);
      if (options.weights && options.weights !== "fp32") throw new Error(`--weights-dtype ${options.weights}: backend "ts" stores weights in fp32 only (16-bit weight storage needs --backend native)`);
      return new TsBackend(threads === undefined ? {} : { threads });
    case "native": {
      const load = loadNativeAddon();
      if (!load.addon) throw new Error(`backend "native" is not available: ${load.error}`);
      return new NativeBackend(load.addon, { threads, isa: options.isa, precision: options.precision, weights: nativeWeights(options.precision, options.weights) });
    }
    case undefined: {
      const load = loadNativeAddon();
      if (load.addon) return new NativeBackend(load.addon, { threads, isa: options.isa, precision: options.precision, weights: nativeWeights(options.precision, options.weights) });
      if ((options.precision && options.precision !== "fp32") || (options.weights && options.weights !== "fp32")) {
        throw new Error(`--precision/--weights-dtype other than fp32 need the native backend, which is not available (${load.error})`);
      }
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
