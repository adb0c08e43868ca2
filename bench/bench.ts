// `npm run bench`: GEMM GFLOP/s on the SD1.5 UNet's shapes for the ts and native backends, then the UNet
// forward figures of `sdts bench` for each (runUNetBench in a child process per backend, so each one's peak
// RSS is its own). The TypeScript backend is far slower, so by default it runs a smaller UNet.
//
//   npm run bench [-- --skip-ts] [--skip-gemm] [--skip-unet] [--threads N] [--native-latent 32x32,64x64]
//                    [--ts-latent 32x32] [--iters N] [--precision fp32|bf16]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runGemmBench, unetGemmCases, type GemmResult } from "../src/bench/gemmBench.js";
import { backendLabel } from "../src/bench/stats.js";
import type { UNetBenchResult } from "../src/bench/unetBench.js";
import { createBackend } from "../src/backend/index.js";

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

const backends = flag("--skip-ts") ? ["native"] : ["native", "ts"];
const child = join(dirname(fileURLToPath(import.meta.url)), "unetChild.js");

function printGemm(label: string, rows: readonly GemmResult[]): void {
  console.log(`\nGEMM shapes — ${label}: GFLOP/s wall (best / median of the timed calls), and per CPU-second`);
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(44)} ${r.gemm.padEnd(22)} ${r.gflops_best.toFixed(1).padStart(7)} / ${r.gflops_median.toFixed(1).padStart(7)}` +
        `   ${r.gflops_per_core.toFixed(1).padStart(7)} per core   (${r.ms_best} ms)`,
    );
  }
}

if (!flag("--skip-gemm")) {
  for (const name of backends) {
    let backend;
    try {
      backend = createBackend(name, args.includes("--threads") ? { threads: Number(value("--threads", "2")) } : {});
    } catch (err) {
      console.log(`\n${name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    // The TypeScript backend takes seconds per large call: one timed call each.
    const [warmup, iters] = name === "ts" ? [0, 1] : [2, 5];
    printGemm(backendLabel(backend), runGemmBench(backend, unetGemmCases(), warmup, iters));
  }
}

if (!flag("--skip-unet")) console.log("\nUNet SD1.5 forward, synthetic weights (the code of sdts bench)");
// The two sizes for the native backend ([2,4,32,32] and [2,4,64,64]); one smaller size for ts.
const unetRuns: Array<[string, string]> = flag("--skip-unet") ? [] : backends.flatMap((name): Array<[string, string]> =>
  name === "ts" ? [[name, value("--ts-latent", "32x32")]] : value("--native-latent", "32x32,64x64").split(",").map((l): [string, string] => [name, l]));
for (const [name, latent] of unetRuns) {
  const batch = value(name === "ts" ? "--ts-batch" : "--native-batch", name === "ts" ? "1" : "2");
  const iters = value("--iters", name === "ts" ? "1" : "3");
  const warmup = name === "ts" ? "0" : "1";
  const threads = name === "native" ? value("--threads", "") : "";
  const run = spawnSync(process.execPath, [child, name, latent, batch, warmup, iters, threads, value("--precision", "fp32")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) {
    console.log(`  ${name}: the UNet benchmark failed (exit ${run.status})`);
    continue;
  }
  const r = JSON.parse(run.stdout.trim().split("\n").pop()!) as UNetBenchResult;
  console.log(
    `  ${name.padEnd(6)} [${r.batch}, 4, ${r.latent.replace("x", ", ")}]: median ${r.ms_median.toFixed(0)} ms/forward (min ${r.ms_min.toFixed(0)}), ` +
      `${r.gflops.toFixed(1)} GFLOP/s effective, ${r.gflop_total} GFLOP (${r.gflop_conv_linear} conv+linear), peak RSS ${r.peak_rss_mb} MB` +
      (r.isa ? `, ${r.isa} × ${r.threads} threads` : ""),
  );
}
