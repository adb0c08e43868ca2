// sdts bench: time the SD1.5 UNet (synthetic weights) on a backend — median ms per forward after warm-up,
// effective GFLOP/s and peak RSS — optionally after the GEMM micro-benchmarks (--gemm).
import { Option, type Command } from "commander";
import { runGemmBench, unetGemmCases } from "../bench/gemmBench.js";
import { backendLabel } from "../bench/stats.js";
import { runUNetBench } from "../bench/unetBench.js";
import { addBackendOptions, backendFrom, parseSize, positiveInt, type BackendFlags } from "./options.js";

interface BenchFlags extends BackendFlags {
  latent: string;
  batch: string;
  warmup: string;
  iters: string;
  json?: boolean;
  gemm?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command("bench")
    .description("time the SD1.5 UNet forward with synthetic weights (median ms after warm-up, GFLOP/s, peak RSS)")
    .addOption(new Option("--latent <HxW>", "latent size (64x64 = a 512×512 image)").default("64x64"))
    .addOption(new Option("--batch <n>", "batch (2 = classifier-free guidance)").default("2"))
    .addOption(new Option("--warmup <n>", "untimed forwards first").default("1"))
    .addOption(new Option("--iters <n>", "timed forwards").default("3"))
    .option("--gemm", "also run the GEMM micro-benchmarks on the UNet's shapes")
    .option("--json", "print one JSON object instead of text");
  addBackendOptions(cmd).action(async (flags: BenchFlags) => {
    // --precision / --weights-dtype are the shared backend options (options.ts), as for generate.
    const backend = backendFrom(flags);
    const [h, w] = parseSize(flags.latent, "--latent");
    const batch = positiveInt(flags.batch, "--batch");
    const warmup = flags.warmup === "0" ? 0 : positiveInt(flags.warmup, "--warmup");
    const iters = positiveInt(flags.iters, "--iters");
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    const gemm = flags.gemm
      ? runGemmBench(backend, unetGemmCases(), 1, 3, flags.json ? undefined : (r) => log(`  ${r.name.padEnd(44)} ${r.gflops_best.toFixed(1).padStart(7)} GFLOP/s (best, ${r.ms_best} ms)`))
      : undefined;
    if (!flags.json) log(`UNet SD1.5 [${batch}, 4, ${h}, ${w}] on ${backendLabel(backend)}`);
    const r = await runUNetBench({ backend, latent: [h, w], batch, warmup, iters, log: flags.json ? undefined : log });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(gemm ? { ...r, gemm } : r)}\n`);
      return;
    }
    process.stdout.write(
      `backend ${backendLabel(backend)}, ${r.precision}, latent ${r.latent}, batch ${r.batch}: ` +
        `median ${r.ms_median.toFixed(0)} ms per forward (min ${r.ms_min.toFixed(0)}, ${r.iters} iters after ${r.warmup} warm-up), ` +
        `${r.gflops.toFixed(1)} GFLOP/s effective (${r.gflop_total} GFLOP incl. attention; ${r.gflop_conv_linear} conv+linear), ` +
        `peak RSS ${r.peak_rss_mb} MB\n`,
    );
  });
}
