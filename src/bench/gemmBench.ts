// GEMM-shaped micro-benchmarks on the SD1.5 UNet's shapes, run through a backend's public ops (so weight
// packing at load is excluded and the per-call im2col/packing is included): the 3×3 convs of each level as
// implicit GEMMs (M = out channels, N = B·H·W pixels, K = 9·in channels), the transformer's linear layers
// (M = B·tokens) and attention (QKᵀ and PV counted as matmuls).
import type { Backend } from "../backend/Backend.js";
import { median } from "./stats.js";

export interface GemmCase {
  readonly name: string;
  /** FLOPs per call (2 per multiply-add). */
  readonly flops: number;
  /** M × N × K of the equivalent GEMM, for the report. */
  readonly gemm: string;
  readonly setup: (b: Backend) => () => unknown;
}

function rand(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed | 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) | 0;
    out[i] = scale * ((a >>> 8) / 8388608 - 1);
  }
  return out;
}

function conv3x3(B: number, C: number, H: number, O: number): GemmCase {
  return {
    name: `conv3x3 [${B},${C},${H},${H}]→${O}`,
    gemm: `M=${O} N=${B * H * H} K=${9 * C}`,
    flops: 2 * B * O * H * H * C * 9,
    setup: (be) => {
      const x = be.fromArray(rand(B * C * H * H, 1, 1), [B, C, H, H]);
      const w = be.prepareConv2d(rand(O * C * 9, 1 / Math.sqrt(9 * C), 2), [O, C, 3, 3], rand(O, 0.1, 3));
      return () => be.conv2d(x, w, { stride: 1, padding: 1 });
    },
  };
}

function linear(rows: number, inF: number, outF: number, label: string): GemmCase {
  return {
    name: `linear ${label} [${rows},${inF}]→${outF}`,
    gemm: `M=${rows} N=${outF} K=${inF}`,
    flops: 2 * rows * inF * outF,
    setup: (be) => {
      const x = be.fromArray(rand(rows * inF, 1, 4), [rows, inF]);
      const w = be.prepareLinear(rand(outF * inF, 1 / Math.sqrt(inF), 5), outF, inF, rand(outF, 0.1, 6));
      return () => be.linear(x, w);
    },
  };
}

function attention(B: number, Tq: number, Tk: number, E: number, heads: number, label: string): GemmCase {
  return {
    name: `attention ${label} Tq=${Tq} Tk=${Tk} E=${E}`,
    gemm: `${B * heads}×(QKᵀ+PV) D=${E / heads}`,
    flops: 4 * B * Tq * Tk * E,
    setup: (be) => {
      const q = be.fromArray(rand(B * Tq * E, 1, 7), [B, Tq, E]);
      const k = be.fromArray(rand(B * Tk * E, 1, 8), [B, Tk, E]);
      const v = be.fromArray(rand(B * Tk * E, 1, 9), [B, Tk, E]);
      return () => be.attention(q, k, v, heads);
    },
  };
}

/** The UNet's heaviest shapes at [2, 4, 64, 64] latents (batch 2 = CFG's two halves). */
export function unetGemmCases(): GemmCase[] {
  return [
    conv3x3(2, 320, 64, 320),
    conv3x3(2, 640, 32, 640),
    conv3x3(2, 1280, 16, 1280),
    conv3x3(2, 1280, 8, 1280),
    linear(8192, 320, 320, "attn q/k/v/out"),
    linear(8192, 320, 2560, "GEGLU proj"),
    linear(8192, 1280, 320, "FF out"),
    linear(2048, 640, 5120, "GEGLU proj"),
    linear(154, 768, 320, "cross k/v"),
    attention(2, 4096, 4096, 320, 8, "self"),
    attention(2, 4096, 77, 320, 8, "cross"),
    attention(2, 1024, 1024, 640, 8, "self"),
  ];
}

export interface GemmResult {
  readonly name: string;
  readonly gemm: string;
  readonly ms_best: number;
  readonly ms_median: number;
  readonly gflops_best: number;
  readonly gflops_median: number;
  /**
   * FLOPs per second of CPU time (this process, all threads) on the best call: per-core efficiency, which
   * other processes on a shared machine disturb much less than wall time.
   */
  readonly gflops_per_core: number;
}

/** Time each case: `warmup` untimed calls, then `iters` timed ones (best and median). */
export function runGemmBench(backend: Backend, cases: readonly GemmCase[], warmup: number, iters: number, log?: (r: GemmResult) => void): GemmResult[] {
  const results: GemmResult[] = [];
  for (const c of cases) {
    const run = c.setup(backend);
    for (let i = 0; i < warmup; i++) run();
    const times: number[] = [];
    let bestCpu = Infinity;
    for (let i = 0; i < Math.max(1, iters); i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      run();
      times.push(performance.now() - t);
      const u = process.cpuUsage(c);
      bestCpu = Math.min(bestCpu, (u.user + u.system) / 1000);
    }
    const best = Math.min(...times), med = median(times);
    const r: GemmResult = {
      name: c.name,
      gemm: c.gemm,
      ms_best: Math.round(best * 100) / 100,
      ms_median: Math.round(med * 100) / 100,
      gflops_best: Math.round(c.flops / best / 1e5) / 10,
      gflops_median: Math.round(c.flops / med / 1e5) / 10,
      gflops_per_core: Math.round(c.flops / bestCpu / 1e5) / 10,
    };
    log?.(r);
    results.push(r);
  }
  return results;
}
