// Schedulers against the diffusers trajectories in ../shared/fixtures/schedulers-* (every expected key, within
// each case's tolerance), plus the parts the fixtures do not reach: Karras schedules, the sampler-name table,
// config rejection, add_noise, stochastic steps and the LMS quadrature.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { runSchedulerTrajectoryCase } from "../src/cases/schedulerTrajectory.js";
import { SD15_SCHEDULER_CONFIG as SD15 } from "../src/pipeline/sd15SchedulerConfig.js";
import { alphasCumprodFor } from "../src/schedulers/betas.js";
import { gaussKronrod21, lmsCoefficient } from "../src/schedulers/LMSDiscreteScheduler.js";
import {
  createScheduler,
  createSchedulerByClass,
  DDIMScheduler,
  EulerAncestralDiscreteScheduler,
  SCHEDULER_NAMES,
  type HostTensor,
  type Scheduler,
} from "../src/schedulers/index.js";
import { torchExpF32 } from "../src/schedulers/torchMath.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

const FIXTURES = ["pndm", "ddim", "euler", "euler-ancestral", "dpmsolver-multistep", "lms"];

for (const name of FIXTURES) {
  test(`schedulers-${name}: every expected key within the case tolerance`, async (t) => {
    const caseName = `schedulers-${name}`;
    const c = readCase(caseName);
    // The runner works on host arrays and never touches the backend.
    const result = await runSchedulerTrajectoryCase(dirname(fixturePath(caseName, "case.json")), c, { trace: false, backend: undefined! });
    assert.equal(result.type, "tensors");
    if (result.type !== "tensors") return;
    const expected = readExpected(caseName);
    assert.deepEqual([...result.tensors.keys()].sort(), [...expected.keys()].sort(), "produced keys != expected keys");
    let worst = 0;
    for (const [key, exp] of expected) {
      const got = result.tensors.get(key)!;
      worst = Math.max(worst, assertClose(key, got.data, got.shape, exp, c.tolerance.atol, c.tolerance.rtol));
    }
    t.diagnostic(`${caseName}: ${expected.size} keys, max |diff| ${worst.toExponential(2)} (atol ${c.tolerance.atol})`);
  });
}

test("fixture timesteps: PNDM repeats 901, DPM-Solver ends at 50, Euler is fractional", () => {
  const ts = (name: string): readonly number[] => {
    const s = createScheduler(name, SD15);
    s.setTimesteps(20);
    return s.timesteps;
  };
  assert.deepEqual(ts("pndm").slice(0, 4), [951, 901, 901, 851]);
  assert.equal(ts("pndm").length, 21);
  assert.deepEqual(ts("ddim").slice(-2), [51, 1]);
  assert.deepEqual(ts("dpmpp_2m").slice(9, 11), [549, 500]); // 499.5 rounds to even, as numpy does
  assert.equal(ts("euler")[1], Math.fround(946.4210815429688));
});

test("class defaults apply to fields the config does not give", () => {
  const ddim = new DDIMScheduler({ beta_schedule: "linear" });
  assert.equal(ddim.config.timestep_spacing, "leading");
  assert.equal(ddim.config.set_alpha_to_one, true);
  assert.equal(ddim.config.clip_sample, true);
  const euler = createScheduler("euler", SD15);
  euler.setTimesteps(20);
  assert.equal(euler.timesteps[0], 999); // "linspace": Euler's own default, although the config came from PNDM
  const linear = alphasCumprodFor({ ...ddim.config });
  assert.ok(Math.abs(linear[0]! - (1 - 0.0001)) < 1e-7 && Math.abs(linear[999]! - 4.0358e-5) < 1e-8, "linear betas 1e-4…0.02");
});

test("Karras sigmas: σ_max first, σ_min last, strictly decreasing, then the final σ", () => {
  const table = (() => {
    const ac = alphasCumprodFor({ ...SD15, prediction_type: "epsilon", timestep_spacing: "leading", trained_betas: null });
    return Array.from(ac, (a) => Math.sqrt((1 - a) / a));
  })();
  for (const [name, config] of [
    ["dpmpp_2m_karras", SD15],
    ["lms_karras", SD15],
    ["euler", { ...SD15, use_karras_sigmas: true }],
    ["euler_a", { ...SD15, use_karras_sigmas: true }],
  ] as const) {
    const s = createScheduler(name, config);
    s.setTimesteps(25);
    const sig = Array.from(s.sigmas!);
    assert.equal(sig.length, 26, name);
    assert.ok(Math.abs(sig[0]! - table[999]!) < 1e-5, `${name}: first σ ${sig[0]} != σ_max ${table[999]}`);
    assert.ok(Math.abs(sig[24]! - table[0]!) < 1e-6, `${name}: last σ ${sig[24]} != σ_min ${table[0]}`);
    assert.equal(sig[25], 0, `${name}: final σ`);
    for (let i = 1; i < 26; i++) assert.ok(sig[i]! < sig[i - 1]!, `${name}: σ not decreasing at ${i}`);
    for (let i = 1; i < 25; i++) assert.ok(s.timesteps[i]! < s.timesteps[i - 1]!, `${name}: timesteps not decreasing at ${i}`);
    assert.ok(Math.abs(s.timesteps[0]! - 999) < 1e-3 && Math.abs(s.timesteps[24]!) < 1e-3, `${name}: timesteps span 999…0`);
    // ρ = 7 spacing: σ^(1/7) is linear in the step index.
    const r = sig.slice(0, 25).map((x) => x ** (1 / 7));
    for (let i = 1; i < 24; i++) assert.ok(Math.abs(r[i + 1]! - 2 * r[i]! + r[i - 1]!) < 1e-5, `${name}: not Karras-spaced at ${i}`);
  }
  const dpm = createScheduler("dpmpp_2m_karras", SD15);
  dpm.setTimesteps(20);
  assert.deepEqual(dpm.timesteps.slice(0, 4), [999, 962, 921, 876]);
  assert.ok(dpm.timesteps.every(Number.isInteger), "DPM-Solver timesteps are rounded to integers");
});

test("createScheduler maps A1111/ComfyUI names to diffusers classes and options", () => {
  const expect: Record<string, [string, Record<string, unknown>]> = {
    pndm: ["PNDMScheduler", {}],
    plms: ["PNDMScheduler", { skip_prk_steps: true }],
    ddim: ["DDIMScheduler", {}],
    euler: ["EulerDiscreteScheduler", { use_karras_sigmas: false }],
    euler_a: ["EulerAncestralDiscreteScheduler", {}],
    dpmpp_2m: ["DPMSolverMultistepScheduler", { algorithm_type: "dpmsolver++", solver_order: 2, use_karras_sigmas: false }],
    dpmpp_2m_karras: ["DPMSolverMultistepScheduler", { algorithm_type: "dpmsolver++", solver_order: 2, use_karras_sigmas: true }],
    lms: ["LMSDiscreteScheduler", { use_karras_sigmas: false }],
    lms_karras: ["LMSDiscreteScheduler", { use_karras_sigmas: true }],
  };
  assert.deepEqual(Object.keys(SCHEDULER_NAMES).sort(), Object.keys(expect).sort());
  for (const [name, [className, fields]] of Object.entries(expect)) {
    const s = createScheduler(name, SD15) as Scheduler & { config: Record<string, unknown> };
    assert.equal(s.className, className, name);
    assert.equal(s.order, 1, name);
    for (const [k, v] of Object.entries(fields)) assert.equal(s.config[k], v, `${name}: ${k}`);
  }
  // "plms" is PLMS whatever the config says; "pndm" follows the config (diffusers' default is the unsupported PRK).
  assert.equal(createScheduler("plms", { skip_prk_steps: false }).className, "PNDMScheduler");
  assert.throws(() => createScheduler("pndm", {}), /PNDMScheduler: config skip_prk_steps = false is not supported/);
  assert.throws(() => createScheduler("dpm_adaptive", SD15), /unknown scheduler "dpm_adaptive" \(valid: pndm, plms, ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras, lms, lms_karras\)/);
  assert.throws(() => createSchedulerByClass("UniPCMultistepScheduler", SD15), /unknown scheduler class "UniPCMultistepScheduler" \(known: PNDMScheduler/);
});

test("unsupported config values are rejected, naming the field and value", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["euler", { prediction_type: "v_prediction" }, /EulerDiscreteScheduler: config prediction_type = "v_prediction" is not supported \(supported: "epsilon"\)/],
    ["ddim", { prediction_type: "sample" }, /DDIMScheduler: config prediction_type = "sample"/],
    ["lms", { beta_schedule: "squaredcos_cap_v2" }, /LMSDiscreteScheduler: config beta_schedule = "squaredcos_cap_v2" is not supported/],
    ["euler_a", { timestep_spacing: "karras" }, /config timestep_spacing = "karras" is not supported \(supported: "leading", "linspace", "trailing"\)/],
    ["ddim", { thresholding: true }, /DDIMScheduler: config thresholding = true/],
    ["ddim", { rescale_betas_zero_snr: true }, /config rescale_betas_zero_snr = true/],
    ["dpmpp_2m", { solver_type: "bh2" }, /config solver_type = "bh2"/],
    ["euler", { use_exponential_sigmas: true }, /config use_exponential_sigmas = true/],
    ["euler", { interpolation_type: "log_linear" }, /config interpolation_type = "log_linear"/],
    ["euler", { steps_offset: "1" }, /EulerDiscreteScheduler: config steps_offset = "1" is not a valid integer/],
    ["euler", { trained_betas: [0.1, 0.2] }, /trained_betas has 2 values, expected num_train_timesteps = 1000/],
  ];
  for (const [name, over, re] of cases) assert.throws(() => createScheduler(name, { ...SD15, ...over }), re, `${name} ${JSON.stringify(over)}`);
  assert.throws(() => createSchedulerByClass("DPMSolverMultistepScheduler", { ...SD15, solver_order: 3 }), /config solver_order = 3 is not supported \(supported: 1, 2\)/);
  assert.throws(() => createSchedulerByClass("DPMSolverMultistepScheduler", { ...SD15, algorithm_type: "sde-dpmsolver++" }), /algorithm_type = "sde-dpmsolver\+\+"/);
  // Fields another class declares are ignored, as diffusers' from_config does.
  assert.doesNotThrow(() => createScheduler("ddim", { ...SD15, use_karras_sigmas: true, solver_order: 3 }));
});

/** A deterministic test tensor [B, 4, 2, 2]. */
function tensor(batch: number, seed: number): HostTensor {
  const data = new Float32Array(batch * 16);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 7.1 + i * 1.3) * 1.5;
  return { shape: [batch, 4, 2, 2], data };
}

test("addNoise: √ᾱ·x₀ + √(1−ᾱ)·ε (PNDM, DDIM), x₀ + σ·ε (Euler, Euler a, LMS), α·x₀ + σ_t·ε (DPM-Solver)", () => {
  const x0 = tensor(2, 1);
  const eps = tensor(2, 2);
  for (const name of ["pndm", "ddim"]) {
    const s = createScheduler(name, SD15);
    s.setTimesteps(20);
    const ts = [s.timesteps[3]!, 1];
    const out = s.addNoise(x0, eps, ts);
    for (let i = 0; i < out.data.length; i++) {
      const a = s.alphasCumprod[ts[Math.floor(i / 16)]!]!;
      const want = Math.sqrt(a) * x0.data[i]! + Math.sqrt(1 - a) * eps.data[i]!;
      assert.ok(Math.abs(out.data[i]! - want) < 1e-6, `${name}[${i}]: ${out.data[i]} != ${want}`);
    }
  }
  for (const name of ["euler", "euler_a", "lms", "dpmpp_2m"]) {
    const s = createScheduler(name, SD15);
    s.setTimesteps(20);
    const ts = [s.timesteps[5]!, s.timesteps[12]!];
    const out = s.addNoise(x0, eps, ts);
    for (let i = 0; i < out.data.length; i++) {
      const sigma = s.sigmas![s.timesteps.indexOf(ts[Math.floor(i / 16)]!)]!;
      const want =
        name === "dpmpp_2m"
          ? (x0.data[i]! + sigma * eps.data[i]!) / Math.sqrt(sigma * sigma + 1)
          : x0.data[i]! + sigma * eps.data[i]!;
      assert.ok(Math.abs(out.data[i]! - want) < 1e-5 * (1 + Math.abs(want)), `${name}[${i}]: ${out.data[i]} != ${want}`);
    }
  }
  // img2img: with a begin index, the start σ is that step's, whatever timestep is passed.
  const euler = createScheduler("euler", SD15);
  euler.setTimesteps(20);
  euler.setBeginIndex(8);
  const one = tensor(1, 3);
  const noised = euler.addNoise(one, tensor(1, 4), euler.timesteps[8]!);
  assert.ok(Math.abs(noised.data[0]! - (one.data[0]! + euler.sigmas![8]! * tensor(1, 4).data[0]!)) < 1e-5);
  assert.throws(() => createScheduler("euler", SD15).addNoise(one, one, 5), /call setTimesteps/);
  assert.throws(() => createScheduler("ddim", SD15).addNoise(one, one, 12.5), /timestep 12.5 must be an integer training timestep/);
});

test("Euler ancestral draws noise once per step with the sample shape, explicit or via randn", () => {
  const run = (opts: (shape: readonly number[], i: number) => { noise?: Float32Array; randn?: (s: number[]) => Float32Array }): Float32Array => {
    const s = new EulerAncestralDiscreteScheduler(SD15);
    s.setTimesteps(4);
    let x: HostTensor = { shape: [1, 4, 2, 2], data: tensor(1, 5).data.map((v) => v * s.initNoiseSigma) };
    s.timesteps.forEach((t, i) => {
      x = s.step(tensor(1, 10 + i), t, s.scaleModelInput(x, t), opts(x.shape, i)).prevSample;
    });
    return x.data;
  };
  const calls: number[][] = [];
  const viaRandn = run(() => ({
    randn: (shape) => {
      calls.push(shape);
      return tensor(1, 100 + calls.length).data;
    },
  }));
  const viaNoise = run((_shape, i) => ({ noise: tensor(1, 101 + i).data }));
  assert.deepEqual(calls, [[1, 4, 2, 2], [1, 4, 2, 2], [1, 4, 2, 2], [1, 4, 2, 2]], "one randn(shape) per step, the last included");
  assert.deepEqual(viaRandn, viaNoise);
  const s = createScheduler("euler_a", SD15);
  s.setTimesteps(4);
  assert.throws(() => s.step(tensor(1, 1), s.timesteps[0]!, tensor(1, 2)), /EulerAncestralDiscreteScheduler: this step draws Gaussian noise: pass options.noise/);
  assert.throws(() => s.step(tensor(1, 1), s.timesteps[0]!, tensor(1, 2), { noise: new Float32Array(3) }), /noise has 3 elements, expected 16/);
});

test("DDIM η > 0: adds σ_t·z with σ_t = η·√((1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev)), and needs noise", () => {
  const s = createScheduler("ddim", SD15);
  s.setTimesteps(10);
  const x = tensor(1, 1);
  const eps = tensor(1, 2);
  const z = tensor(1, 3).data;
  const t = s.timesteps[2]!;
  const [aT, aPrev] = [s.alphasCumprod[t]!, s.alphasCumprod[t - 100]!];
  const eta = 0.7;
  const std = eta * Math.sqrt(((1 - aPrev) / (1 - aT)) * (1 - aT / aPrev));
  const out = s.step(eps, t, x, { eta, noise: z });
  for (let i = 0; i < x.data.length; i++) {
    const x0 = (x.data[i]! - Math.sqrt(1 - aT) * eps.data[i]!) / Math.sqrt(aT);
    const want = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev - std * std) * eps.data[i]! + std * z[i]!;
    assert.ok(Math.abs(out.prevSample.data[i]! - want) < 1e-5, `[${i}] ${out.prevSample.data[i]} != ${want}`);
    assert.ok(Math.abs(out.predOriginalSample!.data[i]! - x0) < 1e-5);
  }
  assert.throws(() => s.step(eps, t, x, { eta: 1 }), /DDIMScheduler: this step draws Gaussian noise/);
  assert.doesNotThrow(() => s.step(eps, t, x, {}), "η = 0 needs no noise");
});

test("LMS coefficients: QUADPACK's 21-point Kronrod rule on the Lagrange basis", () => {
  // The rule is exact through degree 31 (catches a mistyped node or weight).
  assert.ok(Math.abs(gaussKronrod21((x) => x ** 30, 0, 1) - 1 / 31) < 1e-15);
  assert.ok(Math.abs(gaussKronrod21((x) => Math.cos(x), 0, 1) - Math.sin(1)) < 1e-15);
  const s = createScheduler("lms", SD15);
  s.setTimesteps(20);
  const sig = s.sigmas!;
  for (const i of [3, 10, 18]) {
    let sum = 0;
    for (let j = 0; j < 4; j++) {
      const c = lmsCoefficient(sig, 4, i, j);
      // Exact integral of the (float64) basis polynomial by 3-point Gauss–Legendre.
      const basis = (tau: number): number => [0, 1, 2, 3].filter((k) => k !== j).reduce((p, k) => (p * (tau - sig[i - k]!)) / (sig[i - j]! - sig[i - k]!), 1);
      const [a, b] = [sig[i]!, sig[i + 1]!];
      const exact = ((b - a) / 2) * [[-Math.sqrt(0.6), 5 / 9], [0, 8 / 9], [Math.sqrt(0.6), 5 / 9]].reduce((acc, [x, w]) => acc + w! * basis((a + b) / 2 + ((b - a) / 2) * x!), 0);
      assert.ok(Math.abs(c - exact) <= 1e-6 * Math.abs(exact), `c[${i}][${j}] = ${c}, exact ${exact}`);
      sum += c;
    }
    // The basis polynomials sum to 1, so the weights sum to the step length σ_{i+1} − σ_i.
    assert.ok(Math.abs(sum - (sig[i + 1]! - sig[i]!)) < 1e-6, `Σc at ${i}`);
  }
});

test("torch's float32 exp (SLEEF) is within an ulp of exp and reproduces its off-by-one case", () => {
  for (const x of [-0.2928724, -3.5, 0.1, 1e-3, 20]) {
    const exact = Math.exp(Math.fround(x));
    assert.ok(Math.abs(torchExpF32(x) - exact) <= 1.2e-7 * exact, `exp(${x})`);
  }
  const h = 0.29287242889404297;
  assert.equal(torchExpF32(-h), 0.746117353439331); // correctly rounded would be 0.7461172938346863
  assert.equal(torchExpF32(-Infinity), 0);
});

test("state errors name the scheduler: step before setTimesteps, unknown timestep, past the end", () => {
  assert.throws(() => createScheduler("ddim", SD15).step(tensor(1, 1), 1, tensor(1, 2)), /DDIMScheduler: call setTimesteps\(n\) before step/);
  assert.throws(() => createScheduler("euler", SD15).step(tensor(1, 1), 1, tensor(1, 2)), /EulerDiscreteScheduler: call setTimesteps/);
  const euler = createScheduler("euler", SD15);
  euler.setTimesteps(2);
  assert.throws(() => euler.scaleModelInput(tensor(1, 1), 500), /EulerDiscreteScheduler: timestep 500 is not in the schedule \[999, 0\]/);
  let x = tensor(1, 1);
  for (const t of euler.timesteps) x = euler.step(tensor(1, 2), t, x).prevSample;
  assert.throws(() => euler.step(tensor(1, 2), 0, x), /past the end of the 2-step schedule/);
  assert.throws(() => euler.step(tensor(2, 2), 0, x), /shapes \[2, 4, 2, 2\] and \[1, 4, 2, 2\] differ/);
  assert.throws(() => euler.setTimesteps(0), /setTimesteps\(0\): the number of inference steps must be an integer in 1…1000/);
});
