// Test helpers: locate ../shared/fixtures (fail loudly when it is missing) and compare tensors with the
// fixture rule |got − expected| ≤ atol + rtol·|expected|.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { SafetensorsFile } from "../../src/weights/safetensors.js";

/** The repository root (the folder holding package.json), found from this compiled file's location. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (package.json)");
    dir = up;
  }
  return dir;
})();

/** `../shared/fixtures` beside the clone, or $SDTS_FIXTURES. Missing fixtures are an error, never a skip. */
export const fixturesDir: string = (() => {
  const dir = process.env.SDTS_FIXTURES ? resolve(process.env.SDTS_FIXTURES) : resolve(repoRoot, "..", "shared", "fixtures");
  if (!existsSync(join(dir, "README.md"))) {
    throw new Error(`reference fixtures not found at ${dir}: tests need ../shared/fixtures beside the repository (or SDTS_FIXTURES)`);
  }
  return dir;
})();

export function fixturePath(...parts: string[]): string {
  const p = join(fixturesDir, ...parts);
  if (!existsSync(p)) throw new Error(`missing fixture file ${p}`);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readCase(name: string): any {
  return JSON.parse(readFileSync(fixturePath(name, "case.json"), "utf8"));
}

export interface Expected {
  shape: readonly number[];
  data: Float32Array;
}

export function readExpected(caseName: string, file = "expected.safetensors"): Map<string, Expected> {
  const f = SafetensorsFile.open(fixturePath(caseName, file));
  const out = new Map<string, Expected>();
  for (const info of f.infos()) {
    if (info.dtype === "F32" || info.dtype === "F64") out.set(info.name, { shape: info.shape, data: f.readF32(info.name) });
  }
  f.close();
  return out;
}

export interface CloseReport {
  maxAbs: number;
  worstIndex: number;
  violations: number;
}

export function compare(got: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): CloseReport {
  let maxAbs = 0;
  let worstIndex = -1;
  let violations = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i]! - expected[i]!);
    if (!(d <= atol + rtol * Math.abs(expected[i]!))) violations++;
    if (!(d <= maxAbs)) {
      maxAbs = d;
      worstIndex = i;
    }
  }
  return { maxAbs, worstIndex, violations };
}

/** Assert allclose with a message naming the tensor, the worst element and the max error. */
export function assertClose(name: string, got: ArrayLike<number>, gotShape: readonly number[], exp: Expected, atol: number, rtol: number): number {
  assert.deepEqual([...gotShape], [...exp.shape], `${name}: shape [${gotShape.join(", ")}] != expected [${exp.shape.join(", ")}]`);
  assert.equal(got.length, exp.data.length, `${name}: ${got.length} elements != expected ${exp.data.length}`);
  const r = compare(got, exp.data, atol, rtol);
  assert.equal(
    r.violations,
    0,
    `${name}: ${r.violations} elements outside atol ${atol} + rtol ${rtol}; max |diff| ${r.maxAbs.toExponential(3)} at index ${r.worstIndex} (got ${got[r.worstIndex]}, expected ${exp.data[r.worstIndex]})`,
  );
  return r.maxAbs;
}
