// The VAE (diffusers AutoencoderKL) against ../shared/fixtures/vae-mini (decode, encode, traces), plus its
// parameter layout, config validation, size checks, the SD1.5 parameter count and the pixel conversions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createBackend } from "../src/backend/index.js";
import { runAutoencoderKlCase } from "../src/cases/autoencoderKl.js";
import { AutoencoderKL } from "../src/models/vae/AutoencoderKL.js";
import { ConfigError, parseAutoencoderKLConfig, SD15_VAE_CONFIG } from "../src/models/vae/AutoencoderKLConfig.js";
import { DiagonalGaussianDistribution } from "../src/models/vae/DiagonalGaussianDistribution.js";
import { imageFromDecoded, imageToInput, toByte } from "../src/models/vae/imageConversion.js";
import { loadVae } from "../src/models/vae/loadVae.js";
import { ShapeError } from "../src/tensor/Tensor.js";
import { loadWeights } from "../src/weights/load.js";
import { SafetensorsFile } from "../src/weights/safetensors.js";
import { SafetensorsSource } from "../src/weights/WeightSource.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

const backend = createBackend("ts");
const f32 = Math.fround;

function vaeMiniConfigJson(): Record<string, unknown> {
  return structuredClone(readCase("vae-mini").config) as Record<string, unknown>;
}

/** The vae-mini model with its weights.safetensors loaded. */
function loadVaeMini(): AutoencoderKL {
  const vae = new AutoencoderKL(parseAutoencoderKLConfig(vaeMiniConfigJson()));
  const source = SafetensorsSource.open(fixturePath("vae-mini", "weights.safetensors"));
  try {
    loadWeights(vae, source, backend);
  } finally {
    source.file.close();
  }
  return vae;
}

test("vae-mini: decode, encode and every trace key equal diffusers", async () => {
  const c = readCase("vae-mini");
  const res = await runAutoencoderKlCase(dirname(fixturePath("vae-mini", "case.json")), c, { trace: true, backend });
  assert.equal(res.type, "tensors");
  if (res.type !== "tensors") return;
  const expected = readExpected("vae-mini");
  assert.deepEqual([...expected.keys()].sort(), Object.keys(c.expected_index).sort(), "expected.safetensors and expected_index disagree");
  const report: string[] = [];
  for (const [key, exp] of expected) {
    const got = res.tensors.get(key);
    assert.ok(got, `vae-mini: no output for expected key ${key}`);
    const tol = key.startsWith("encode.") ? c.tolerance_encode : c.tolerance;
    const maxAbs = assertClose(`vae-mini ${key}`, got.data, got.shape, exp, tol.atol, tol.rtol);
    report.push(`${key} ${maxAbs.toExponential(2)}`);
  }
  // z = latents / 0.18215 is one float32 division per element, exactly as torch computes it.
  const z = res.tensors.get("decode.z")!;
  assert.deepEqual([...z.data], [...expected.get("decode.z")!.data], "decode.z must be bit-identical (float32 division)");
  console.log(`vae-mini max |diff|: ${report.join(", ")}`);
});

test("vae-mini: non-square sizes (single-file-tiny's VAE inputs; latents 8×6, image 40×56 → latents 5×7)", async () => {
  const c = readCase("single-file-tiny");
  const inputs = SafetensorsFile.open(fixturePath("single-file-tiny", "inputs.safetensors"));
  const latents = backend.fromArray(inputs.readF32("vae.latents"), inputs.info("vae.latents").shape);
  const image = backend.fromArray(inputs.readF32("vae.image"), inputs.info("vae.image").shape);
  inputs.close();
  const expected = readExpected("single-file-tiny");
  const vae = loadVaeMini();
  const { atol, rtol } = c.tolerance_vae;
  const z = await vae.unscaleLatents(latents);
  assertClose("vae.decode.z", await z.toArray(), z.shape, expected.get("vae.decode.z")!, 0, 0);
  const sample = vae.decode(z);
  const e1 = assertClose("vae.decode.sample", await sample.toArray(), sample.shape, expected.get("vae.decode.sample")!, atol, rtol);
  const dist = await vae.encode(image);
  const e2 = assertClose("vae.encode.mean", await dist.mean.toArray(), dist.mean.shape, expected.get("vae.encode.mean")!, atol, rtol);
  const e3 = assertClose("vae.encode.logvar", await dist.logvar.toArray(), dist.logvar.shape, expected.get("vae.encode.logvar")!, atol, rtol);
  console.log(`single-file-tiny VAE max |diff|: decode.sample ${e1.toExponential(2)}, encode.mean ${e2.toExponential(2)}, encode.logvar ${e3.toExponential(2)}`);
});

test("vae-mini: parameter names, shapes and order equal weights.safetensors; count equals case.json", () => {
  const c = readCase("vae-mini");
  const vae = new AutoencoderKL(parseAutoencoderKLConfig(c.config));
  const file = SafetensorsFile.open(fixturePath("vae-mini", "weights.safetensors"));
  const stored = file.infos().map((i) => [i.name, [...i.shape]]);
  file.close();
  assert.deepEqual(vae.namedParameters().map(([n, s]) => [n, [...s]]), stored);
  assert.equal(vae.numParameters(), c.num_parameters);
});

test("SD1.5 VAE: 83,653,863 parameters in 248 tensors, spatial scale 8", () => {
  const vae = new AutoencoderKL(SD15_VAE_CONFIG);
  assert.equal(vae.numParameters(), 83_653_863);
  assert.equal(vae.namedParameters().length, 248);
  assert.equal(vae.spatialScale, 8);
  // SD1.5's vae/config.json parses to the preset.
  const json = { ...vaeMiniConfigJson(), block_out_channels: [128, 256, 512, 512], sample_size: 512 };
  assert.deepEqual(parseAutoencoderKLConfig(json), { ...SD15_VAE_CONFIG, blockOutChannels: [...SD15_VAE_CONFIG.blockOutChannels] });
});

test("VAE config: unsupported architecture values are rejected naming the field and value", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ down_block_types: ["DownEncoderBlock2D", "AttnDownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"] }, /"down_block_types"\[1\]: "AttnDownEncoderBlock2D"/],
    [{ up_block_types: ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "AttnUpDecoderBlock2D"] }, /"up_block_types"\[3\]: "AttnUpDecoderBlock2D"/],
    [{ down_block_types: ["DownEncoderBlock2D"] }, /"down_block_types" is \["DownEncoderBlock2D"\], expected a list of 4/],
    [{ act_fn: "gelu" }, /"act_fn": "gelu"/],
    [{ use_quant_conv: false }, /"use_quant_conv": false/],
    [{ use_post_quant_conv: false }, /"use_post_quant_conv": false/],
    [{ mid_block_add_attention: false }, /"mid_block_add_attention": false/],
    [{ shift_factor: 0.1159 }, /"shift_factor": 0.1159/],
    [{ latents_mean: [0, 0, 0, 0] }, /"latents_mean": \[0,0,0,0\]/],
    [{ latents_std: [1, 1, 1, 1] }, /"latents_std": \[1,1,1,1\]/],
    [{ _class_name: "AutoencoderTiny" }, /"_class_name" is "AutoencoderTiny"/],
    [{ norm_num_groups: 24 }, /block_out_channels\[0\] = 32 is not divisible by norm_num_groups 24/],
    [{ scaling_factor: -1 }, /"scaling_factor" is -1/],
    [{ latent_channels: 0 }, /"latent_channels" is 0/],
    [{ use_tiling: true }, /unknown field "use_tiling"/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => parseAutoencoderKLConfig({ ...vaeMiniConfigJson(), ...patch }, "vae/config.json"),
      (e: unknown) => e instanceof ConfigError && message.test(e.message) && e.message.startsWith("vae/config.json: "),
      `patch ${JSON.stringify(patch)} should be rejected with ${message}`);
  }
  // Accepted: force_upcast either way, SDXL-style scaling factor, unknown bookkeeping fields, a [h, w] sample size.
  const ok = parseAutoencoderKLConfig({ ...vaeMiniConfigJson(), force_upcast: false, scaling_factor: 0.13025, _name_or_path: "x", sample_size: [64, 48] });
  assert.equal(ok.forceUpcast, false);
  assert.equal(ok.scalingFactor, 0.13025);
  assert.deepEqual(ok.sampleSize, [64, 48]);
});

test("VAE: encoder needs H, W divisible by 2^(levels−1); decoder takes any latent size", async () => {
  const vae = loadVaeMini(); // 4 levels: multiples of 8
  const image = (h: number, w: number) => backend.fromArray(new Float32Array(3 * h * w), [1, 3, h, w]);
  await assert.rejects(vae.encode(image(60, 64)), (e: unknown) => e instanceof ShapeError && /60×64 .*multiple of 8/.test(e.message));
  await assert.rejects(vae.encode(image(64, 12)), (e: unknown) => e instanceof ShapeError && /64×12 .*multiple of 8/.test(e.message));
  await assert.rejects(vae.encode(backend.fromArray(new Float32Array(4 * 64), [1, 4, 8, 8])), (e: unknown) => e instanceof ShapeError && /\[B, 3, H, W\]/.test(e.message));
  assert.throws(() => vae.decode(backend.fromArray(new Float32Array(3 * 4), [1, 3, 2, 2])), (e: unknown) => e instanceof ShapeError && /\[B, 4, h, w\]/.test(e.message));
  const out = vae.decode(backend.fromArray(new Float32Array(4 * 3 * 5).fill(0.1), [1, 4, 3, 5]));
  assert.deepEqual([...out.shape], [1, 3, 24, 40]);
});

test("DiagonalGaussianDistribution: chunk per batch entry, logvar clamped to [-30, 20], sample = mean + std·noise", async () => {
  // moments [2, 2, 1, 2]: per batch entry, channel 0 = mean, channel 1 = logvar.
  const moments = backend.fromArray(Float32Array.from([1, 2, 25, -40, 3, 4, 0, 1]), [2, 2, 1, 2]);
  const d = await DiagonalGaussianDistribution.fromMoments(moments);
  assert.deepEqual([...(await d.mean.toArray())], [1, 2, 3, 4]);
  assert.deepEqual([...(await d.logvar.toArray())], [20, -30, 0, 1]);
  const std = [f32(Math.exp(10)), f32(Math.exp(-15)), 1, f32(Math.exp(0.5))];
  assert.deepEqual([...(await d.std.toArray())], std);
  const noise = Float32Array.from([0.5, -1, 2, 0.25]);
  const expectedSample = [0, 1, 2, 3].map((i) => f32([1, 2, 3, 4][i]! + f32(std[i]! * noise[i]!)));
  assert.deepEqual([...(await d.sample(noise).toArray())], expectedSample);
  assert.throws(() => d.sample(new Float32Array(3)), ShapeError);
  assert.equal(d.mode(), d.mean);
});

test("image conversion: bytes ↔ [-1, 1] as diffusers' VaeImageProcessor", async () => {
  // Input: 2·float32(b/255) − 1, planar [1, 3, H, W] from interleaved RGB(A).
  const rgba = Uint8Array.from([0, 128, 255, 7, 10, 20, 30, 40]); // 2×1 RGBA
  const x = imageToInput(rgba, 2, 1, backend, 4);
  assert.deepEqual([...x.shape], [1, 3, 1, 2]);
  const v = (b: number) => f32(2 * f32(b / 255) - 1);
  assert.deepEqual([...(await x.toArray())], [v(0), v(10), v(128), v(20), v(255), v(30)]);
  assert.equal(v(0), -1);
  assert.equal(v(255), 1);
  assert.throws(() => imageToInput(rgba, 3, 1, backend, 4), ShapeError);

  // Output: round-half-even of float32(v·255), clamped first; HWC interleaved.
  assert.equal(toByte(0), 0);
  assert.equal(toByte(1), 255);
  let halfwaysChecked = 0;
  for (let k = 0; k < 255; k++) {
    const h = f32((k + 0.5) / 255);
    if (f32(h * 255) !== k + 0.5) continue; // exact halfway after the float32 product
    assert.equal(toByte(h), k % 2 === 0 ? k : k + 1, `halfway ${k + 0.5} rounds to even`);
    halfwaysChecked++;
  }
  assert.ok(halfwaysChecked > 10, `only ${halfwaysChecked} exact halfway values found`);
  const sample = backend.fromArray(Float32Array.from([-1, 1, 0, 3, -3, 0.5]), [1, 3, 1, 2]); // R, G, B planes
  const [img] = await imageFromDecoded(sample);
  assert.equal(img!.width, 2);
  assert.equal(img!.height, 1);
  // pixel 0: R=-1→0, G=0→0.5→127.5→128, B=-3→0; pixel 1: R=1→255, G=3→255, B=0.5→0.75→191.25→191
  assert.deepEqual([...img!.data], [0, 128, 0, 255, 255, 191]);
});

test("loadVae: reads a diffusers folder, names missing files", () => {
  const dir = mkdtempSync(join(tmpdir(), "sdts-vae-"));
  try {
    assert.throws(() => loadVae(dir, backend), /config file .*vae\/config\.json does not exist/);
    mkdirSync(join(dir, "vae"));
    writeFileSync(join(dir, "vae", "config.json"), JSON.stringify(vaeMiniConfigJson()));
    assert.throws(() => loadVae(dir, backend), /neither .*diffusion_pytorch_model\.safetensors nor .*diffusion_pytorch_model\.fp16\.safetensors exists/);
    assert.throws(() => loadVae(dir, backend, { variant: "fp16" }), /fp16 variant requested but .*diffusion_pytorch_model\.fp16\.safetensors does not exist/);
    symlinkSync(fixturePath("vae-mini", "weights.safetensors"), join(dir, "vae", "diffusion_pytorch_model.safetensors"));
    let count = 0;
    const vae = loadVae(dir, backend, { onTensor: () => count++ });
    assert.equal(count, vae.namedParameters().length);
    assert.equal(vae.config.scalingFactor, 0.18215);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
