// The UNet benchmark behind `sdts bench` and `npm run bench`: the SD1.5 UNet with synthetic weights
// (fixtures README §2, so no model file is needed), timed per forward after warm-up.
import type { Backend } from "../backend/Backend.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { SD15_UNET_CONFIG, type UNetConfig } from "../models/unet/UNetConfig.js";
import { unetFlops } from "../models/unet/flops.js";
import { loadWeights } from "../weights/load.js";
import { syntheticInput } from "../weights/synthetic.js";
import { SyntheticSource } from "../weights/WeightSource.js";
import { median, peakRssMb } from "./stats.js";

export interface UNetBenchOptions {
  readonly backend: Backend;
  /** Latent [h, w] (64×64 is a 512×512 image). */
  readonly latent: readonly [number, number];
  readonly batch: number;
  readonly warmup: number;
  readonly iters: number;
  readonly config?: UNetConfig;
  /** Context tokens (77 for CLIP). */
  readonly contextLength?: number;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface UNetBenchResult {
  readonly backend: string;
  readonly isa: string | null;
  readonly threads: number | null;
  readonly precision: string;
  /** Conv/linear weight storage (fp32, fp16 or bf16). */
  readonly weights: string;
  readonly latent: string;
  readonly batch: number;
  readonly warmup: number;
  readonly iters: number;
  readonly ms_median: number;
  readonly ms_min: number;
  readonly ms_all: number[];
  /** Effective GFLOP/s: conv + linear + attention matmul FLOPs / median time. */
  readonly gflops: number;
  /** FLOPs of one forward (GFLOP): all matmuls, and conv + linear only (the figure PyTorch profilers give). */
  readonly gflop_total: number;
  readonly gflop_conv_linear: number;
  readonly load_ms: number;
  readonly peak_rss_mb: number;
}

export async function runUNetBench(o: UNetBenchOptions): Promise<UNetBenchResult> {
  const config = o.config ?? SD15_UNET_CONFIG;
  const [h, w] = o.latent;
  const S = o.contextLength ?? 77;
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const unet = new UNet2DConditionModel(config);
  loadWeights(unet, new SyntheticSource(), o.backend);
  const loadMs = performance.now() - t0;
  log(`loaded ${unet.numParameters().toLocaleString("en-US")} synthetic parameters in ${(loadMs / 1000).toFixed(1)} s`);
  const sample = o.backend.fromArray(syntheticInput("sample", [o.batch, config.inChannels, h, w]), [o.batch, config.inChannels, h, w]);
  const context = o.backend.fromArray(syntheticInput("encoder_hidden_states", [o.batch, S, config.crossAttentionDim]), [o.batch, S, config.crossAttentionDim]);
  const times: number[] = [];
  for (let i = 0; i < o.warmup + o.iters; i++) {
    const t = performance.now();
    const out = unet.forward(sample, 500, context);
    await out.toArray(); // a GPU backend finishes here
    const ms = performance.now() - t;
    const warm = i < o.warmup;
    if (!warm) times.push(ms);
    log(`${warm ? "warm-up" : "forward"} ${warm ? i + 1 : i - o.warmup + 1}/${warm ? o.warmup : o.iters}: ${ms.toFixed(0)} ms`);
  }
  const flops = unetFlops(config, o.batch, h, w, S);
  const msMedian = median(times);
  // NativeBackend exposes isa/threads/precision, TsBackend threadCount.
  const n = o.backend as Backend & { readonly isa?: string; readonly threads?: number; readonly threadCount?: number; readonly precision?: string; readonly weights?: string };
  return {
    backend: o.backend.name,
    isa: n.isa ?? null,
    threads: n.threads ?? n.threadCount ?? null,
    precision: n.precision ?? "fp32",
    weights: n.weights ?? "fp32",
    latent: `${h}x${w}`,
    batch: o.batch,
    warmup: o.warmup,
    iters: o.iters,
    ms_median: round(msMedian, 1),
    ms_min: round(Math.min(...times), 1),
    ms_all: times.map((t) => round(t, 1)),
    gflops: round(flops.total / msMedian / 1e6, 1),
    gflop_total: round(flops.total / 1e9, 1),
    gflop_conv_linear: round((flops.conv + flops.linear) / 1e9, 1),
    load_ms: round(loadMs, 0),
    peak_rss_mb: round(peakRssMb(), 0),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
