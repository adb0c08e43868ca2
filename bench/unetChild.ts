// One UNet benchmark in a fresh process (so its peak RSS is its own), for bench.ts: the same runUNetBench
// as `sdts bench`, without loading the whole CLI.
//   node dist/bench/unetChild.js <ts|native> <HxW> <batch> <warmup> <iters> [threads] [precision]
import { createBackend } from "../src/backend/index.js";
import type { NativePrecision } from "../src/backend/native/NativeBackend.js";
import { runUNetBench } from "../src/bench/unetBench.js";

const [name = "native", latent = "64x64", batch = "2", warmup = "1", iters = "3", threads = "", precision = "fp32"] = process.argv.slice(2);
const [h, w] = latent.split("x").map(Number) as [number, number];
const backend = createBackend(name, {
  ...(threads ? { threads: Number(threads) } : {}),
  ...(precision !== "fp32" ? { precision: precision as NativePrecision } : {}),
});
const r = await runUNetBench({ backend, latent: [h, w], batch: Number(batch), warmup: Number(warmup), iters: Number(iters), log: (l) => process.stderr.write(`  ${l}\n`) });
process.stdout.write(`${JSON.stringify(r)}\n`);
process.exit(0);
