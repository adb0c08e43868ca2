import { keep } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/Tensor.js";

/**
 * Receives intermediate tensors by module path (`down_blocks.0.resnets.0`), in execution order — the same
 * names diffusers' forward hooks give them. `trace`, `run-case --trace` and the tests use it.
 *
 * The tensors come from inside the modules' tidy() scopes. A recorder may hold them and read them later: the
 * models' entry points (UNet2DConditionModel.forward, AutoencoderKL.encode/decode) pass the caller's function
 * through `retainTraced`, which exempts every traced tensor from the scopes. A function that only looks at the
 * call (progress counting) sets `transient` and lets the scopes reuse the traced tensors' memory as usual.
 */
export interface TraceFn {
  (name: string, value: Tensor): void;
  /** The function keeps no tensor past the call: traced tensors need not outlive their tidy() scope. */
  readonly transient?: boolean;
}

/** Prefix every name reported through `trace` (undefined stays undefined: no tracing, no cost). */
export function scoped(trace: TraceFn | undefined, prefix: string): TraceFn | undefined {
  if (!trace) return undefined;
  const fn = (name: string, value: Tensor): void => trace(`${prefix}.${name}`, value);
  return trace.transient ? Object.assign(fn, { transient: true }) : fn;
}

/**
 * `trace` with every traced tensor kept out of tidy() scopes (tensor/scope.ts `keep`), so a recorder can read it
 * after the forward returns. Model entry points call this once on the caller's function; transient functions
 * and undefined are returned as they are.
 */
export function retainTraced(trace: TraceFn | undefined): TraceFn | undefined {
  if (!trace || trace.transient) return trace;
  return (name, value) => trace(name, keep(value));
}

/** Reports `value` under `name` (when tracing) and returns it, for use inside expressions and steps. */
export function traced(trace: TraceFn | undefined, name: string, value: Tensor): Tensor {
  trace?.(name, value);
  return value;
}
