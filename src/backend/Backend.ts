// The backend interface: every kernel the models need, and nothing else. Model code reaches kernels only
// through this, so a native SIMD or a WebGPU backend can replace the portable TypeScript one without
// touching the model, and backends can be tested against each other.
//
// Contract:
// - A backend owns its tensors' storage and layout. `fromArray` takes and `read` returns row-major float32
//   in PyTorch's logical layout (NCHW for images, [B, T, C] for token sequences); inside, anything goes.
// - Weights are prepared once at load (`prepareLinear`, `prepareConv2d`, `prepareVector`): a backend may pack
//   them, keep them in fp16/bf16, or upload them. Model code holds the opaque handles.
// - Ops are synchronous from the caller's view (a GPU backend may enqueue); only `read` is asynchronous.
// - Every op checks shapes and throws ShapeError naming both shapes.
import type { Shape, Tensor } from "../tensor/Tensor.js";

/** A prepared linear layer: y = x Wᵀ + b, W is [out, in]. */
export interface LinearWeight {
  readonly outFeatures: number;
  readonly inFeatures: number;
  readonly hasBias: boolean;
}

/** A prepared 2-D convolution weight [out, in, kh, kw] (+ bias [out]). */
export interface Conv2dWeight {
  readonly outChannels: number;
  readonly inChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly hasBias: boolean;
}

/** Zero padding per side. */
export interface Padding2d {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export interface Conv2dOptions {
  readonly stride: number;
  /** Same padding on all sides, or per side (the VAE's downsampler pads only bottom/right). */
  readonly padding: number | Padding2d;
}

export interface AttentionOptions {
  /** Position i attends to keys j ≤ i only (CLIP's text encoder). */
  readonly causal?: boolean;
  /** Score scale; default 1/sqrt(headDim). */
  readonly scale?: number;
}

export interface NormOptions {
  /** Apply SiLU to the normalized output (GroupNorm → SiLU is the UNet's most common pair). */
  readonly silu?: boolean;
}

export interface Backend {
  readonly name: string;

  // --- storage -------------------------------------------------------------------------------------------
  /** Upload row-major float32 data in logical layout. The backend may keep `data` or copy it. */
  fromArray(data: Float32Array, shape: Shape): Tensor;
  /** Row-major float32 in logical layout (a fresh array the caller may keep). */
  read(x: Tensor): Promise<Float32Array>;
  /** Same elements under a new shape (sizes already checked by Tensor.reshape). */
  reshape(x: Tensor, shape: Shape): Tensor;

  // --- weights (prepared once at load) ------------------------------------------------------------------
  prepareLinear(weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array): LinearWeight;
  prepareConv2d(weight: Float32Array, shape: readonly [number, number, number, number], bias?: Float32Array): Conv2dWeight;
  /** A 1-D parameter (norm scale/shift) or a small constant table (embeddings). */
  prepareVector(data: Float32Array, shape: Shape): Tensor;
  /**
   * Optional: the weights prepared since the last call form one network (loadWeights calls it when a network
   * is loaded). A backend that carves weights out of shared blocks starts new blocks for the next network, so a
   * dropped network's blocks hold none of the next one's weights and can go back to the OS as a whole.
   */
  endWeights?(): void;

  // --- explicit lifetimes (optional; used through tensor/scope.ts `tidy` and `keep`) ----------------------
  // Without these methods op outputs are freed by the garbage collector only, and `tidy` just runs its function.
  /**
   * Open a scope: op outputs allocated from now on are recorded in it (innermost scope only). `consumes`:
   * tensors whose storage the enclosing scope owns and that die in the new one; they move into it (storage the
   * enclosing scope does not own is left alone). `handedOnly`: move only storage the enclosing scope itself
   * received through `consumes`, not what it allocated.
   */
  beginScope?(consumes?: readonly Tensor[], handedOnly?: boolean): void;
  /**
   * Close the innermost scope. Outputs sharing storage with a tensor of `keep` move to the enclosing scope (at
   * the outermost: untracked); the others are released, their storage reused by later ops, and using a tensor
   * over released storage throws. `null`: the scope's function threw; release nothing, untrack everything.
   * Weights (prepare*) and fromArray data never belong to a scope.
   */
  endScope?(keep: readonly Tensor[] | null): void;
  /** Exempt `x`'s storage from every scope, open or later: the garbage collector frees it, never a scope. */
  keep?(x: Tensor): void;
  /**
   * Free the storage released scopes left for reuse (their pool), and return free memory to the OS where the
   * backend can. The pipeline calls it when it drops a network and after a network's load temporaries are
   * collected, so the next network's weights and activations do not sit beside the last one's pooled
   * activations or load garbage.
   */
  releaseBuffers?(): void;

  // --- ops -------------------------------------------------------------------------------------------------
  /** [..., in] → [..., out]. */
  linear(x: Tensor, w: LinearWeight): Tensor;
  /** [B, C, H, W] → [B, O, H', W']. */
  conv2d(x: Tensor, w: Conv2dWeight, options: Conv2dOptions): Tensor;
  /** [B, C, ...spatial]: statistics over each group of C/groups channels × spatial, biased variance. */
  groupNorm(x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps: number, options?: NormOptions): Tensor;
  /** Normalizes over the last dimension. */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor;
  silu(x: Tensor): Tensor;
  /** Exact (erf) GELU, as torch's default. */
  gelu(x: Tensor): Tensor;
  /** x·sigmoid(1.702x) (CLIP). */
  quickGelu(x: Tensor): Tensor;
  /** [..., 2D] → [..., D]: first half · gelu(second half) (diffusers' GEGLU after its projection). */
  geglu(x: Tensor): Tensor;
  /** q [B, Tq, H·D], k/v [B, Tk, H·D] → [B, Tq, H·D]: softmax(q kᵀ·scale) v per head. */
  attention(q: Tensor, k: Tensor, v: Tensor, heads: number, options?: AttentionOptions): Tensor;
  /** Nearest-neighbour ×2: [B, C, H, W] → [B, C, 2H, 2W]. */
  upsampleNearest2x(x: Tensor): Tensor;
  /** Elementwise a + b, same shapes. */
  add(a: Tensor, b: Tensor): Tensor;
  /** x [B, C, ...spatial] + v [B, C] broadcast over the spatial dims (the time embedding in a resnet). */
  addPerChannel(x: Tensor, v: Tensor): Tensor;
  /** Elementwise x·s. */
  scale(x: Tensor, s: number): Tensor;
  /** Concatenate along `axis` (all other dims equal). */
  concat(xs: readonly Tensor[], axis: number): Tensor;
  /** Elements [start, end) along `axis`. */
  slice(x: Tensor, axis: number, start: number, end: number): Tensor;
  /** [B, C, H, W] → [B, H·W, C] (tokens row-major over H, W). */
  imageToTokens(x: Tensor): Tensor;
  /** [B, H·W, C] → [B, C, H, W]. */
  tokensToImage(x: Tensor, height: number, width: number): Tensor;
  /** table [V, D], ids (B·T, each < V) → [B, T, D]. */
  embedding(table: Tensor, ids: Int32Array, batch: number, length: number): Tensor;
}
