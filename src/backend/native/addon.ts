// Loading the C++ addon (native/, built by `npm install` through node-gyp into build/Release). Loading is
// attempted once; when the addon is missing or fails to load, the reason is kept so createBackend can say
// why it fell back to the TypeScript backend.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What native/addon.cc exports. Every op writes its first argument and ends with (threads, isa). */
export interface NativeAddon {
  info(): { abi: number; isa: string; isaIndex: number; maxThreads: number; isas: string[]; bf16: boolean };
  /**
   * Floats in a packed conv weight [O, K = C·taps] (taps = KH·KW) / linear weight [N, K] for this ISA's GEMM
   * tile. `format`: 0 fp32, 1 bf16 pairs (bf16 GEMM; conv pairs input channels at the same tap), 2 fp16
   * storage (fp32 GEMM).
   */
  convPackedSize(O: number, K: number, isa: number, format: number, taps: number): number;
  linearPackedSize(N: number, K: number, isa: number, format: number): number;
  packConv(packed: Float32Array, w: Float32Array, O: number, K: number, isa: number, format: number, taps: number): void;
  packLinear(packed: Float32Array, w: Float32Array, N: number, K: number, isa: number, format: number): void;
  conv2d(
    y: Float32Array, x: Float32Array, packed: Float32Array, bias: Float32Array | null,
    B: number, C: number, H: number, W: number, O: number, KH: number, KW: number,
    stride: number, padTop: number, padLeft: number, OH: number, OW: number, threads: number, isa: number, format: number,
  ): void;
  linear(y: Float32Array, x: Float32Array, M: number, K: number, packed: Float32Array, N: number, bias: Float32Array | null, threads: number, isa: number, format: number): void;
  groupNorm(
    y: Float32Array, x: Float32Array, B: number, C: number, spatial: number, groups: number,
    gamma: Float32Array, beta: Float32Array, eps: number, silu: number, threads: number, isa: number,
  ): void;
  layerNorm(y: Float32Array, x: Float32Array, rows: number, C: number, gamma: Float32Array, beta: Float32Array, eps: number, threads: number, isa: number): void;
  /** kind: 0 silu, 1 gelu, 2 quickGelu, 3 scale by s. */
  unary(y: Float32Array, x: Float32Array, n: number, kind: number, s: number, threads: number, isa: number): void;
  geglu(y: Float32Array, x: Float32Array, rows: number, D: number, threads: number, isa: number): void;
  add(y: Float32Array, a: Float32Array, b: Float32Array, n: number, threads: number, isa: number): void;
  addPerChannel(y: Float32Array, x: Float32Array, v: Float32Array, planes: number, spatial: number, threads: number, isa: number): void;
  /** format 0: fp32; 1: QKᵀ and PV on bf16 operands (fp32 softmax and accumulation; AVX512-BF16 only). */
  attention(
    y: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, B: number, Tq: number, Tk: number,
    heads: number, D: number, scale: number, causal: number, threads: number, isa: number, format: number,
  ): void;
  upsample2x(y: Float32Array, x: Float32Array, planes: number, H: number, W: number, threads: number, isa: number): void;
  /** Per batch, an R×S matrix to S×R. */
  transpose(y: Float32Array, x: Float32Array, B: number, R: number, S: number, threads: number, isa: number): void;
  /** Returns the malloc heap's free pages to the OS (glibc malloc_trim; a no-op elsewhere). */
  trimHeap(): void;
}

/** native/addon.cc's kAbiVersion: an addon built from older sources is refused rather than miscalled. */
const NATIVE_ABI = 5;

export type NativeLoad = { readonly addon: NativeAddon; readonly error: null } | { readonly addon: null; readonly error: string };

let cached: NativeLoad | null = null;

/** The repository (package) root: the nearest folder above this file holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) return dirname(fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Load build/Release/sdts_native.node (or $SDTS_NATIVE_ADDON) once. */
export function loadNativeAddon(): NativeLoad {
  if (cached) return cached;
  const path = process.env.SDTS_NATIVE_ADDON ?? join(packageRoot(), "build", "Release", "sdts_native.node");
  if (!existsSync(path)) {
    cached = { addon: null, error: `${path} does not exist (the native build failed or did not run: \`npm install\` or \`npx node-gyp rebuild\`)` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    const abi = addon.info().abi;
    cached = abi === NATIVE_ABI
      ? { addon, error: null }
      : { addon: null, error: `${path} was built from other sources (ABI ${abi}, expected ${NATIVE_ABI}): rebuild it with \`npm install\` or \`npx node-gyp rebuild\`` };
  } catch (err) {
    cached = { addon: null, error: `cannot load ${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return cached;
}
