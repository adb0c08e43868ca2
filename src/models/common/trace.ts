import type { Tensor } from "../../tensor/Tensor.js";

/**
 * Receives intermediate tensors by module path (`down_blocks.0.resnets.0`), in execution order — the same
 * names diffusers' forward hooks give them. `trace`, `run-case --trace` and the tests use it.
 */
export type TraceFn = (name: string, value: Tensor) => void;

/** Prefix every name reported through `trace` (undefined stays undefined: no tracing, no cost). */
export function scoped(trace: TraceFn | undefined, prefix: string): TraceFn | undefined {
  return trace && ((name, value) => trace(`${prefix}.${name}`, value));
}
