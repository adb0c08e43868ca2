// The denoising loop (loop-mini): PNDM, 10 steps, CFG 7.5 on the unet-sd15-mini weights — every step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { createBackend } from "../src/backend/index.js";
import { runCase } from "../src/cases/index.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

test("loop-mini: guided noise predictions and latents equal diffusers at every step", async () => {
  const c = readCase("loop-mini");
  const res = await runCase(dirname(fixturePath("loop-mini", "case.json")), { trace: false, backend: createBackend("ts") });
  assert.equal(res.type, "tensors");
  if (res.type !== "tensors") return;
  const expected = readExpected("loop-mini");
  assert.equal(expected.size, 24); // timesteps, latents, latents.0–10, noise_pred.0–10
  for (const [key, exp] of expected) {
    const got = res.tensors.get(key);
    assert.ok(got, `no output for ${key}`);
    assertClose(key, got.data, got.shape, exp, c.tolerance.atol, c.tolerance.rtol);
  }
});
