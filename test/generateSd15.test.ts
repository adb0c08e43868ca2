// `sdts generate` at full SD1.5 scale: a diffusers folder with the real configs and tokenizer and synthetic fp16
// weights that the test writes (1.07 G parameters, 2.1 GB), then the same tensors as an LDM single file (the
// `v1-5-pruned-emaonly.safetensors` layout, tokenizer from sdts's bundled OpenAI vocabulary, SD1.5 configs and
// scheduler built in). Smallest size: 64×64 pixels = 8×8 latents, one PLMS step with guidance (UNet batch 2).
// Both must load and run, and give the same pixels.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { PNG } from "pngjs";
import { readPngText } from "../src/image/png.js";
import { repoRoot } from "./helpers/fixtures.js";
import { diffusersFolderToSingleFile, writeSyntheticSd15Folder } from "./helpers/syntheticSd15Folder.js";

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "sdts-sd15-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PROMPT = "a photograph of an astronaut riding a horse";

async function generate(model: string, out: string, ...extra: string[]): Promise<{ stdout: string; seconds: number; png: PNG; text: string | undefined }> {
  const t = performance.now();
  const { stdout } = await run(
    process.execPath,
    [join(repoRoot, "bin", "sdts.js"), "generate", "--model", model, "-p", PROMPT, "-W", "64", "-H", "64", "--steps", "1", "--seed", "42", "-o", out, "--backend", "ts", ...extra],
    { cwd: tmp, maxBuffer: 1 << 20 },
  );
  const bytes = readFileSync(out);
  return { stdout, seconds: (performance.now() - t) / 1000, png: PNG.sync.read(bytes), text: readPngText(bytes).get("parameters") };
}

test("generate with a full-size SD1.5 diffusers folder and the same weights as a single file (synthetic fp16), 64×64, 1 step", async (t) => {
  const folder = join(tmp, "sd15-synthetic");
  let t0 = performance.now();
  writeSyntheticSd15Folder(folder, "F16");
  t.diagnostic(`writing the diffusers folder: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const unetBytes = statSync(join(folder, "unet", "diffusion_pytorch_model.fp16.safetensors")).size;
  assert.ok(unetBytes > 2 * 859_520_964 && unetBytes < 2 * 859_520_964 + 200_000, `UNet file is ${unetBytes} bytes`);

  const a = await generate(folder, join(tmp, "folder.png"), "--variant", "fp16");
  t.diagnostic(`generate (diffusers folder): ${a.seconds.toFixed(1)} s`);
  assert.match(a.stdout, /wrote .*folder\.png \(64×64, txt2img, seed 42, 1 steps, PLMS, model sd15-synthetic/);
  assert.doesNotMatch(a.stdout, /demo model/);
  assert.equal(a.png.width, 64);
  assert.equal(a.png.height, 64);
  assert.equal(a.text, `${PROMPT}\nSteps: 1, Sampler: PLMS, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: ${basename(folder)}`);
  // Synthetic weights draw no picture, but the decoded image must not be degenerate (one value, or NaN → 0).
  const distinct = new Set<number>();
  for (let p = 0; p < 64 * 64; p++) distinct.add(a.png.data[p * 4]!);
  assert.ok(distinct.size > 16, `only ${distinct.size} distinct red values`);

  const single = join(tmp, "v1-5-synthetic.safetensors");
  t0 = performance.now();
  diffusersFolderToSingleFile(folder, single);
  t.diagnostic(`writing the single file: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  rmSync(folder, { recursive: true, force: true }); // free 2 GB of disk before the second run
  const b = await generate(single, join(tmp, "single.png"));
  t.diagnostic(`generate (single file): ${b.seconds.toFixed(1)} s`);
  assert.match(b.stdout, /wrote .*single\.png \(64×64, txt2img, seed 42, 1 steps, PLMS, model v1-5-synthetic/);
  assert.equal(b.text, `${PROMPT}\nSteps: 1, Sampler: PLMS, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: v1-5-synthetic`);
  assert.ok(a.png.data.equals(b.png.data), "the single file gives other pixels than the diffusers folder with the same weights");
});
