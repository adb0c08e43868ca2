// A full garbage collection between networks. Tensors and weights are ArrayBuffers whose memory V8 frees only
// when it collects them, and it collects on its own schedule: without this, the UNet (1.7 GB in fp16) was
// still alive while the VAE loaded and decoded, and the native addon's malloc settings (no mmap, trim only
// above 1 GiB) keep every byte the heap ever reached resident. Collecting right after a network is dropped
// lets the next one reuse (or the heap trim) its memory: peak RSS of a 512×512 SD1.5 fp16-weights run
// 2.93 GB → ≈2.2 GB (bench/RESULTS.md).
//
// `gc` is the function `node --expose-gc` installs; without that flag it is obtained as Jest does
// (v8.setFlagsFromString, then read from a fresh context). If neither works, this is a no-op.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFunction: (() => void) | null | undefined;

function findGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as () => void;
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    setFlagsFromString("--no-expose-gc");
    return typeof fn === "function" ? (fn as () => void) : null;
  } catch {
    return null;
  }
}

/** Runs a full (synchronous) garbage collection when possible; ≈ milliseconds with sdts's small JS heap. */
export function collectGarbage(): void {
  if (gcFunction === undefined) gcFunction = findGc();
  gcFunction?.();
}
