// The denoising loop's contract beyond loop-mini: per-step callback, cancellation, guidance ≤ 1 runs one batch,
// and guidance equals the uncond + g·(text − uncond) combination of two plain runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createBackend } from "../src/backend/index.js";
import { UNet2DConditionModel } from "../src/models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../src/models/unet/UNetConfig.js";
import { denoise, DenoiseAbortedError, type StepInfo } from "../src/pipeline/denoise.js";
import { TorchGenerator } from "../src/random/TorchGenerator.js";
import { createScheduler } from "../src/schedulers/index.js";
import { SD15_SCHEDULER_CONFIG } from "../src/pipeline/sd15SchedulerConfig.js";
import { loadWeights } from "../src/weights/load.js";
import { SyntheticSource } from "../src/weights/WeightSource.js";
import { readCase } from "./helpers/fixtures.js";

const backend = createBackend("ts");
const unet = new UNet2DConditionModel(parseUNetConfig(readCase("unet-tiny").config));
loadWeights(unet, new SyntheticSource(), backend);
const gen = new TorchGenerator(7);
const shape = [1, 4, 8, 12];
const init = gen.randn(shape);
const text = backend.fromArray(gen.randn([1, 77, 32]), [1, 77, 32]);
const uncond = backend.fromArray(gen.randn([1, 77, 32]), [1, 77, 32]);

function scheduler(name: string, steps: number) {
  const s = createScheduler(name, SD15_SCHEDULER_CONFIG);
  s.setTimesteps(steps);
  return s;
}

test("onStep reports every step in order with latents and timing", async () => {
  const s = scheduler("euler", 3);
  const seen: StepInfo[] = [];
  const final = await denoise({ unet, scheduler: s, latents: { shape, data: init.map((v) => v * s.initNoiseSigma) }, promptEmbeds: text, negativeEmbeds: uncond, guidanceScale: 7.5, onStep: (i) => seen.push(i) });
  assert.deepEqual(seen.map((i) => i.step), [0, 1, 2]);
  assert.deepEqual(seen.map((i) => i.timestep), [...s.timesteps]);
  assert.ok(seen.every((i, k) => i.totalSteps === 3 && (k === 0 || i.elapsedMs >= seen[k - 1]!.elapsedMs)));
  assert.deepEqual([...seen[2]!.latents.data], [...final.data]);
});

test("an aborted signal stops the loop before the next step", async () => {
  const s = scheduler("pndm", 5);
  const ctrl = new AbortController();
  let steps = 0;
  await assert.rejects(
    denoise({ unet, scheduler: s, latents: { shape, data: init }, promptEmbeds: text, negativeEmbeds: uncond, guidanceScale: 7.5, signal: ctrl.signal,
      onStep: ({ step }) => { steps++; if (step === 1) ctrl.abort(); } }),
    (err: Error) => err instanceof DenoiseAbortedError && /before step 2/.test(err.message));
  assert.equal(steps, 2);
});

test("guidance = uncond + g·(text − uncond) of the two single-batch predictions; g ≤ 1 needs no negative", async () => {
  const one = async (embeds: typeof text, g: number) => {
    let pred: Float32Array | null = null;
    await denoise({ unet, scheduler: scheduler("ddim", 1), latents: { shape, data: init }, promptEmbeds: embeds, guidanceScale: g,
      negativeEmbeds: g > 1 ? uncond : null, onStep: ({ noisePred }) => { pred = noisePred.data; } });
    return pred!;
  };
  const t = await one(text, 1);
  const u = await one(uncond, 1);
  const guided = await one(text, 7.5);
  let max = 0;
  for (let i = 0; i < t.length; i++) max = Math.max(max, Math.abs(guided[i]! - (u[i]! + 7.5 * (t[i]! - u[i]!))));
  assert.ok(max < 1e-5, `guided prediction differs from uncond + g(text − uncond) by ${max}`);
  await assert.rejects(denoise({ unet, scheduler: scheduler("ddim", 1), latents: { shape, data: init }, promptEmbeds: text, guidanceScale: 7.5 }), /needs negative/);
});
