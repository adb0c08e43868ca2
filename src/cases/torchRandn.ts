// Runner for kind `torch-randn` (../shared/fixtures/torch-randn/case.json): for each entry of `cases[]`,
// g = TorchGenerator(seed) then its `calls[]` in order on that same generator (`randn` or `rand`), one output
// tensor per call under the call's `name`. The seed is read from `seed_str` (seeds ≥ 2^53 do not survive
// JSON.parse) and falls back to `seed`.
import { TorchGenerator, type TorchSeed } from "../random/TorchGenerator.js";
import type { CaseRunner, CaseTensor } from "./types.js";

function fail(caseDir: string, what: string): never {
  throw new Error(`${caseDir}/case.json: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const runTorchRandnCase: CaseRunner = async (caseDir, caseJson) => {
  const cases = caseJson.cases;
  if (!Array.isArray(cases)) fail(caseDir, `expected "cases" to be an array`);
  const tensors = new Map<string, CaseTensor>();
  cases.forEach((c: unknown, ci: number) => {
    if (!isRecord(c)) fail(caseDir, `cases[${ci}] is not an object`);
    let seed: TorchSeed;
    if (typeof c.seed_str === "string") seed = c.seed_str;
    else if (typeof c.seed === "number") seed = c.seed;
    else fail(caseDir, `cases[${ci}] needs "seed_str" (decimal string) or "seed" (number)`);
    const g = new TorchGenerator(seed);
    if (!Array.isArray(c.calls)) fail(caseDir, `cases[${ci}].calls is not an array`);
    c.calls.forEach((call: unknown, k: number) => {
      const where = `cases[${ci}].calls[${k}]`;
      if (!isRecord(call)) fail(caseDir, `${where} is not an object`);
      const { fn, shape, name } = call;
      if (typeof name !== "string") fail(caseDir, `${where}.name must be a string`);
      if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
        fail(caseDir, `${where} ("${name}").shape must be an array of non-negative integers`);
      }
      const dims = shape as number[];
      let data: Float32Array;
      if (fn === "randn") data = g.randn(dims);
      else if (fn === "rand") data = g.rand(dims);
      else fail(caseDir, `${where} ("${name}").fn is ${JSON.stringify(fn)}, expected "randn" or "rand"`);
      if (tensors.has(name)) fail(caseDir, `${where}: duplicate output name "${name}"`);
      tensors.set(name, { shape: [...dims], data });
    });
  });
  return { type: "tensors", tensors };
};
