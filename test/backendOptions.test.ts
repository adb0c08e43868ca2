// --precision / --weights-dtype: the shared backend flags (src/cli/options.ts) parse, reject bad values naming
// the flag, and reach the backend. fp16 weight storage on the unet-tiny case stays within fp16 rounding of
// fp32 storage. Native-only parts are skipped with the reason when the addon was not built (fail with
// SDTS_REQUIRE_NATIVE=1), as in nativeBackend.test.ts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import { createBackend, nativeAvailability } from "../src/backend/index.js";
import { NativeBackend } from "../src/backend/native/NativeBackend.js";
import { backendFrom, backendOptionsFrom } from "../src/cli/options.js";
import { SafetensorsFile } from "../src/weights/safetensors.js";
import { fixturePath, readExpected, repoRoot } from "./helpers/fixtures.js";

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "sdts-backend-options-"));
const sdts = (...args: string[]) => run(process.execPath, [join(repoRoot, "bin", "sdts.js"), ...args], { cwd: repoRoot, encoding: "utf8" });

const availability = nativeAvailability();
function needNative(t: TestContext): boolean {
  if (availability.available) return true;
  if (process.env.SDTS_REQUIRE_NATIVE === "1") assert.fail(`SDTS_REQUIRE_NATIVE=1 but the native backend did not load: ${availability.reason}`);
  t.skip(`native backend not built: ${availability.reason}`);
  return false;
}

describe("backend flags parse", () => {
  it("maps --precision / --weights-dtype / --threads to createBackend options", () => {
    assert.deepEqual(backendOptionsFrom({}), {});
    assert.deepEqual(backendOptionsFrom({ threads: "2", precision: "fp32", weightsDtype: "fp16" }), { threads: 2, precision: "fp32", weights: "fp16" });
    assert.deepEqual(backendOptionsFrom({ precision: "bf16", weightsDtype: "bf16" }), { precision: "bf16", weights: "bf16" });
  });

  it("rejects bad values naming the flag and the valid ones", () => {
    assert.throws(() => backendOptionsFrom({ weightsDtype: "fp8" }), /--weights-dtype must be one of fp32, fp16, bf16, got "fp8"/);
    assert.throws(() => backendOptionsFrom({ precision: "fp16" }), /--precision must be one of fp32, bf16, got "fp16"/);
    assert.throws(() => backendOptionsFrom({ threads: "0" }), /--threads must be a positive integer/);
  });

  it("the TS backend refuses 16-bit storage and bf16 compute, naming the flag", () => {
    assert.throws(() => backendFrom({ backend: "ts", weightsDtype: "fp16" }), /--weights-dtype fp16: backend "ts" stores weights in fp32 only/);
    assert.throws(() => backendFrom({ backend: "ts", precision: "bf16" }), /--precision bf16: backend "ts" computes in fp32 only/);
    assert.equal(backendFrom({ backend: "ts", weightsDtype: "fp32", precision: "fp32" }).name, "ts");
  });

  it("the native backend stores fp16 with fp32 compute; bf16 storage only with --precision bf16", (t) => {
    if (!needNative(t)) return;
    const b = backendFrom({ backend: "native", weightsDtype: "fp16" });
    assert.ok(b instanceof NativeBackend);
    assert.equal(b.weights, "fp16");
    assert.equal(b.precision, "fp32");
    assert.throws(() => createBackend("native", { weights: "bf16" }), /--weights-dtype bf16: the native backend's fp32 kernels read fp32 or fp16 weights only/);
    assert.throws(() => createBackend("native", { precision: "bf16", weights: "fp16" }), /--weights-dtype fp16 cannot be combined with --precision bf16/);
  });
});

describe("sdts CLI: the flags reach the backend", () => {
  it("generate rejects a bad --weights-dtype, and --weights-dtype fp16 on the ts backend, with clear errors", async () => {
    await assert.rejects(sdts("generate", "-p", "x", "--weights-dtype", "fp8"), (e: { stderr: string }) => /--weights-dtype must be one of fp32, fp16, bf16, got "fp8"/.test(e.stderr));
    await assert.rejects(sdts("generate", "-p", "x", "--backend", "ts", "--weights-dtype", "fp16"), (e: { stderr: string }) => /--weights-dtype fp16: backend "ts"/.test(e.stderr));
  });

  it("bench shares the flags (one parser)", async () => {
    const { stdout } = await sdts("bench", "--help");
    assert.match(stdout, /--precision <p>/);
    assert.match(stdout, /--weights-dtype <dtype>/);
  });

  it("run-case unet-tiny --backend native --weights-dtype fp16 ≈ fp32 storage within fp16 rounding (and is not identical)", async (t) => {
    if (!needNative(t)) return;
    const caseDir = dirname(fixturePath("unet-tiny", "case.json"));
    const out32 = join(tmp, "fp32.safetensors"), out16 = join(tmp, "fp16.safetensors");
    await sdts("run-case", caseDir, "--out", out32, "--backend", "native");
    await sdts("run-case", caseDir, "--out", out16, "--backend", "native", "--weights-dtype", "fp16");
    const f32 = SafetensorsFile.open(out32), f16 = SafetensorsFile.open(out16);
    try {
      for (const key of readExpected("unet-tiny").keys()) {
        if (key.startsWith("trace.")) continue;
        const a = f32.readF32(key), b = f16.readF32(key);
        let maxDiff = 0, scale = 0;
        for (let i = 0; i < a.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
          scale = Math.max(scale, Math.abs(a[i]!));
        }
        // fp16 keeps 11 significant bits (relative rounding ≤ 2^-11 ≈ 4.9e-4 per weight); through the tiny
        // UNet's layers the output moves by a few of those, relative to the output's scale.
        assert.ok(maxDiff > 0, `${key}: fp16 storage gave bit-identical output — did --weights-dtype reach the backend?`);
        assert.ok(maxDiff <= 5e-3 * scale, `${key}: max |fp16 − fp32 storage| ${maxDiff} > 5e-3 × ${scale}`);
        t.diagnostic(`${key}: max diff ${maxDiff.toExponential(2)} (output scale ${scale.toFixed(3)}, ${(maxDiff / scale).toExponential(2)} relative)`);
      }
    } finally {
      f32.close();
      f16.close();
    }
  });
});
