// UNet configuration: SD1.5's config parses to the preset; architecture-changing values are rejected by name;
// the full SD1.5 module tree has diffusers' exact parameter names, shapes, order and count; bad inputs fail clearly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createBackend } from "../src/backend/index.js";
import { UNet2DConditionModel } from "../src/models/unet/UNet2DConditionModel.js";
import { parseUNetConfig, SD15_UNET_CONFIG } from "../src/models/unet/UNetConfig.js";
import { loadWeights } from "../src/weights/load.js";
import { SafetensorsSource, SyntheticSource } from "../src/weights/WeightSource.js";
import { writeSafetensors } from "../src/weights/safetensors.js";
import { fixturePath, readCase } from "./helpers/fixtures.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sd15Json = readCase("unet-sd15-full").config as Record<string, unknown>;

test("SD1.5's config.json parses to the SD15 preset", () => {
  assert.deepEqual(parseUNetConfig(sd15Json), SD15_UNET_CONFIG);
});

test("full SD1.5 UNet: params.json names, shapes, order and 859,520,964 parameters", () => {
  const params = JSON.parse(readFileSync(fixturePath("unet-sd15-full", "params.json"), "utf8")) as { num_parameters: number; params: Array<{ name: string; shape: number[] }> };
  const unet = new UNet2DConditionModel(SD15_UNET_CONFIG);
  const ours = unet.namedParameters().map(([name, shape]) => ({ name, shape: [...shape] }));
  assert.equal(ours.length, 686);
  assert.deepEqual(ours, params.params);
  assert.equal(unet.numParameters(), 859_520_964);
  assert.equal(params.num_parameters, 859_520_964);
});

const rejected: Array<[string, unknown]> = [
  ["use_linear_projection", true],
  ["class_embed_type", "timestep"],
  ["addition_embed_type", "text_time"],
  ["time_cond_proj_dim", 256],
  ["transformer_layers_per_block", 2],
  ["upcast_attention", true],
  ["only_cross_attention", true],
  ["dual_cross_attention", true],
  ["resnet_time_scale_shift", "scale_shift"],
  ["act_fn", "gelu"],
  ["mid_block_type", "UNetMidBlock2DSimpleCrossAttn"],
  ["conv_in_kernel", 7],
];
for (const [field, value] of rejected) {
  test(`config rejects ${field} = ${JSON.stringify(value)} by name`, () => {
    assert.throws(() => parseUNetConfig({ ...sd15Json, [field]: value }, "unet/config.json"), (err: Error) => {
      assert.match(err.message, new RegExp(`unet/config.json: unsupported "${field}": ${JSON.stringify(JSON.stringify(value)).slice(1, -1).replace(/[[\]]/g, "\\$&")}`));
      return true;
    });
  });
}

test("config rejects unknown fields and bad block types", () => {
  assert.throws(() => parseUNetConfig({ ...sd15Json, addition_flux: 1 }), /unknown field "addition_flux"/);
  assert.throws(() => parseUNetConfig({ ...sd15Json, down_block_types: ["SimpleCrossAttnDownBlock2D", "DownBlock2D", "DownBlock2D", "DownBlock2D"] }), /"down_block_types"/);
  assert.throws(() => parseUNetConfig({ ...sd15Json, _class_name: "UNet2DModel" }), /"_class_name" is "UNet2DModel"/);
});

const tinyJson = readCase("unet-tiny").config as Record<string, unknown>;

test("UNet input errors name the shapes", () => {
  const backend = createBackend("ts");
  const unet = new UNet2DConditionModel(parseUNetConfig(tinyJson));
  loadWeights(unet, new SyntheticSource(), backend);
  const ctx = backend.fromArray(new Float32Array(77 * 32), [1, 77, 32]);
  const x = (shape: number[]) => backend.fromArray(new Float32Array(shape.reduce((a, b) => a * b)), shape);
  assert.throws(() => unet.forward(x([1, 3, 8, 8]), 1, ctx), /sample \[1, 3, 8, 8\] should be \[B, 4, h, w\]/);
  assert.throws(() => unet.forward(x([1, 4, 9, 8]), 1, ctx), /latent size 9×8 must be a positive multiple of 2/);
  assert.throws(() => unet.forward(x([2, 4, 8, 8]), 1, ctx), /encoder_hidden_states \[1, 77, 32\] should be \[2, tokens, 32\]/);
  assert.throws(() => unet.forward(x([1, 4, 8, 8]), [1, 2, 3], ctx), /3 timesteps for a batch of 1/);
});

test("per-sample timesteps equal separate single-sample runs; non-square latents work", async () => {
  const backend = createBackend("ts");
  const unet = new UNet2DConditionModel(parseUNetConfig(tinyJson));
  loadWeights(unet, new SyntheticSource(), backend);
  const n = 4 * 8 * 12;
  const data = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i));
  const ctxData = Float32Array.from({ length: 2 * 77 * 32 }, (_, i) => Math.cos(i));
  const both = await unet.forward(backend.fromArray(data, [2, 4, 8, 12]), [10, 700], backend.fromArray(ctxData, [2, 77, 32])).toArray();
  for (const [row, t] of [[0, 10], [1, 700]] as const) {
    const one = await unet.forward(backend.fromArray(data.slice(row * n, (row + 1) * n), [1, 4, 8, 12]), t,
      backend.fromArray(ctxData.slice(row * 77 * 32, (row + 1) * 77 * 32), [1, 77, 32])).toArray();
    const part = both.subarray(row * n, (row + 1) * n);
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(part[i]! - one[i]!));
    assert.ok(max < 1e-5, `row ${row} (t=${t}) differs from its single run by ${max}`);
  }
});

test("loading names a missing, misshapen or unexpected tensor and the file", () => {
  const backend = createBackend("ts");
  const dir = mkdtempSync(join(tmpdir(), "sdts-w-"));
  const unet = new UNet2DConditionModel(parseUNetConfig(tinyJson));
  const all = unet.namedParameters();
  const write = (entries: Array<[string, readonly number[]]>, extra: Record<string, number[]> = {}) => {
    const path = join(dir, `w${Math.random().toString(36).slice(2)}.safetensors`);
    const m = new Map(entries.map(([n, s]) => [n, { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)) }]));
    for (const [n, s] of Object.entries(extra)) m.set(n, { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)) });
    return path && (writeSafetensors(path, m), path);
  };
  const missing = write(all.filter(([n]) => n !== "conv_in.bias"));
  assert.throws(() => loadWeights(new UNet2DConditionModel(parseUNetConfig(tinyJson)), SafetensorsSource.open(missing), backend),
    new RegExp(`${missing}: missing tensor conv_in.bias \\[32\\]`));
  const bad = write(all.map(([n, s]) => [n, n === "conv_out.weight" ? [4, 32, 1, 1] : s]));
  assert.throws(() => loadWeights(new UNet2DConditionModel(parseUNetConfig(tinyJson)), SafetensorsSource.open(bad), backend),
    /tensor "conv_out.weight" has shape \[4, 32, 1, 1\], expected \[4, 32, 3, 3\]/);
  const extra = write(all, { "class_embedding.weight": [4] });
  assert.throws(() => loadWeights(new UNet2DConditionModel(parseUNetConfig(tinyJson)), SafetensorsSource.open(extra), backend),
    /unexpected tensor class_embedding.weight/);
});
