// The whole fixture suite on the native backend: every reference case through `runCase`, every expected key
// within the case's own tolerance. (The TypeScript backend runs the same cases in the per-model tests.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { createBackend } from "../src/backend/index.js";
import { runCase } from "../src/cases/index.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

/** The case's tolerance for one output key, by the fixture READMEs' rules. */
function tolerance(c: Record<string, any>, key: string): [number, number] {
  if (key === "trace.t_emb") return [c.tolerance_t_emb?.atol ?? 1e-4, 0];
  if (c.kind === "autoencoder_kl" && key.startsWith("encode.") && !key.startsWith("encode.trace.")) return [c.tolerance_encode.atol, c.tolerance_encode.rtol];
  if (c.kind === "single_file_checkpoint" && key.startsWith("vae.")) return [c.tolerance_vae.atol, c.tolerance_vae.rtol];
  if (c.tolerance?.suggested_atol_vs_expected_f32 !== undefined) return [c.tolerance.suggested_atol_vs_expected_f32, c.tolerance.suggested_rtol];
  return [c.tolerance.atol, c.tolerance.rtol];
}

const CASES = ["unet-tiny", "unet-sd15-mini", "unet-sd15-full", "vae-mini", "single-file-tiny", "clip-text-mini", "clip-text-full", "loop-mini"];
const { names, nativeMissing } = backendsUnderTest();

for (const name of CASES) {
  test(`native backend: ${name} equals the reference`, { skip: names.includes("native") ? false : `native addon not built (${nativeMissing})` }, async () => {
    const c = readCase(name);
    const res = await runCase(dirname(fixturePath(name, "case.json")), { trace: true, backend: createBackend("native") });
    assert.equal(res.type, "tensors");
    if (res.type !== "tensors") return;
    for (const [key, exp] of readExpected(name)) {
      const got = res.tensors.get(key);
      assert.ok(got, `${name}: no output for ${key}`);
      const [atol, rtol] = tolerance(c, key);
      assertClose(`${name} ${key} (native)`, got.data, got.shape, exp, atol, rtol);
    }
  });
}
