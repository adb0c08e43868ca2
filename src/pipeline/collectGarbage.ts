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

/**
 * Bytes of ArrayBuffer growth between the collections `whileLoading` runs. Loading reads each tensor into a
 * float32 array that is garbage once the backend has packed it (up to 118 MB for the UNet's largest conv). Left
 * to V8, a few hundred MB of them pile up between the weight slabs and stay as holes in the heap (resident: the
 * native addon trims only above 1 GiB). Measured after the SD1.5 fp16 UNet has loaded (text encoder run first):
 * ≈2.05–2.09 M KiB RSS with a full GC per 16 MiB, ≈2.13 M per 64 MiB, ≈2.23–2.29 M without; the GCs cost
 * ≈0.5 s of a ≈10 s load.
 */
const LOAD_GC_BYTES = 16 * 1024 * 1024;

/**
 * A per-tensor hook for network loading: a full GC whenever live ArrayBuffer memory grew by LOAD_GC_BYTES since
 * the last one, so load temporaries are freed while their memory can still be reused by the next tensors;
 * `afterCollect` runs after each (the pipeline returns the freed pages to the OS there).
 */
export function whileLoading(afterCollect?: () => void): () => void {
  let mark = process.memoryUsage().arrayBuffers;
  return () => {
    const now = process.memoryUsage().arrayBuffers;
    if (now - mark < LOAD_GC_BYTES) return;
    collectGarbage();
    afterCollect?.();
    mark = process.memoryUsage().arrayBuffers;
  };
}
