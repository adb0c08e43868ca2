// Options several verbs share.
import { Option, type Command } from "commander";
import type { Backend } from "../backend/Backend.js";
import { createBackend } from "../backend/index.js";

export interface BackendFlags {
  backend?: string;
  threads?: string;
}

export function addBackendOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--backend <name>", "kernel backend: ts | native (default: $SDTS_BACKEND, else native when built, else ts)"))
    .addOption(new Option("--threads <n>", "worker threads for kernels (default: all cores)"));
}

export function backendFrom(flags: BackendFlags): Backend {
  const threads = flags.threads === undefined ? undefined : positiveInt(flags.threads, "--threads");
  return createBackend(flags.backend, threads === undefined ? {} : { threads });
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
