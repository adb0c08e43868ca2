// GFLOP/s of the TypeScript backend's heavy kernels at SD1.5 sizes, at 1 and 2 threads. The machine's cores
// are shared, so each case alternates the thread counts rep by rep (both see the same background load) and
// keeps the best run; CPU time (all threads) is printed too, as a measure of work that other processes
// disturb less.
//   node dist/bench/tsBackend.js [--reps 3] [--threads 1,2] [--only gemm|conv|attention|other]
//                                [--impl path/to/TsBackend.js]   (another build, e.g. an older one, to compare)
import { pathToFileURL } from "node:url";
import type { Backend } from "../src/backend/Backend.js";
import { TsBackend } from "../src/backend/ts/TsBackend.js";
import type { Tensor } from "../src/tensor/Tensor.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const reps = Number(arg("reps", "3"));
const threadList = arg("threads", "1,2").split(",").map(Number);
const only = arg("only", "");
const impl = arg("impl", "");

type Ctor = new (options?: { threads?: number }) => Backend;
const Impl: Ctor = impl ? ((await import(pathToFileURL(impl).href)) as { TsBackend: Ctor }).TsBackend : TsBackend;
const backends = threadList.map((threads) => ({ threads, be: new Impl({ threads }) }));

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Times `make(be)()` for every backend, alternating backends within each rep; prints best wall and CPU time.
 * `flops` = 0 for memory-bound ops.
 */
function bench(what: string, flops: number, make: (be: Backend) => () => unknown): void {
  const runs = backends.map((b) => ({ ...b, run: make(b.be), wall: Infinity, cpu: Infinity }));
  for (const r of runs) r.run(); // warm-up: JIT, worker start
  for (let rep = 0; rep < reps; rep++) {
    for (const r of runs) {
      const t0 = performance.now(), c0 = cpuMs();
      r.run();
      r.cpu = Math.min(r.cpu, cpuMs() - c0);
      r.wall = Math.min(r.wall, performance.now() - t0);
    }
  }
  for (const r of runs) {
    const gf = flops > 0 ? `${(flops / r.wall / 1e6).toFixed(2).padStart(6)} GFLOP/s  (${(flops / r.cpu / 1e6).toFixed(2)} per CPU-second)` : "";
    console.log(`${what.padEnd(50)} threads=${r.threads} ${r.wall.toFixed(1).padStart(8)} ms  cpu ${r.cpu.toFixed(0).padStart(6)} ms ${gf}`);
  }
}

function input(be: Backend, shape: number[]): Tensor {
  return be.fromArray(rand(shape.reduce((a, b) => a * b, 1)), shape);
}

if (!only || only === "gemm") {
  for (const [M, N, K, label] of [
    [320, 4096, 2880, "conv-like"],
    [4096, 320, 320, "linear"],
    [4096, 2560, 320, "geglu proj"],
    [4096, 320, 1280, "ff out"],
  ] as const) {
    bench(`gemm (linear) M=${M} N=${N} K=${K} (${label})`, 2 * M * N * K, (be) => {
      const x = input(be, [M, K]);
      const w = be.prepareLinear(rand(N * K), N, K, rand(N));
      return () => be.linear(x, w);
    });
  }
}
if (!only || only === "conv") {
  for (const [C, O, S, k] of [[320, 320, 64, 3], [4, 320, 64, 3], [640, 640, 32, 3], [1280, 1280, 8, 3], [320, 320, 64, 1]] as const) {
    bench(`conv2d [1,${C},${S},${S}] ${k}×${k} → ${O}`, 2 * O * C * k * k * S * S, (be) => {
      const x = input(be, [1, C, S, S]);
      const w = be.prepareConv2d(rand(O * C * k * k), [O, C, k, k], rand(O));
      return () => be.conv2d(x, w, { stride: 1, padding: (k - 1) / 2 });
    });
  }
}
if (!only || only === "attention") {
  for (const [B, Tq, Tk, E, H] of [[1, 4096, 4096, 320, 8], [2, 4096, 77, 320, 8], [2, 1024, 1024, 640, 8]] as const) {
    bench(`attention B=${B} Tq=${Tq} Tk=${Tk} E=${E} heads=${H}`, 4 * B * Tq * Tk * E, (be) => {
      const q = input(be, [B, Tq, E]), k = input(be, [B, Tk, E]), v = input(be, [B, Tk, E]);
      return () => be.attention(q, k, v, H);
    });
  }
}
if (!only || only === "other") {
  bench("groupNorm+silu [2,320,64,64]", 0, (be) => {
    const x = input(be, [2, 320, 64, 64]);
    const g = be.prepareVector(rand(320), [320]), b = be.prepareVector(rand(320), [320]);
    return () => be.groupNorm(x, 32, g, b, 1e-5, { silu: true });
  });
  bench("silu [2,320,64,64]", 0, (be) => {
    const x = input(be, [2, 320, 64, 64]);
    return () => be.silu(x);
  });
  bench("geglu [2,4096,2560]", 0, (be) => {
    const x = input(be, [2, 4096, 2560]);
    return () => be.geglu(x);
  });
}
