// The CLI contract: `sdts run-case` writes the expected tensor names; `inspect` prints the tree and totals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SafetensorsFile } from "../src/weights/safetensors.js";
import { compare, fixturePath, readCase, readExpected, repoRoot } from "./helpers/fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "sdts-cli-"));
const sdts = (...args: string[]): string => execFileSync(process.execPath, [join(repoRoot, "bin", "sdts.js"), ...args], { cwd: repoRoot, encoding: "utf8" });

test("run-case unet-tiny --trace writes every expected key within tolerance", () => {
  const out = join(tmp, "tiny.safetensors");
  sdts("run-case", dirname(fixturePath("unet-tiny", "case.json")), "--out", out, "--trace", "--backend", "ts");
  const f = SafetensorsFile.open(out);
  const c = readCase("unet-tiny");
  for (const [key, exp] of readExpected("unet-tiny")) {
    assert.ok(f.has(key), `missing ${key}`);
    const r = compare(f.readF32(key), exp.data, key === "trace.t_emb" ? 1e-4 : c.tolerance.atol, key === "trace.t_emb" ? 0 : c.tolerance.rtol);
    assert.equal(r.violations, 0, `${key}: max diff ${r.maxAbs}`);
  }
  f.close();
});

test("run-case rejects an unknown kind, naming the supported ones", () => {
  const dir = mkdtempSync(join(tmp, "case-"));
  writeFileSync(join(dir, "case.json"), JSON.stringify({ kind: "flux_forward" }));
  assert.throws(() => execFileSync(process.execPath, [join(repoRoot, "bin", "sdts.js"), "run-case", dir, "--out", join(tmp, "x")], { encoding: "utf8", stdio: "pipe" }),
    (err: { stderr: string }) => /unsupported kind "flux_forward" \(supported: .*unet2d_condition_forward/.test(err.stderr));
});

test("inspect prints the SD1.5 UNet tree in PyTorch style with 859,520,964 parameters", () => {
  const cfg = join(tmp, "config.json");
  writeFileSync(cfg, JSON.stringify(readCase("unet-sd15-full").config));
  const text = sdts("inspect", cfg);
  assert.match(text, /\(conv_in\): Conv2d\(4, 320, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\)/);
  assert.match(text, /\(to_k\): Linear\(in_features=768, out_features=320, bias=False\)/);
  assert.match(text, /\(norm\): GroupNorm\(32, 320, eps=1e-06, affine=True\)/);
  assert.match(text, /Total parameters: 859,520,964/);
});

test("inspect on a safetensors file prints its tensor table", () => {
  const text = sdts("inspect", fixturePath("unet-tiny", "weights.safetensors"));
  assert.match(text, /conv_in\.weight\s+F32\s+\[32, 4, 3, 3\]/);
  assert.match(text, /304 tensors, 1,106,212 elements/);
});

test("trace prints every stage of the seed's walk", () => {
  const cfg = join(tmp, "tiny.json");
  writeFileSync(cfg, JSON.stringify(readCase("unet-tiny").config));
  const text = sdts("trace", cfg, "--latent", "8x12", "--batch", "2", "--backend", "ts");
  for (const stage of ["t_emb", "emb", "conv_in", "down_blocks.0.res_samples.2", "down_blocks.1.hidden_states", "mid_block", "up_blocks.1", "conv_norm_out", "output"]) {
    assert.match(text, new RegExp(`^${stage.replace(/\./g, "\\.")}\\s+\\[`, "m"), `stage ${stage} missing:\n${text}`);
  }
  assert.match(text, /output\s+\[2, 4, 8, 12\]/);
});
