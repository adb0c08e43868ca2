// single-file-tiny through the case runner: UNet and VAE loaded from LDM names equal diffusers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { createBackend } from "../src/backend/index.js";
import { runCase } from "../src/cases/index.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

test("single-file-tiny: UNet forward, VAE decode and encode from an LDM single file", async () => {
  const c = readCase("single-file-tiny");
  const res = await runCase(dirname(fixturePath("single-file-tiny", "case.json")), { trace: false, backend: createBackend("ts") });
  assert.equal(res.type, "tensors");
  if (res.type !== "tensors") return;
  for (const [key, exp] of readExpected("single-file-tiny")) {
    const got = res.tensors.get(key);
    assert.ok(got, `no output for ${key}`);
    const tol = key.startsWith("vae.") ? c.tolerance_vae : c.tolerance;
    assertClose(key, got.data, got.shape, exp, tol.atol, tol.rtol);
  }
});
