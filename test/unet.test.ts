// The UNet against diffusers: output and every trace key (so a mismatch names the module), per case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createBackend } from "../src/backend/index.js";
import { runUNetForwardCase } from "../src/cases/unetForward.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";
import { dirname } from "node:path";

async function checkCase(name: string): Promise<void> {
  const c = readCase(name);
  const caseDir = dirname(fixturePath(name, "case.json"));
  const res = await runUNetForwardCase(caseDir, c, { trace: true, backend: createBackend("ts") });
  assert.equal(res.type, "tensors");
  if (res.type !== "tensors") return;
  const expected = readExpected(name);
  const { atol, rtol } = c.tolerance;
  for (const [key, exp] of expected) {
    const got = res.tensors.get(key);
    assert.ok(got, `${name}: no output for expected key ${key}`);
    // diffusers evaluates the time sinusoid in float32; README §4 allows 1e-4 there.
    const [a, r] = key === "trace.t_emb" ? [c.tolerance_t_emb?.atol ?? 1e-4, 0] : [atol, rtol];
    assertClose(`${name} ${key}`, got.data, got.shape, exp, a, r);
  }
}

test("unet-tiny equals diffusers (output and trace)", async () => {
  await checkCase("unet-tiny");
});

test("unet-sd15-mini equals diffusers (output and trace)", async () => {
  await checkCase("unet-sd15-mini");
});

test("unet-sd15-full (859,520,964 synthetic parameters) equals diffusers (output and trace)", async () => {
  await checkCase("unet-sd15-full");
});
