// PyTorch CPU generator: every call of the torch-randn fixture must equal expected.safetensors bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixturePath, readCase, readExpected } from "./helpers/fixtures.js";
import { runTorchRandnCase } from "../src/cases/torchRandn.js";
import { TorchGenerator, parseTorchSeed } from "../src/random/TorchGenerator.js";
import { fma32 } from "../src/random/fma32.js";
import { createBackend } from "../src/backend/index.js";
import { dirname } from "node:path";

/** Asserts identical float32 bit patterns; names the first differing element. */
function assertBitExact(name: string, got: Float32Array, expected: Float32Array): void {
  assert.equal(got.length, expected.length, `${name}: ${got.length} elements != expected ${expected.length}`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < e.length; i++) {
    if (g[i] !== e[i]) {
      assert.fail(
        `${name}: element ${i} differs: got ${got[i]} (0x${g[i]!.toString(16).padStart(8, "0")}), ` +
          `expected ${expected[i]} (0x${e[i]!.toString(16).padStart(8, "0")})`,
      );
    }
  }
}

test("torch-randn fixture: every call bit-exact via the case runner", async () => {
  const caseJson = readCase("torch-randn");
  const expected = readExpected("torch-randn");
  const caseDir = dirname(fixturePath("torch-randn", "case.json"));
  const result = await runTorchRandnCase(caseDir, caseJson, { trace: false, backend: createBackend() });
  assert.equal(result.type, "tensors");
  if (result.type !== "tensors") return;
  let calls = 0;
  let elements = 0;
  for (const c of caseJson.cases as { calls: { name: string; shape: number[] }[] }[]) {
    for (const call of c.calls) {
      const exp = expected.get(call.name);
      assert.ok(exp, `expected.safetensors has no tensor "${call.name}"`);
      const got = result.tensors.get(call.name);
      assert.ok(got, `runner produced no tensor "${call.name}"`);
      assert.deepEqual([...got.shape], [...exp.shape], `${call.name}: shape`);
      assertBitExact(call.name, got.data, exp.data);
      calls++;
      elements += exp.data.length;
    }
  }
  assert.equal(result.tensors.size, calls, "runner produced tensors not listed in case.json");
  // Every stored tensor was checked (also guards against an empty or truncated case.json).
  assert.equal(calls, expected.size, `checked ${calls} calls but expected.safetensors holds ${expected.size} tensors`);
  assert.ok(elements > 200_000, `fixture unexpectedly small: ${elements} elements`);
});

test("seeds: string / bigint / number equivalence, low 32 bits only", () => {
  const a = new TorchGenerator(42).randn([20]);
  assert.deepEqual(new TorchGenerator("42").randn([20]), a);
  assert.deepEqual(new TorchGenerator(42n).randn([20]), a);
  assert.deepEqual(new TorchGenerator(2 ** 32 + 5).randn([7]), new TorchGenerator(5).randn([7]));
  assert.deepEqual(new TorchGenerator("18446744073709551615").rand([5]), new TorchGenerator(0xffffffff).rand([5]));
  assert.equal(parseTorchSeed("18446744073709551615"), (1n << 64n) - 1n);
});

test("seeds: invalid values are rejected", () => {
  for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 64, -1n, 1n << 64n, "18446744073709551616", "-3", "1e3", "0x10", "", "abc"]) {
    assert.throws(() => new TorchGenerator(bad), /torch seed: expected/, `seed ${String(bad)} should be rejected`);
  }
});

test("manualSeed resets the stream and the normal cache", () => {
  const g = new TorchGenerator(7);
  const first = g.randn([3]); // odd count: leaves a cached value
  g.manualSeed(7);
  assert.deepEqual(g.randn([3]), first);
});

test("fma32 rounds once (double sum lands on a float32 midpoint, true sum does not)", () => {
  // x·y = 2^-17 − 2^-63 exactly; all inputs are float32. Near 128 the float32 ulp is 2^-16, the double ulp 2^-45,
  // so the double sum drops the 2^-63 and sits exactly on a midpoint, where ties-to-even would go the wrong way.
  const x = Math.fround(2 ** -17 * (1 + 2 ** -23));
  const y = Math.fround(1 - 2 ** -23);
  const ulp = 2 ** -16;
  assert.equal(fma32(x, y, 128 + ulp), 128 + ulp); // true sum just below the midpoint: round down
  assert.equal(fma32(-x, y, 128 + 3 * ulp), 128 + 3 * ulp); // true −(...) + c just above the midpoint: round up
  assert.equal(Math.fround(x * y + (128 + ulp)), 128 + 2 * ulp); // what double rounding would give
  assert.equal(fma32(2 ** -12, 2 ** -12, 1), 1); // exact tie → even
  assert.equal(fma32(3, 5, 7), 22);
});

test("a 1x4x64x64 randn takes well under 50 ms", () => {
  const g = new TorchGenerator(0);
  g.randn([1, 4, 64, 64]); // warm-up (JIT)
  const t0 = performance.now();
  g.randn([1, 4, 64, 64]);
  const ms = performance.now() - t0;
  assert.ok(ms < 50, `randn([1,4,64,64]) took ${ms.toFixed(1)} ms`);
});
