// The portable TypeScript backend: host float32 storage in logical row-major layout (NCHW), on
// SharedArrayBuffers so a pool of worker threads can share it. It is the reference the other backends are tested
// against, so it must be exact first, then fast:
// - GEMM is packed and register-blocked (gemm.ts); linear weights are packed once at load as B panels, conv
//   weights as A strips.
// - Convolution is GEMM over im2col chunks of output pixels, written directly in packed form (never a
//   full-image column buffer).
// - Attention runs head by head over tiles of QTILE queries: only QTILE × Tk scores exist at a time, never a
//   head's full score matrix, let alone all heads'.
// - Large linear / conv / attention / norm / activation ops are split into chunks of output rows, pixels,
//   (head, query) strips, groups or element ranges, which `threads` threads take dynamically (WorkerPool.ts);
//   small ops stay on the calling thread. No reduction is ever split, so results are bit-identical for any
//   thread count.
import { availableParallelism } from "node:os";
import type {
  AttentionOptions, Backend, Conv2dOptions, Conv2dWeight, LinearWeight, NormOptions,
} from "../Backend.js";
import { numelOf, ShapeError, shapeStr, Tensor, type Shape } from "../../tensor/Tensor.js";
import { MR, NR, packA, packBTransposed, packedASize, packedBSize } from "./gemm.js";
import { GRANULE, type Job } from "./kernels.js";
import type { Schedule } from "./poolProtocol.js";
import { WorkerPool } from "./WorkerPool.js";
import { hostConcat, hostEmbedding, hostSlice } from "../hostLayout.js";
import { HostBufferPool, liveData, type BufferPoolStats } from "../hostBufferPool.js";
import { attentionDims, conv2dDims } from "../shapeChecks.js";

export interface TsBackendOptions {
  /** Threads for large kernels, the calling thread included (default: os.availableParallelism()). */
  readonly threads?: number;
  /**
   * How threads share a split op's chunks: "dynamic" (default, balances around other load on the machine) or
   * "static" (thread t computes chunks t, t + threads, …; for tests, so every thread provably computes).
   * Results are the same bits either way.
   */
  readonly schedule?: Schedule;
}

interface TsLinear extends LinearWeight {
  /** Wᵀ packed as GEMM B panels [⌈out/NR⌉][in][NR]. */
  readonly weightPacked: Float32Array;
  readonly bias: Float32Array | null;
}

interface TsConv extends Conv2dWeight {
  /** The weight [out, in·kh·kw] packed as GEMM A strips [⌈out/MR⌉][in·kh·kw][MR]. */
  readonly weightPacked: Float32Array;
  readonly bias: Float32Array | null;
}

/** Below this many flops a GEMM-like op runs on the calling thread: dispatching to the pool costs ~40 µs. */
const PARALLEL_MIN_FLOPS = 2e6;
/**
 * Chunks per thread of a split op. Threads take chunks dynamically, so when another process slows one thread
 * down the others take over its share; more chunks balance better, each costs a little packing.
 */
const CHUNKS_PER_THREAD = 8;
/** Below this many elements an activation / norm runs on the calling thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 16;

/** A zero-filled float32 array on a SharedArrayBuffer (workers can read and write it in place). */
export function allocShared(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** A copy of `a` on a SharedArrayBuffer. */
function sharedCopy(a: Float32Array): Float32Array {
  const s = allocShared(a.length);
  s.set(a);
  return s;
}

/** `a` itself when it is on a SharedArrayBuffer (every array this backend makes is), else a shared copy. */
function toShared(a: Float32Array): Float32Array {
  return a.buffer instanceof SharedArrayBuffer ? a : sharedCopy(a);
}

/** The tensor's Float32Array; throws if it is another backend's, or released by its tidy() scope. */
function data(x: Tensor): Float32Array {
  return liveData(x, "ts");
}

export class TsBackend implements Backend {
  readonly name: string = "ts";
  /** Threads used by large kernels, the calling thread included. */
  readonly threadCount: number;
  // ECMAScript-private (#) so subclasses (NativeBackend) can use any member names of their own.
  readonly #pool: WorkerPool;
  /**
   * Op outputs inside tidy()/sequential() scopes: carved out of reusable arenas on SharedArrayBuffers
   * (hostBufferPool.ts), zeroed when handed out since the GEMM accumulates into its output.
   */
  readonly #buffers = new HostBufferPool({ newBuffer: (bytes) => new SharedArrayBuffer(bytes), fill: 0 });

  constructor(options: TsBackendOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`TsBackend: threads must be a positive integer, got ${threads}`);
    this.threadCount = threads;
    this.#pool = new WorkerPool(threads, options.schedule ?? "dynamic");
  }

  /** A zeroed op output, recorded in the innermost open scope. */
  #alloc(n: number): Float32Array {
    return this.#buffers.alloc(n);
  }

  beginScope(consumes: readonly Tensor[] = [], handedOnly = false): void {
    this.#buffers.beginTensorScope(this, consumes, handedOnly);
  }

  endScope(keep: readonly Tensor[] | null): void {
    this.#buffers.endTensorScope(this, keep);
  }

  keep(x: Tensor): void {
    this.#buffers.keep(data(x));
  }

  releaseBuffers(): void {
    this.#buffers.clear();
  }

  /** Diagnostics of the output pool. */
  get bufferStats(): BufferPoolStats {
    return this.#buffers.stats();
  }

  /** Ops offered to worker threads so far (a diagnostic). */
  get parallelJobs(): number {
    return this.#pool.parallelJobs;
  }

  /** Chunks of split ops computed by worker threads so far (a diagnostic). */
  get workerChunks(): number {
    return this.#pool.workerChunks;
  }

  protected make(d: Float32Array, shape: Shape): Tensor {
    return new Tensor(this, shape, d);
  }

  /**
   * Runs `job`, split into chunks when there is more than one thread and at least `minWork` of work (flops or
   * elements); each chunk gets at least minWork/2, and at most `units` chunks (the job's finest split).
   */
  #run(job: Job, work: number, minWork: number, units: number): void {
    let chunks = 1;
    if (this.threadCount > 1 && work >= minWork) {
      chunks = Math.max(1, Math.min(units, this.threadCount * CHUNKS_PER_THREAD, Math.floor(work / (minWork / 2))));
    }
    this.#pool.run(job, chunks);
  }

  fromArray(d: Float32Array, shape: Shape): Tensor {
    if (d.length !== numelOf(shape)) throw new ShapeError(`fromArray: ${d.length} values for shape ${shapeStr(shape)}`);
    return this.make(toShared(d), shape);
  }

  async read(x: Tensor): Promise<Float32Array> {
    return data(x).slice();
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    return this.make(data(x), shape);
  }

  prepareLinear(weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array): LinearWeight {
    if (weight.length !== outFeatures * inFeatures) throw new ShapeError(`linear weight has ${weight.length} values, expected [${outFeatures}, ${inFeatures}]`);
    if (bias && bias.length !== outFeatures) throw new ShapeError(`linear bias has ${bias.length} values, expected [${outFeatures}]`);
    const weightPacked = allocShared(packedBSize(outFeatures, inFeatures));
    packBTransposed(weight, 0, inFeatures, inFeatures, outFeatures, weightPacked, 0);
    const w: TsLinear = { outFeatures, inFeatures, hasBias: !!bias, weightPacked, bias: bias ? sharedCopy(bias) : null };
    return w;
  }

  /** Weights are separate SharedArrayBuffers here: nothing to group. */
  endWeights(): void {}

  prepareConv2d(weight: Float32Array, shape: readonly [number, number, number, number], bias?: Float32Array): Conv2dWeight {
    const [o, i, kh, kw] = shape;
    if (weight.length !== o * i * kh * kw) throw new ShapeError(`conv weight has ${weight.length} values, expected ${shapeStr(shape)}`);
    if (bias && bias.length !== o) throw new ShapeError(`conv bias has ${bias.length} values, expected [${o}]`);
    const K = i * kh * kw;
    const weightPacked = allocShared(packedASize(o, K));
    packA(weight, 0, K, o, K, weightPacked, 0);
    const w: TsConv = { outChannels: o, inChannels: i, kernelH: kh, kernelW: kw, hasBias: !!bias, weightPacked, bias: bias ? sharedCopy(bias) : null };
    return w;
  }

  prepareVector(d: Float32Array, shape: Shape): Tensor {
    if (d.length !== numelOf(shape)) throw new ShapeError(`prepareVector: ${d.length} values for shape ${shapeStr(shape)}`);
    return this.make(sharedCopy(d), shape);
  }

  linear(x: Tensor, wh: LinearWeight): Tensor {
    const w = wh as TsLinear;
    const inF = x.dim(-1);
    if (inF !== w.inFeatures) throw new ShapeError(`linear: input ${shapeStr(x.shape)} has ${inF} features, weight expects [${w.outFeatures}, ${w.inFeatures}]`);
    const rows = x.numel / inF, N = w.outFeatures;
    const out = this.#alloc(rows * N);
    const units = Math.max(Math.ceil(rows / MR), Math.ceil(N / NR));
    this.#run({ kind: "linear", x: toShared(data(x)), rows, K: inF, N, weightPacked: w.weightPacked, bias: w.bias, out },
      2 * rows * N * inF, PARALLEL_MIN_FLOPS, units);
    return this.make(out, [...x.shape.slice(0, -1), N]);
  }

  conv2d(x: Tensor, wh: Conv2dWeight, options: Conv2dOptions): Tensor {
    const w = wh as TsConv;
    const { B, C, H, W, OH, OW, stride, pad: p } = conv2dDims(x, w, options);
    const KH = w.kernelH, KW = w.kernelW, O = w.outChannels;
    const out = this.#alloc(B * O * OH * OW);
    const flops = 2 * B * O * C * KH * KW * OH * OW;
    this.#run({
      kind: "conv2d", x: toShared(data(x)), B, C, H, W, O, KH, KW, stride, padTop: p.top, padLeft: p.left, OH, OW,
      weightPacked: w.weightPacked, bias: w.bias, out,
    }, flops, PARALLEL_MIN_FLOPS, Math.ceil((OH * OW) / NR));
    return this.make(out, [B, O, OH, OW]);
  }

  groupNorm(x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, options?: NormOptions): Tensor {
    if (x.rank < 2) throw new ShapeError(`groupNorm: expected [B, C, ...], got ${shapeStr(x.shape)}`);
    const B = x.dim(0), C = x.dim(1);
    if (C % groups !== 0) throw new ShapeError(`groupNorm: ${C} channels of ${shapeStr(x.shape)} not divisible into ${groups} groups`);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`groupNorm: weight ${shapeStr(gamma.shape)} / bias ${shapeStr(beta.shape)} do not match ${C} channels of ${shapeStr(x.shape)}`);
    const out = this.#alloc(x.numel);
    this.#run({
      kind: "groupNorm", x: toShared(data(x)), B, C, spatial: x.numel / (B * C), groups,
      gamma: toShared(data(gamma)), beta: toShared(data(beta)), eps, silu: options?.silu ?? false, out,
    }, x.numel, PARALLEL_MIN_ELEMENTS, B * groups);
    return this.make(out, x.shape);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    const C = x.dim(-1);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`layerNorm: weight ${shapeStr(gamma.shape)} does not match last dim of ${shapeStr(x.shape)}`);
    const out = this.#alloc(x.numel);
    const rows = x.numel / C;
    this.#run({ kind: "layerNorm", x: toShared(data(x)), rows, C, gamma: toShared(data(gamma)), beta: toShared(data(beta)), eps, out },
      x.numel, PARALLEL_MIN_ELEMENTS, rows);
    return this.make(out, x.shape);
  }

  #unary(x: Tensor, op: "silu" | "gelu" | "quickGelu"): Tensor {
    const out = this.#alloc(x.numel);
    this.#run({ kind: "unary", op, x: toShared(data(x)), out }, x.numel, PARALLEL_MIN_ELEMENTS, Math.ceil(x.numel / GRANULE));
    return this.make(out, x.shape);
  }

  silu(x: Tensor): Tensor {
    return this.#unary(x, "silu");
  }

  gelu(x: Tensor): Tensor {
    return this.#unary(x, "gelu");
  }

  quickGelu(x: Tensor): Tensor {
    return this.#unary(x, "quickGelu");
  }

  geglu(x: Tensor): Tensor {
    const D2 = x.dim(-1);
    if (D2 % 2 !== 0) throw new ShapeError(`geglu: last dim of ${shapeStr(x.shape)} is odd`);
    const D = D2 / 2, rows = x.numel / D2;
    const out = this.#alloc(rows * D);
    this.#run({ kind: "geglu", x: toShared(data(x)), rows, D, out }, rows * D, PARALLEL_MIN_ELEMENTS, rows);
    return this.make(out, [...x.shape.slice(0, -1), D]);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, options?: AttentionOptions): Tensor {
    const { B, Tq, Tk, E, D } = attentionDims(q, k, v, heads);
    const out = this.#alloc(B * Tq * E);
    this.#run({
      kind: "attention", q: toShared(data(q)), k: toShared(data(k)), v: toShared(data(v)), B, Tq, Tk, heads, D,
      scale: options?.scale ?? 1 / Math.sqrt(D), causal: options?.causal ?? false, out,
    }, 4 * B * Tq * Tk * E, PARALLEL_MIN_FLOPS, B * heads * Math.ceil(Tq / MR));
    return this.make(out, [B, Tq, E]);
  }

  upsampleNearest2x(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`upsampleNearest2x: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const src = data(x);
    const out = this.#alloc(B * C * 4 * H * W);
    const W2 = 2 * W;
    for (let p = 0; p < B * C; p++) {
      for (let y = 0; y < H; y++) {
        const s = (p * H + y) * W;
        const d0 = (p * 2 * H + 2 * y) * W2;
        for (let xx = 0; xx < W; xx++) {
          const v = src[s + xx]!;
          out[d0 + 2 * xx] = v;
          out[d0 + 2 * xx + 1] = v;
        }
        out.copyWithin(d0 + W2, d0, d0 + W2);
      }
    }
    return this.make(out, [B, C, 2 * H, 2 * W]);
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new ShapeError(`add: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
    }
    const x = data(a), y = data(b);
    const out = this.#alloc(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i]! + y[i]!;
    return this.make(out, a.shape);
  }

  addPerChannel(x: Tensor, v: Tensor): Tensor {
    const B = x.dim(0), C = x.dim(1);
    if (v.rank !== 2 || v.shape[0] !== B || v.shape[1] !== C) {
      throw new ShapeError(`addPerChannel: ${shapeStr(v.shape)} does not match [B, C] = [${B}, ${C}] of ${shapeStr(x.shape)}`);
    }
    const spatial = x.numel / (B * C);
    const src = data(x), vv = data(v);
    const out = this.#alloc(src.length);
    for (let p = 0; p < B * C; p++) {
      const a = vv[p]!;
      for (let i = p * spatial, e = i + spatial; i < e; i++) out[i] = src[i]! + a;
    }
    return this.make(out, x.shape);
  }

  scale(x: Tensor, s: number): Tensor {
    const src = data(x);
    const out = this.#alloc(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i]! * s;
    return this.make(out, x.shape);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const r = hostConcat(xs.map((t) => ({ data: data(t), shape: t.shape })), axis, (n) => this.#alloc(n));
    return this.make(r.data, r.shape);
  }

  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const r = hostSlice({ data: data(x), shape: x.shape }, axis, start, end, (n) => this.#alloc(n));
    return this.make(r.data, r.shape);
  }

  imageToTokens(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`imageToTokens: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const T = H * W;
    const out = transpose2(data(x), B, C, T, this.#alloc(x.numel));
    return this.make(out, [B, T, C]);
  }

  tokensToImage(x: Tensor, height: number, width: number): Tensor {
    if (x.rank !== 3 || x.shape[1] !== height * width) throw new ShapeError(`tokensToImage: ${shapeStr(x.shape)} is not [B, ${height}·${width}, C]`);
    const [B, T, C] = x.shape as [number, number, number];
    return this.make(transpose2(data(x), B, T, C, this.#alloc(x.numel)), [B, C, height, width]);
  }

  embedding(table: Tensor, ids: Int32Array, batch: number, length: number): Tensor {
    const r = hostEmbedding({ data: data(table), shape: table.shape }, ids, batch, length, (n) => this.#alloc(n));
    return this.make(r.data, r.shape);
  }
}

/** Per batch, transpose an R×S matrix to S×R, into `out`. */
function transpose2(src: Float32Array, B: number, R: number, S: number, out: Float32Array): Float32Array {
  const TB = 32;
  for (let b = 0; b < B; b++) {
    const base = b * R * S;
    for (let r0 = 0; r0 < R; r0 += TB) {
      for (let s0 = 0; s0 < S; s0 += TB) {
        const r1 = Math.min(R, r0 + TB), s1 = Math.min(S, s0 + TB);
        for (let r = r0; r < r1; r++) for (let s = s0; s < s1; s++) out[base + s * R + r] = src[base + r * S + s]!;
      }
    }
  }
  return out;
}
