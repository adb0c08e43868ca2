// The native CPU backend: the C++ kernels of native/ (AVX-512, AVX2+FMA or portable, picked from the CPU's
// features) on a persistent pool of `threads` threads. Storage is a Float32Array in logical row-major layout
// (NCHW, [B, T, C]), like the TypeScript backend's, which the kernels read and write in place; the
// memcpy-bound ops (concat, slice, embedding) are TypedArray copies here. Weights are packed once at load
// into the GEMM's panel layout; bias adds are fused into the GEMM's store.
import type {
  AttentionOptions, Backend, Conv2dOptions, Conv2dWeight, LinearWeight, NormOptions,
} from "../Backend.js";
import { numelOf, ShapeError, shapeStr, Tensor, type Shape } from "../../tensor/Tensor.js";
import type { NativeAddon } from "./addon.js";
import { hostConcat, hostEmbedding, hostSlice } from "../hostLayout.js";
import { HostBufferPool, liveData, type BufferPoolStats } from "../hostBufferPool.js";
import { attentionDims, conv2dDims } from "../shapeChecks.js";

export type NativeIsa = "avx512" | "avx2" | "generic";
/** fp32 everywhere, or bf16 operands (fp32 accumulation) in conv, linear and attention matmuls (AVX512-BF16 only). */
export type NativePrecision = "fp32" | "bf16";
/** How fp32-precision conv/linear weights are kept: fp32, or fp16 (half the memory, widened on use). */
export type NativeWeightStorage = "fp32" | "fp16";

export interface NativeBackendOptions {
  /** Kernel threads (default and maximum: all cores). Results are bit-identical for any count. */
  readonly threads?: number;
  /** Instruction set (default: the best the CPU supports); a lower one tests the fallback paths. */
  readonly isa?: NativeIsa;
  /** Default fp32 (numerically equal to PyTorch); bf16 trades ~3 significant digits for speed. */
  readonly precision?: NativePrecision;
  /**
   * With fp32 precision: "fp16" stores conv/linear weights as fp16 — exact for fp16 checkpoints (their values
   * are fp16 already), otherwise weights are rounded to fp16. bf16 precision always stores bf16.
   */
  readonly weights?: NativeWeightStorage;
}

interface NativeLinear extends LinearWeight {
  /** Wᵀ in the GEMM's B-panel layout (see native/kernels_impl.inc pack_linear_weight[_bf16]). */
  readonly packed: Float32Array;
  readonly bias: Float32Array | null;
  readonly isa: number;
  /** Weight format: 0 fp32, 1 bf16, 2 fp16. */
  readonly format: number;
}

interface NativeConv extends Conv2dWeight {
  /** [O, C·KH·KW] in the GEMM's A-panel layout (pack_conv_weight[_bf16]). */
  readonly packed: Float32Array;
  readonly bias: Float32Array | null;
  readonly isa: number;
  /** Weight format: 0 fp32, 1 bf16, 2 fp16. */
  readonly format: number;
}

const ISA_INDEX: Record<NativeIsa, number> = { generic: 0, avx2: 1, avx512: 2 };
/**
 * Weight slab size (see NativeBackend.allocWeight) and the alignment of each weight in one (a cache line).
 * Slabs that doubled from 16 MiB measured no better (2.24 vs 2.19–2.20 GB peak): small slabs fill the holes
 * the text encoder leaves, which the UNet's activations then cannot use.
 */
const SLAB_MAX_BYTES = 256 * 1024 * 1024;
const WEIGHT_ALIGN = 64;

/** The tensor's Float32Array; throws if it is another backend's, or released by its tidy() scope. */
function data(x: Tensor): Float32Array {
  return liveData(x, "native");
}

/**
 * Uninitialized memory (every native op writes all of its output). Buffer.allocUnsafeSlow skips the zero fill
 * and comes from the malloc heap, which recycles collected tensors' memory; native-owned (external) buffers
 * would only be freed from the event loop, so a synchronous UNet forward would page-fault fresh memory for
 * every op.
 */
function allocHost(n: number): Float32Array {
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}

export class NativeBackend implements Backend {
  readonly name: string = "native";
  readonly threads: number;
  readonly isa: NativeIsa;
  readonly precision: NativePrecision;
  readonly weights: NativeWeightStorage | "bf16";
  private readonly isaIndex: number;
  /** Weight format passed to the addon: 0 fp32, 1 bf16 (bf16 GEMM), 2 fp16 storage. */
  private readonly format: number;

  constructor(private readonly addon: NativeAddon, options: NativeBackendOptions = {}) {
    const info = addon.info();
    const threads = options.threads ?? info.maxThreads;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`native backend: threads must be a positive integer, got ${threads}`);
    // The pool has one thread per core; more would only time-slice.
    this.threads = Math.min(threads, info.maxThreads);
    const isa = options.isa ?? (info.isa as NativeIsa);
    if (!(isa in ISA_INDEX)) throw new Error(`native backend: unknown instruction set "${isa}" (valid: ${Object.keys(ISA_INDEX).join(", ")})`);
    if (ISA_INDEX[isa] > info.isaIndex) throw new Error(`native backend: this CPU does not support ${isa} (best: ${info.isa})`);
    this.isa = isa;
    this.isaIndex = ISA_INDEX[isa];
    const precision = options.precision ?? "fp32";
    if (precision !== "fp32" && precision !== "bf16") throw new Error(`native backend: unknown precision "${String(precision)}" (valid: fp32, bf16)`);
    if (precision === "bf16" && !(info.bf16 && isa === "avx512")) {
      throw new Error(`native backend: precision bf16 needs the avx512 kernels on a CPU with AVX512-BF16 (this CPU: ${info.bf16 ? "has it" : "does not"}, isa ${isa})`);
    }
    this.precision = precision;
    const weights = options.weights ?? "fp32";
    if (weights !== "fp32" && weights !== "fp16") throw new Error(`native backend: unknown weight storage "${String(weights)}" (valid: fp32, fp16)`);
    if (precision === "bf16" && options.weights !== undefined) throw new Error("native backend: precision bf16 stores its weights as bf16 (do not set weights)");
    this.weights = precision === "bf16" ? "bf16" : weights;
    this.format = precision === "bf16" ? 1 : weights === "fp16" ? 2 : 0;
  }

  /** Op outputs inside tidy()/sequential() scopes: carved out of reusable arenas (hostBufferPool.ts). */
  private readonly buffers = new HostBufferPool({ newBuffer: (bytes) => Buffer.allocUnsafeSlow(bytes).buffer });

  /** An uninitialized op output, recorded in the innermost open scope (outside every scope: allocHost). */
  private alloc(n: number): Float32Array {
    return this.buffers.alloc(n);
  }

  beginScope(consumes: readonly Tensor[] = [], handedOnly = false): void {
    this.buffers.beginTensorScope(this, consumes, handedOnly);
  }

  endScope(keep: readonly Tensor[] | null): void {
    this.buffers.endTensorScope(this, keep);
  }

  keep(x: Tensor): void {
    this.buffers.keep(data(x));
  }

  releaseBuffers(): void {
    this.buffers.clear();
    // Freed memory stays in the malloc heap (tune_malloc trims only a free top above 1 GiB); give its free pages
    // back now, so the next network does not load beside the holes this one left.
    this.addon.trimHeap();
  }

  /** Diagnostics of the output pool (tests, memory measurements). */
  get bufferStats(): BufferPoolStats {
    return this.buffers.stats();
  }

  /**
   * Packed weights are carved out of 256 MiB slabs instead of one malloc each, so a network's weights are a few
   * contiguous blocks rather than thousands of blocks scattered among the holes freed activations and load
   * temporaries leave in the malloc heap. The addon turns glibc's mmap off and trims the heap only when 1 GiB
   * at its top is free (native/addon.cc tune_malloc), so freed memory stays resident unless it is at the top:
   * once a dropped network is collected, its slabs coalesce into one free block (the UNet's 1.7 GB in fp16 is
   * then trimmed, or reused whole by the VAE decode's 134 MB tensors). With SDTS_MALLOC_TUNING=0 a slab is
   * above glibc's mmap threshold and is unmapped when collected. `endWeights` closes the current slab, so
   * networks never share one. An untouched slab tail is virtual memory only (no zero fill).
   */
  private slab: { buffer: ArrayBuffer; used: number } | null = null;

  private allocWeight(n: number): Float32Array {
    const bytes = Math.ceil((n * 4) / WEIGHT_ALIGN) * WEIGHT_ALIGN;
    if (bytes > SLAB_MAX_BYTES) return allocHost(n); // never a pooled, scoped op output
    if (!this.slab || this.slab.used + bytes > SLAB_MAX_BYTES) this.slab = { buffer: Buffer.allocUnsafeSlow(SLAB_MAX_BYTES).buffer, used: 0 };
    const out = new Float32Array(this.slab.buffer, this.slab.used, n);
    this.slab.used += bytes;
    return out;
  }

  endWeights(): void {
    this.slab = null;
  }

  private make(d: Float32Array, shape: Shape): Tensor {
    return new Tensor(this, shape, d);
  }

  // --- storage ---------------------------------------------------------------------------------------------

  fromArray(d: Float32Array, shape: Shape): Tensor {
    if (d.length !== numelOf(shape)) throw new ShapeError(`fromArray: ${d.length} values for shape ${shapeStr(shape)}`);
    return this.make(d, shape);
  }

  async read(x: Tensor): Promise<Float32Array> {
    return data(x).slice();
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    return this.make(data(x), shape);
  }

  prepareVector(d: Float32Array, shape: Shape): Tensor {
    return this.fromArray(d, shape);
  }

  // --- weights ---------------------------------------------------------------------------------------------

  prepareLinear(weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array): LinearWeight {
    if (weight.length !== outFeatures * inFeatures) throw new ShapeError(`linear weight has ${weight.length} values, expected [${outFeatures}, ${inFeatures}]`);
    if (bias && bias.length !== outFeatures) throw new ShapeError(`linear bias has ${bias.length} values, expected [${outFeatures}]`);
    const packed = this.allocWeight(this.addon.linearPackedSize(outFeatures, inFeatures, this.isaIndex, this.format));
    this.addon.packLinear(packed, weight, outFeatures, inFeatures, this.isaIndex, this.format);
    const w: NativeLinear = { outFeatures, inFeatures, hasBias: !!bias, packed, bias: bias ?? null, isa: this.isaIndex, format: this.format };
    return w;
  }

  prepareConv2d(weight: Float32Array, shape: readonly [number, number, number, number], bias?: Float32Array): Conv2dWeight {
    const [o, i, kh, kw] = shape;
    if (weight.length !== o * i * kh * kw) throw new ShapeError(`conv weight has ${weight.length} values, expected ${shapeStr(shape)}`);
    if (bias && bias.length !== o) throw new ShapeError(`conv bias has ${bias.length} values, expected [${o}]`);
    const packed = this.allocWeight(this.addon.convPackedSize(o, i * kh * kw, this.isaIndex, this.format, kh * kw));
    this.addon.packConv(packed, weight, o, i * kh * kw, this.isaIndex, this.format, kh * kw);
    const w: NativeConv = { outChannels: o, inChannels: i, kernelH: kh, kernelW: kw, hasBias: !!bias, packed, bias: bias ?? null, isa: this.isaIndex, format: this.format };
    return w;
  }

  // --- ops -------------------------------------------------------------------------------------------------

  linear(x: Tensor, wh: LinearWeight): Tensor {
    const w = wh as NativeLinear;
    if (!(w.packed instanceof Float32Array) || w.isa !== this.isaIndex || w.format !== this.format) throw new Error("native linear: weight was not prepared by this native backend");
    const inF = x.dim(-1);
    if (inF !== w.inFeatures) throw new ShapeError(`linear: input ${shapeStr(x.shape)} has ${inF} features, weight expects [${w.outFeatures}, ${w.inFeatures}]`);
    const rows = x.numel / inF;
    const out = this.alloc(rows * w.outFeatures);
    this.addon.linear(out, data(x), rows, inF, w.packed, w.outFeatures, w.bias, this.threads, this.isaIndex, w.format);
    return this.make(out, [...x.shape.slice(0, -1), w.outFeatures]);
  }

  conv2d(x: Tensor, wh: Conv2dWeight, options: Conv2dOptions): Tensor {
    const w = wh as NativeConv;
    if (!(w.packed instanceof Float32Array) || w.isa !== this.isaIndex || w.format !== this.format) throw new Error("native conv2d: weight was not prepared by this native backend");
    const { B, C, H, W, OH, OW, stride, pad: p } = conv2dDims(x, w, options);
    const out = this.alloc(B * w.outChannels * OH * OW);
    this.addon.conv2d(out, data(x), w.packed, w.bias, B, C, H, W, w.outChannels, w.kernelH, w.kernelW, stride, p.top, p.left, OH, OW, this.threads, this.isaIndex, w.format);
    return this.make(out, [B, w.outChannels, OH, OW]);
  }

  groupNorm(x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, options?: NormOptions): Tensor {
    const B = x.dim(0), C = x.dim(1);
    if (C % groups !== 0) throw new ShapeError(`groupNorm: ${C} channels of ${shapeStr(x.shape)} not divisible into ${groups} groups`);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`groupNorm: weight ${shapeStr(gamma.shape)} / bias ${shapeStr(beta.shape)} do not match ${C} channels of ${shapeStr(x.shape)}`);
    const spatial = x.numel / (B * C);
    const out = this.alloc(x.numel);
    this.addon.groupNorm(out, data(x), B, C, spatial, groups, data(gamma), data(beta), eps, options?.silu ? 1 : 0, this.threads, this.isaIndex);
    return this.make(out, x.shape);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    const C = x.dim(-1);
    if (gamma.numel !== C || beta.numel !== C) throw new ShapeError(`layerNorm: weight ${shapeStr(gamma.shape)} does not match last dim of ${shapeStr(x.shape)}`);
    const out = this.alloc(x.numel);
    this.addon.layerNorm(out, data(x), x.numel / C, C, data(gamma), data(beta), eps, this.threads, this.isaIndex);
    return this.make(out, x.shape);
  }

  private unary(x: Tensor, kind: number, s = 0): Tensor {
    const out = this.alloc(x.numel);
    this.addon.unary(out, data(x), x.numel, kind, s, this.threads, this.isaIndex);
    return this.make(out, x.shape);
  }

  silu(x: Tensor): Tensor {
    return this.unary(x, 0);
  }

  gelu(x: Tensor): Tensor {
    return this.unary(x, 1);
  }

  quickGelu(x: Tensor): Tensor {
    return this.unary(x, 2);
  }

  scale(x: Tensor, s: number): Tensor {
    return this.unary(x, 3, s);
  }

  geglu(x: Tensor): Tensor {
    const D2 = x.dim(-1);
    if (D2 % 2 !== 0) throw new ShapeError(`geglu: last dim of ${shapeStr(x.shape)} is odd`);
    const D = D2 / 2;
    const rows = x.numel / D2;
    const out = this.alloc(rows * D);
    this.addon.geglu(out, data(x), rows, D, this.threads, this.isaIndex);
    return this.make(out, [...x.shape.slice(0, -1), D]);
  }

  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, options?: AttentionOptions): Tensor {
    const { B, Tq, Tk, E, D } = attentionDims(q, k, v, heads);
    const scale = options?.scale ?? 1 / Math.sqrt(D);
    const out = this.alloc(B * Tq * E);
    // bf16 precision runs QKᵀ and PV in bf16 too (softmax and accumulation stay fp32); fp32 is unchanged.
    const format = this.precision === "bf16" ? 1 : 0;
    this.addon.attention(out, data(q), data(k), data(v), B, Tq, Tk, heads, D, scale, options?.causal ? 1 : 0, this.threads, this.isaIndex, format);
    return this.make(out, [B, Tq, E]);
  }

  upsampleNearest2x(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`upsampleNearest2x: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const out = this.alloc(B * C * 4 * H * W);
    this.addon.upsample2x(out, data(x), B * C, H, W, this.threads, this.isaIndex);
    return this.make(out, [B, C, 2 * H, 2 * W]);
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new ShapeError(`add: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
    }
    const out = this.alloc(a.numel);
    this.addon.add(out, data(a), data(b), a.numel, this.threads, this.isaIndex);
    return this.make(out, a.shape);
  }

  addPerChannel(x: Tensor, v: Tensor): Tensor {
    const B = x.dim(0), C = x.dim(1);
    if (v.rank !== 2 || v.shape[0] !== B || v.shape[1] !== C) {
      throw new ShapeError(`addPerChannel: ${shapeStr(v.shape)} does not match [B, C] = [${B}, ${C}] of ${shapeStr(x.shape)}`);
    }
    const out = this.alloc(x.numel);
    this.addon.addPerChannel(out, data(x), data(v), B * C, x.numel / (B * C), this.threads, this.isaIndex);
    return this.make(out, x.shape);
  }

  imageToTokens(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError(`imageToTokens: expected [B, C, H, W], got ${shapeStr(x.shape)}`);
    const [B, C, H, W] = x.shape as [number, number, number, number];
    const out = this.alloc(x.numel);
    this.addon.transpose(out, data(x), B, C, H * W, this.threads, this.isaIndex);
    return this.make(out, [B, H * W, C]);
  }

  tokensToImage(x: Tensor, height: number, width: number): Tensor {
    if (x.rank !== 3 || x.shape[1] !== height * width) throw new ShapeError(`tokensToImage: ${shapeStr(x.shape)} is not [B, ${height}·${width}, C]`);
    const [B, T, C] = x.shape as [number, number, number];
    const out = this.alloc(x.numel);
    this.addon.transpose(out, data(x), B, T, C, this.threads, this.isaIndex);
    return this.make(out, [B, C, height, width]);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const r = hostConcat(xs.map((t) => ({ data: data(t), shape: t.shape })), axis, (n) => this.alloc(n));
    return this.make(r.data, r.shape);
  }

  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const r = hostSlice({ data: data(x), shape: x.shape }, axis, start, end, (n) => this.alloc(n));
    return this.make(r.data, r.shape);
  }

  embedding(table: Tensor, ids: Int32Array, batch: number, length: number): Tensor {
    const r = hostEmbedding({ data: data(table), shape: table.shape }, ids, batch, length, (n) => this.alloc(n));
    return this.make(r.data, r.shape);
  }
}
