// Options several verbs share.
import { Option, type Command } from "commander";
import type { Backend } from "../backend/Backend.js";
import { createBackend, PRECISIONS, WEIGHTS_DTYPES, type BackendOptions, type Precision, type WeightsDtype } from "../backend/index.js";

export interface BackendFlags {
  backend?: string;
  threads?: string;
  precision?: string;
  weightsDtype?: string;
}

export function addBackendOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--backend <name>", "kernel backend: ts | native (default: $SDTS_BACKEND, else native when built, else ts)"))
    .addOption(new Option("--threads <n>", "worker threads for kernels (default: all cores)"))
    .addOption(new Option("--precision <p>", "conv/linear compute precision: fp32 | bf16 (bf16: native backend on AVX512-BF16 CPUs, weights stored as bf16)"))
    .addOption(new Option("--weights-dtype <dtype>", "conv/linear weight storage, compute unchanged: fp32 | fp16 (native, half the memory) | bf16 (with --precision bf16)"));
}

function oneOf<T extends string>(value: string, valid: readonly T[], flag: string): T {
  if (!(valid as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${valid.join(", ")}, got "${value}"`);
  return value as T;
}

/** The createBackend options the flags ask for (each checked, errors naming the flag). */
export function backendOptionsFrom(flags: BackendFlags): BackendOptions {
  const threads = flags.threads === undefined ? undefined : positiveInt(flags.threads, "--threads");
  const precision = flags.precision === undefined ? undefined : oneOf<Precision>(flags.precision, PRECISIONS, "--precision");
  const weights = flags.weightsDtype === undefined ? undefined : oneOf<WeightsDtype>(flags.weightsDtype, WEIGHTS_DTYPES, "--weights-dtype");
  return {
    ...(threads === undefined ? {} : { threads }),
    ...(precision === undefined ? {} : { precision }),
    ...(weights === undefined ? {} : { weights }),
  };
}

export function backendFrom(flags: BackendFlags): Backend {
  return createBackend(flags.backend, backendOptionsFrom(flags));
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** "64x64" or "64" → [h, w]. */
export function parseSize(value: string, flag: string): [number, number] {
  const m = /^(\d+)(?:[x×,](\d+))?$/i.exec(value.trim());
  if (!m) throw new Error(`${flag} must look like HxW (e.g. 64x64), got "${value}"`);
  const h = Number(m[1]), w = Number(m[2] ?? m[1]);
  if (h <= 0 || w <= 0) throw new Error(`${flag} sizes must be positive, got "${value}"`);
  return [h, w];
}
