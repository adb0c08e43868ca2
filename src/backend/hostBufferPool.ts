// Explicit lifetimes for op outputs on backends that keep tensors in host Float32Arrays (TypeScript, native):
// the backend half of tensor/scope.ts (`tidy`, `sequential`, `keep`).
//
// Left to the garbage collector, a UNet forward at [2, 4, 64, 64] allocates gigabytes that V8 collects in ≈134
// GCs, and the malloc heap's high-water mark (resident: the native addon turns off trimming below 1 GiB) grows by
// whatever garbage is alive at the worst moment. Instead, op outputs allocated inside a scope are carved out of
// a few large arenas, and released ranges go back to their arena's free list, merged with free neighbours:
// - `alloc(n)` takes the smallest free range that fits (a new arena when none does) and records the array in
//   the innermost open scope. With no scope open it gets a buffer of its own, freed by the GC as before.
// - `endScope(keep)` releases the scope's arrays that no kept tensor overlaps; kept ones move to the enclosing
//   scope. What leaves the outermost scope (a forward's result) is copied to a buffer of its own (the backend
//   moves the result tensors to it), so no arena stays alive for a tensor the caller holds on to (the prompt
//   embeddings through the whole denoising loop). Arrays exempted by `keep` (traced tensors) stay where they are
//   and go back to their arena when the GC has collected them (FinalizationRegistry).
// - A released array is marked dead: the backend's `data()` (`liveData`) throws when a tensor over it is used
//   again, instead of reading whatever tensor the range holds by then.
// Coalescing matters: a UNet forward at [2, 4, 64, 64] needs 105 MB of outputs at most at a time, which the
// arenas serve with 134 MB, while pooling whole buffers by exact size needed 441 MB (sizes from 0.2 to 30 MiB,
// whose peaks fall at different moments). Weights and caller data (`fromArray`) never come from `alloc`, so no
// scope can release them.
import type { Backend } from "./Backend.js";
import { shapeStr, type Tensor } from "../tensor/Tensor.js";

/** Released arrays (one object per `alloc`; reshape shares it, so every tensor over a released range is caught). */
const released = new WeakSet<Float32Array>();

export class ReleasedTensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleasedTensorError";
  }
}

/**
 * `x`'s Float32Array storage, or an error naming the tensor when it is not a host array or its scope has
 * released it (the memory may already hold another tensor).
 */
export function liveData(x: Tensor, backendName: string): Float32Array {
  const d = x.storage;
  if (!(d instanceof Float32Array)) throw new TypeError(`${backendName} backend: tensor ${shapeStr(x.shape)} is not stored as a Float32Array (from another backend?)`);
  if (released.has(d)) {
    throw new ReleasedTensorError(
      `${backendName} backend: tensor ${shapeStr(x.shape)} was released at the end of the tidy()/sequential() scope that created it and ` +
        `its memory may hold another tensor now: return it from that scope (or keep() it) to use it afterwards`,
    );
  }
  return d;
}

export interface HostBufferPoolOptions {
  /** A new, unshared buffer of `bytes` (malloc-backed for native, a SharedArrayBuffer for TS). */
  readonly newBuffer: (bytes: number) => ArrayBufferLike;
  /**
   * Written over every range handed out from an arena: 0 where kernels accumulate into their output (the TS
   * backend's GEMM); undefined where every kernel writes all of it (native).
   */
  readonly fill?: number;
  /** Arena size (larger requests get an arena of their own size). Default ARENA_BYTES. */
  readonly arenaBytes?: number;
  /** Arena bytes at most; beyond it, scoped outputs get buffers of their own (freed by the GC). */
  readonly maxBytes?: number;
}

/**
 * 32 MiB: small enough to fit the holes loading leaves in the heap, large enough for most UNet activations
 * (a 64×64 latent batch of 2: [2, 960, 64, 64] = 30 MiB at most); in simulation of a UNet forward 32 and 64 MiB
 * arenas both need 134 MB (4 or 2 arenas) where 8–16 MiB ones need 230–256 MB. Larger outputs (the VAE
 * decoder's, up to 268 MB) get an arena of their own size, reused as any other.
 */
export const ARENA_BYTES = 32 * 1024 * 1024;
/** Default cap on arena bytes (the VAE decoder at 512×512 needs ≈1 GB: its tensors reach 268 MB). */
export const DEFAULT_MAX_ARENA_BYTES = 4 * 1024 * 1024 * 1024;
/** Ranges start on cache lines. */
const ALIGN = 64;

/** SDTS_POOL_POISON=1: reused native memory is filled with NaN, so a kernel that leaves output unwritten shows. */
const POISON = process.env.SDTS_POOL_POISON === "1";

interface Arena {
  readonly buffer: ArrayBufferLike;
  /** Free ranges sorted by offset, never adjacent (merged on release): offset, length, offset, length, … */
  readonly free: number[];
  /** Dropped by clear(): nothing returns to it any more; the GC frees it once no array views it. */
  dropped: boolean;
}

interface Scope {
  /** The arena arrays allocated in this scope, or adopted from the enclosing one. */
  readonly arrays: Float32Array[];
  /** Those adopted (handed over by the enclosing scope). */
  readonly handed: Set<Float32Array>;
}

interface Allocation {
  readonly arena: Arena;
  readonly offset: number;
  readonly bytes: number;
}

/** Counters of a HostBufferPool (tests and memory measurements). */
export interface BufferPoolStats {
  /** Bytes of the arenas in use by the pool (live ranges and free ones). */
  readonly arenaBytes: number;
  readonly arenas: number;
  /** Bytes of arena ranges handed out and not yet returned. */
  readonly liveBytes: number;
  /** Scoped allocations served from an existing arena / needing a new arena / outside every arena (no scope, cap). */
  readonly reused: number;
  readonly newArenas: number;
  readonly unpooled: number;
  /** Arrays released by scopes. */
  readonly released: number;
}

export class HostBufferPool {
  private arenas: Arena[] = [];
  /** Open scopes, innermost last. */
  private readonly scopes: Scope[] = [];
  /** Where each live arena array lives. */
  private readonly allocations = new WeakMap<Float32Array, Allocation>();
  /** Arena arrays exempted from scopes (kept, or returned from the outermost one): the GC returns their range. */
  private readonly escaped = new WeakSet<Float32Array>();
  private readonly finalizer = new FinalizationRegistry<Allocation>((a) => this.freeRange(a));
  private readonly newBuffer: (bytes: number) => ArrayBufferLike;
  private readonly fill: number | undefined;
  private readonly arenaBytes: number;
  private readonly maxBytes: number;
  private totalBytes = 0;
  private liveBytes = 0;
  private reused = 0;
  private newArenas = 0;
  private unpooled = 0;
  private releasedCount = 0;

  constructor(options: HostBufferPoolOptions) {
    this.newBuffer = options.newBuffer;
    this.fill = options.fill ?? (POISON ? Number.NaN : undefined);
    this.arenaBytes = options.arenaBytes ?? ARENA_BYTES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_ARENA_BYTES;
  }

  stats(): BufferPoolStats {
    return {
      arenaBytes: this.totalBytes, arenas: this.arenas.length, liveBytes: this.liveBytes, reused: this.reused,
      newArenas: this.newArenas, unpooled: this.unpooled, released: this.releasedCount,
    };
  }

  /** n floats for an op's output (contents undefined unless `fill` is set). */
  alloc(n: number): Float32Array {
    const scope = this.scopes[this.scopes.length - 1]?.arrays;
    const bytes = Math.ceil((4 * n) / ALIGN) * ALIGN;
    const place = scope && bytes > 0 ? this.place(bytes) : null;
    if (!place) {
      this.unpooled++;
      const own = this.own(n);
      if (this.fill !== undefined && this.fill !== 0) own.fill(this.fill); // new buffers are zero already
      return own;
    }
    const { arena, offset } = place;
    const out = new Float32Array(arena.buffer, offset, n);
    if (this.fill !== undefined) out.fill(this.fill);
    this.allocations.set(out, { arena, offset, bytes });
    this.liveBytes += bytes;
    scope.push(out);
    return out;
  }

  /**
   * Open a scope. `adopt`: arrays the enclosing scope owns that die in this one (a chain step's input, skip
   * tensors an up block consumes): they move into the new scope, which releases them unless its result holds
   * them. Arrays the enclosing scope does not own are left alone; with `handedOnly`, so are those it allocated
   * itself: only arrays it adopted move on (a module's chain takes over the input its caller's step gave away).
   */
  beginScope(adopt: readonly Float32Array[] = [], handedOnly = false): void {
    const parent = this.scopes[this.scopes.length - 1];
    const scope: Scope = { arrays: [], handed: new Set() };
    if (parent) {
      for (const a of adopt) {
        if (handedOnly && !parent.handed.has(a)) continue;
        const i = parent.arrays.lastIndexOf(a);
        if (i < 0) continue;
        parent.arrays.splice(i, 1);
        parent.handed.delete(a);
        scope.arrays.push(a);
        scope.handed.add(a);
      }
    }
    this.scopes.push(scope);
  }

  /**
   * Close the innermost scope. `keep`: the storage of the scope's result; the arrays it overlaps move to the
   * enclosing scope, all others are released. At the outermost scope the kept arrays are copied to buffers of
   * their own and released: the returned map (arena array → copy) says which storage the backend must move its
   * result tensors to. `null` (the scope's function threw): nothing is released, the scope's arrays return to
   * their arena only when the GC collects them, since anything may still refer to them.
   */
  endScope(keep: readonly Float32Array[] | null): Map<Float32Array, Float32Array> {
    const list = this.scopes.pop()?.arrays;
    if (!list) throw new Error("HostBufferPool.endScope: no open scope (begin/end calls are unbalanced)");
    const parent = this.scopes[this.scopes.length - 1]?.arrays;
    const kept = keep && keptRanges(keep);
    const moved = new Map<Float32Array, Float32Array>();
    for (const a of list) {
      if (this.escaped.has(a)) continue;
      if (kept === null) {
        this.escape(a);
      } else if (!overlaps(kept, a)) {
        this.release(a);
      } else if (parent) {
        parent.push(a);
      } else {
        const own = this.own(a.length);
        own.set(a);
        moved.set(a, own);
        this.release(a);
      }
    }
    return moved;
  }

  /** Backend.beginScope of a backend (`owner`) whose tensors' storage comes from this pool. */
  beginTensorScope(owner: Backend, consumes: readonly Tensor[], handedOnly: boolean): void {
    this.beginScope(consumes.filter((t) => t.backend === owner).map((t) => liveData(t, owner.name)), handedOnly);
  }

  /** Backend.endScope of such a backend: results leaving the outermost scope move to their own buffers. */
  endTensorScope(owner: Backend, keep: readonly Tensor[] | null): void {
    const results = keep && keep.filter((t) => t.backend === owner);
    let storage: Float32Array[] | null = null;
    let moved: Map<Float32Array, Float32Array>;
    try {
      storage = results && results.map((t) => liveData(t, owner.name)); // throws if a result was released
    } finally {
      moved = this.endScope(storage);
    }
    if (results && moved.size > 0) for (const t of results) t.moveStorage(moved.get(t.storage as Float32Array) ?? t.storage);
  }

  /** Exempt `a` from every scope: its range returns to the arena when the GC has collected it. */
  keep(a: Float32Array): void {
    if (this.allocations.has(a)) this.escape(a);
  }

  /**
   * Drop every arena: the GC frees each once no array views it (arrays still in use keep theirs alive). The next
   * scoped allocations start new arenas. Open scopes stay valid.
   */
  clear(): void {
    for (const arena of this.arenas) arena.dropped = true;
    this.arenas = [];
    this.totalBytes = 0;
    this.liveBytes = 0;
  }

  /** n floats in a buffer of their own, outside every arena (the GC frees it). */
  private own(n: number): Float32Array {
    return new Float32Array(this.newBuffer(4 * n), 0, n);
  }

  /** The smallest free range of at least `bytes` (a new arena when none fits; null over the cap). */
  private place(bytes: number): { arena: Arena; offset: number } | null {
    let best: Arena | null = null, bestIndex = -1, bestLength = Infinity;
    for (const arena of this.arenas) {
      const f = arena.free;
      for (let i = 0; i < f.length; i += 2) {
        const length = f[i + 1]!;
        if (length >= bytes && length < bestLength) {
          best = arena;
          bestIndex = i;
          bestLength = length;
        }
      }
    }
    if (best) {
      this.reused++;
    } else {
      const size = Math.max(bytes, this.arenaBytes);
      if (this.totalBytes + size > this.maxBytes) return null;
      best = { buffer: this.newBuffer(size), free: [0, size], dropped: false };
      this.arenas.push(best);
      this.totalBytes += size;
      this.newArenas++;
      bestIndex = 0;
      bestLength = size;
    }
    const offset = best.free[bestIndex]!;
    if (bestLength === bytes) best.free.splice(bestIndex, 2);
    else {
      best.free[bestIndex] = offset + bytes;
      best.free[bestIndex + 1] = bestLength - bytes;
    }
    return { arena: best, offset };
  }

  private escape(a: Float32Array): void {
    const allocation = this.allocations.get(a);
    if (!allocation || this.escaped.has(a)) return;
    this.escaped.add(a);
    this.finalizer.register(a, allocation);
  }

  private release(a: Float32Array): void {
    released.add(a);
    this.releasedCount++;
    const allocation = this.allocations.get(a);
    if (!allocation) return;
    this.allocations.delete(a);
    this.freeRange(allocation);
  }

  /** Return a range to its arena's free list, merged with free neighbours. */
  private freeRange({ arena, offset, bytes }: Allocation): void {
    if (arena.dropped) return;
    this.liveBytes -= bytes;
    const f = arena.free;
    let i = 0; // first free range after `offset`
    while (i < f.length && f[i]! < offset) i += 2;
    let start = offset, length = bytes;
    if (i > 0 && f[i - 2]! + f[i - 1]! === start) { // merge with the range before
      i -= 2;
      start = f[i]!;
      length += f[i + 1]!;
      f.splice(i, 2);
    }
    if (i < f.length && start + length === f[i]!) { // and with the one after
      length += f[i + 1]!;
      f.splice(i, 2);
    }
    f.splice(i, 0, start, length);
  }
}

/** Byte ranges [start, end) of `arrays`, by buffer. */
function keptRanges(arrays: readonly Float32Array[]): Map<ArrayBufferLike, number[]> {
  const m = new Map<ArrayBufferLike, number[]>();
  for (const a of arrays) {
    let r = m.get(a.buffer);
    if (!r) m.set(a.buffer, (r = []));
    r.push(a.byteOffset, a.byteOffset + a.byteLength);
  }
  return m;
}

function overlaps(kept: Map<ArrayBufferLike, number[]>, a: Float32Array): boolean {
  const r = kept.get(a.buffer);
  if (!r) return false;
  const start = a.byteOffset, end = a.byteOffset + a.byteLength;
  for (let i = 0; i < r.length; i += 2) if (r[i]! < end && start < r[i + 1]!) return true;
  return false;
}
