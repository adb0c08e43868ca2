// Bounded activation memory. Every op allocates its output; left to the garbage collector, a UNet forward leaves
// gigabytes of garbage, and the malloc heap's high-water mark (which stays resident) grows with whatever garbage
// is alive at the worst moment. Scopes hand dead outputs back to the backend, whose next ops reuse them:
//
//   tidy(backend, fn)        runs fn; the op outputs allocated during it are released at its end, except the
//                            storage of what fn returns (a Tensor, or arrays / plain objects of them, nested)
//   sequential(x, f, g, …)   g(f(x)) …, each step in its own scope; a step's result is released once the next
//                            step has used it (nn.Sequential for a chain whose intermediates nothing else holds),
//                            and a step's input as soon as a nested chain is done with it
//   keep(t)                  t outlives every scope (a traced tensor a recorder reads later)
//
// Model code wraps each forward once, so a block's intermediates die when it returns:
//
//   forward(x: Tensor): Tensor {
//     return tidy(x.backend, () => this.conv_out.forward(silu(this.norm.forward(x))));
//   }
//
// Rules:
// - Storage is matched, not tensor objects: a returned reshape view keeps the buffer it shares with its op output.
// - What a scope returns belongs to the enclosing scope and is released when that one ends, unless returned from
//   it too. What the outermost scope returns is the garbage collector's, as are outputs made outside every scope
//   (the backend may move such a result's storage: Tensor.moveStorage).
// - Tensors from outside a scope (its inputs, weights, fromArray data) are not released by it; `consumes` names
//   inputs of the enclosing scope that die in this one (skip tensors an up block uses up).
// - A tensor kept past its scope by other means (a field, an outer array, a trace recorder) must go through
//   `keep`, or it is released with the rest. Using a released tensor throws (ReleasedTensorError).
// - A `sequential` step gives its input away: once it has passed the input to a module whose forward is itself a
//   chain, that module may release it, so the step must not use it afterwards.
// - fn must be synchronous (await outside the scope). If it throws, nothing is released.
// Backends without scope support (no beginScope/endScope) just run fn.
import type { Backend } from "../backend/Backend.js";
import { Tensor } from "./Tensor.js";

/**
 * Runs `fn` in a scope of `backend` and releases the op outputs it allocated that its result does not hold.
 * `consumes`: tensors the enclosing scope owns that are dead after `fn` (released with the scope's own outputs
 * unless the result holds them); anything else in it is left alone.
 */
export function tidy<T>(backend: Backend, fn: () => T, consumes: readonly Tensor[] = []): T {
  return inScope(backend, fn, consumes, false);
}

/** One step of `sequential`: the previous step's result in, this step's result out. */
export type Step = (h: Tensor) => Tensor;

/**
 * `steps` applied in order to `x`, each in its own scope; each step's result is released once the next step has
 * run (unless it returned it, or it was kept). So is `x` after the first step when the enclosing scope was
 * handed `x` to consume: when this chain is a module's forward called from another chain's step, which gives
 * its input away (so a step must not use its input after passing it to a module). Otherwise `x` is the
 * caller's and is left alone. The steps must not store their input anywhere (a skip list): it dies with them.
 */
export function sequential(x: Tensor, ...steps: readonly Step[]): Tensor {
  // One scope around the chain, so each step's scope is nested (its result is adopted by the next step's).
  return inScope(x.backend, () => {
    let h = x;
    for (const step of steps) {
      const input = h;
      h = inScope(x.backend, () => step(input), [input], false);
    }
    return h;
  }, [x], true);
}

function inScope<T>(backend: Backend, fn: () => T, consumes: readonly Tensor[], handedOnly: boolean): T {
  if (!backend.beginScope || !backend.endScope) return fn();
  backend.beginScope(consumes, handedOnly);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    backend.endScope(null);
    throw err;
  }
  if (isPromiseLike(result)) {
    backend.endScope(null);
    throw new TypeError("tidy: the function returned a Promise; scopes cover synchronous code only (await outside tidy)");
  }
  backend.endScope(tensorsIn(result));
  return result;
}

/** Exempts `t`'s storage from every scope: it lives until the garbage collector frees it. Returns `t`. */
export function keep(t: Tensor): Tensor {
  t.backend.keep?.(t);
  return t;
}

/** The tensors in a Tensor / array / plain-object tree (other objects are not searched). */
export function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) tensorsIn(v, out);
  } else if (value !== null && typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) tensorsIn(v, out);
  }
  return out;
}

function isPromiseLike(v: unknown): boolean {
  return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
}
