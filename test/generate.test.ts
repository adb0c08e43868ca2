// `sdts generate` and the StableDiffusionPipeline on the built-in demo model: the CLI writes a valid PNG with
// A1111 generation info; the pipeline equals the composition of the separately verified parts (tokenizer → text
// encoder → torch-exact latents → denoising loop → VAE decode) bit for bit, for txt2img and img2img; seeds
// reproduce; errors name what is wrong. Also: the SD1.5 tokenizer sdts builds from OpenAI's BPE file equals the
// vocab.json/merges.txt one on every fixture prompt, and the PNG text-chunk writer/reader.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { PNG } from "pngjs";
import { createBackend } from "../src/backend/index.js";
import { outputPaths } from "../src/cli/generate.js";
import { crc32, decodePng, encodePng, pngChunks, readPngText, textChunk } from "../src/image/png.js";
import { CLIPTokenizer } from "../src/models/clip/CLIPTokenizer.js";
import { tokenizerFromOpenAIBpeFile } from "../src/models/clip/openaiBpeVocab.js";
import { imageFromDecoded, imageToInput, type RgbImage } from "../src/models/vae/imageConversion.js";
import { assetPath, CLIP_BPE_VOCAB_ASSET } from "../src/pipeline/assets.js";
import { DEMO_MERGES, DEMO_VOCAB_SIZE, openDemoModel } from "../src/pipeline/demoModel.js";
import { denoise } from "../src/pipeline/denoise.js";
import { formatGenerationParameters } from "../src/pipeline/generationParameters.js";
import { loadPipeline, openModel } from "../src/pipeline/loadPipeline.js";
import { StableDiffusionPipeline } from "../src/pipeline/StableDiffusionPipeline.js";
import { TorchGenerator } from "../src/random/TorchGenerator.js";
import { createScheduler } from "../src/schedulers/index.js";
import type { HostTensor } from "../src/schedulers/Scheduler.js";
import { concat } from "../src/tensor/ops.js";
import { fixturePath, readCase, repoRoot } from "./helpers/fixtures.js";

const run = promisify(execFile);
const backend = createBackend("ts");
/** 64×64 pixels = 8×8 latents: the demo's smallest size (a multiple of 16), to keep these tests fast. */
const SMALL = { width: 64, height: 64 } as const;
const tmp = mkdtempSync(join(tmpdir(), "sdts-generate-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `node bin/sdts.js generate …` → { code, stdout, stderr } (no throw on failure). */
async function sdts(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, "bin", "sdts.js"), "generate", ...args], {
      cwd: tmp,
      env: { ...process.env, SDTS_BACKEND: "ts" },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** A smooth 128×128 RGB test picture. */
function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = Math.round((255 * x) / (width - 1));
      data[p + 1] = Math.round((255 * y) / (height - 1));
      data[p + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return { width, height, data };
}

describe("sdts generate (demo model)", () => {
  it("writes a 128×128 PNG with the A1111 `parameters` chunk, pixels equal to the pipeline API", async () => {
    const out = join(tmp, "cat.png");
    const r = await sdts("-p", "a cat", "-o", out, "--steps", "2", "--seed", "42");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote .*cat\.png \(128×128, txt2img, seed 42, 2 steps, PLMS, model sdts-demo/);
    assert.match(r.stdout, /built-in demo model .*abstract noise/);
    const bytes = readFileSync(out);
    const png = PNG.sync.read(bytes); // pngjs itself accepts the file (CRCs, IDAT)
    assert.equal(png.width, 128);
    assert.equal(png.height, 128);
    const text = readPngText(bytes);
    assert.equal(text.get("parameters"), "a cat\nSteps: 2, Sampler: PLMS, CFG scale: 7.5, Seed: 42, Size: 128x128, Model: sdts-demo");
    assert.equal(pngChunks(bytes)[1]!.type, "tEXt", "the text chunk follows IHDR");

    const pipe = loadPipeline(undefined, backend);
    const res = await pipe.generate({ prompt: "a cat", steps: 2, seed: 42 });
    const rgba = decodePng(bytes);
    const rgb = new Uint8Array(128 * 128 * 3);
    for (let p = 0; p < 128 * 128; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = rgba.data[p * 4 + c]!;
    assert.ok(sameBytes(rgb, res.images[0]!.data), "CLI pixels differ from StableDiffusionPipeline.generate");
  });

  it("--batch-count 2 writes out.png and out-1.png with batch size/pos; a negative prompt and clip skip are recorded", async () => {
    const out = join(tmp, "batch.png");
    const r = await sdts("-p", "a dog", "-n", "blurry", "-o", out, "--steps", "1", "--seed", "7", "-b", "2", "--clip-skip", "2", "--sampler", "euler_a", "-W", "64", "-H", "64");
    assert.equal(r.code, 0, r.stderr);
    const [a, b] = outputPaths(out, 2);
    assert.equal(b, join(tmp, "batch-1.png"));
    const ta = readPngText(readFileSync(a!)).get("parameters");
    const tb = readPngText(readFileSync(b!)).get("parameters");
    const common = "a dog\nNegative prompt: blurry\nSteps: 1, Sampler: Euler a, CFG scale: 7.5, Seed: 7, Size: 64x64, Model: sdts-demo, Clip skip: 2, Batch size: 2";
    assert.equal(ta, `${common}, Batch pos: 0`);
    assert.equal(tb, `${common}, Batch pos: 1`);
    assert.ok(!sameBytes(decodePng(readFileSync(a!)).data, decodePng(readFileSync(b!)).data), "the two images of a batch are different");
  });

  it("errors: size not divisible by 8 or by the UNet multiple, unknown sampler, unreadable init image, bad seed", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["-W", "100"], /width 100 is not divisible by 8 \(the VAE maps 8×8 pixels to one latent\)/],
      [["-H", "136"], /height 136 is not a multiple of 16 \(8 pixels per latent × 2\^1 for the UNet's 1 downsampler\); try 128 or 144/],
      [["--sampler", "heun"], /unknown sampler "heun" \(valid: pndm, plms, ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras, lms, lms_karras\)/],
      [["--init-img", join(tmp, "nope.png")], /--init-img: .*nope\.png does not exist/],
      [["--init-img", join(tmp, "fake.png")], /--init-img: .*fake\.png is not a PNG file/],
      [["--seed", "1.5"], /--seed must be an integer from 0 to 18446744073709551615/],
      [["--clip-skip", "3"], /--clip-skip must be an integer from 1 .* to 2 \(this text encoder has 2 layers\)/],
      [["--strength", "2", "--init-img", join(tmp, "fake.png")], /--strength must be between 0 and 1/],
      [["--model", join(tmp, "missing-model")], /model .*missing-model does not exist/],
    ];
    writeFileSync(join(tmp, "fake.png"), "GIF89a not a png");
    for (const [args, re] of cases) {
      const r = await sdts("-p", "x", "--steps", "1", "-o", join(tmp, "err.png"), ...args);
      assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
      assert.match(r.stderr, re, `${args.join(" ")}: stderr was ${JSON.stringify(r.stderr)}`);
    }
  });

  it("img2img: runs at the init image's size and records the strength; size mismatch and too-small strength are errors", async () => {
    const init = join(tmp, "init-96.png");
    writeFileSync(init, encodePng(gradient(96, 96)));
    const out = join(tmp, "i2i.png");
    let r = await sdts("-p", "a cat", "--steps", "4", "--seed", "9", "-o", out, "--init-img", init, "--strength", "0.5", "--sampler", "ddim");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote .*i2i\.png \(96×96, img2img, seed 9, 4 steps, DDIM/);
    assert.equal(readPngText(readFileSync(out)).get("parameters"),
      "a cat\nSteps: 4, Sampler: DDIM, CFG scale: 7.5, Seed: 9, Size: 96x96, Model: sdts-demo, Denoising strength: 0.5");
    assert.equal(decodePng(readFileSync(out)).width, 96);
    r = await sdts("-p", "x", "--steps", "2", "-o", join(tmp, "e.png"), "--init-img", init, "-W", "128");
    assert.match(r.stderr, /init image is 96×96 but 128×96 was asked for/);
    const odd = join(tmp, "init-120.png");
    writeFileSync(odd, encodePng(gradient(120, 120)));
    r = await sdts("-p", "x", "--steps", "2", "-o", join(tmp, "e.png"), "--init-img", odd);
    assert.match(r.stderr, /init image width 120 is not a multiple of 16 .*try 112 or 128/);
    r = await sdts("-p", "x", "--steps", "2", "-o", join(tmp, "e.png"), "--init-img", init, "--strength", "0.2");
    assert.match(r.stderr, /strength 0\.2 × 2 steps leaves no denoising step/);
  });
});

describe("diffusers folder: a missing part is named", () => {
  /** A folder with every file of an SD1.5 layout present (content irrelevant until a network loads). */
  function folder(name: string, omit: string): string {
    const dir = join(tmp, name);
    const files: Record<string, string> = {
      "model_index.json": JSON.stringify({ _class_name: "StableDiffusionPipeline" }),
      "scheduler/scheduler_config.json": "{}",
      "text_encoder/config.json": "{}",
      "text_encoder/model.safetensors": "",
      "unet/config.json": "{}",
      "unet/diffusion_pytorch_model.safetensors": "",
      "vae/config.json": "{}",
      "vae/diffusion_pytorch_model.safetensors": "",
    };
    for (const [rel, content] of Object.entries(files)) {
      if (rel === omit) continue;
      mkdirSync(join(dir, rel, ".."), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    mkdirSync(join(dir, "tokenizer"), { recursive: true });
    for (const f of ["vocab.json", "merges.txt"]) if (`tokenizer/${f}` !== omit) copyFileSync(fixturePath("clip-vocab", f), join(dir, "tokenizer", f));
    return dir;
  }

  for (const [omit, re] of [
    ["vae/diffusion_pytorch_model.safetensors", /VAE: neither .*vae\/diffusion_pytorch_model\.safetensors nor .*diffusion_pytorch_model\.fp16\.safetensors exists/],
    ["unet/diffusion_pytorch_model.safetensors", /unet: neither .*unet\/diffusion_pytorch_model\.safetensors nor/],
    ["text_encoder/model.safetensors", /text encoder: neither .*text_encoder\/model\.safetensors nor/],
    ["scheduler/scheduler_config.json", /missing scheduler config: .*scheduler\/scheduler_config\.json does not exist/],
    ["tokenizer/merges.txt", /missing tokenizer merges: .*tokenizer\/merges\.txt does not exist/],
    ["unet/config.json", /missing UNet config: .*unet\/config\.json does not exist/],
  ] as const) {
    it(`without ${omit}`, async () => {
      const dir = folder(`missing-${omit.replace(/\W/g, "_")}`, omit);
      assert.throws(() => openModel(dir), re);
      const r = await sdts("-p", "x", "--model", dir, "-o", join(tmp, "m.png"));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, re);
    });
  }
});

describe("StableDiffusionPipeline = the composition of the verified parts (demo model)", () => {
  const model = openDemoModel();
  const pipe = new StableDiffusionPipeline(model, backend, { keepModelsLoaded: true });

  /** tokenizer → text encoder → TorchGenerator latents → denoise → VAE decode, written out by hand. */
  async function reference(o: {
    prompt: string; negative: string; seed: number; steps: number; sampler: string; batch: number; guidance: number; clipSkip: number;
    init?: RgbImage; strength?: number;
  }): Promise<{ latents: HostTensor; images: RgbImage[]; timesteps: number[] }> {
    const te = model.loadTextEncoder(backend);
    const embed = (p: string, skip: number) => te.forward(Int32Array.from(model.tokenizer.encode(p).ids), 1, { clipSkip: skip }).lastHiddenState;
    const rep = (x: ReturnType<typeof embed>) => concat(Array.from({ length: o.batch }, () => x), 0);
    const prompt = rep(embed(o.prompt, o.clipSkip));
    const negative = rep(embed(o.negative, 0));
    const scheduler = createScheduler(o.sampler, model.schedulerConfig);
    scheduler.setTimesteps(o.steps);
    const gen = new TorchGenerator(o.seed);
    const vae = model.loadVae(backend);
    let latents: HostTensor;
    let timesteps = [...scheduler.timesteps];
    if (o.init) {
      const initT = Math.min(Math.trunc(o.steps * o.strength!), o.steps);
      const start = o.steps - initT;
      timesteps = timesteps.slice(start);
      scheduler.setBeginIndex(start);
      const dist = await vae.encode(imageToInput(o.init.data, o.init.width, o.init.height, backend));
      const x0 = await vae.scaleLatents(dist.sample(gen.randn(dist.mean.shape))).toArray();
      const shape = [o.batch, ...dist.mean.shape.slice(1)];
      const rep0 = new Float32Array(o.batch * x0.length);
      for (let b = 0; b < o.batch; b++) rep0.set(x0, b * x0.length);
      latents = scheduler.addNoise({ shape, data: rep0 }, { shape, data: gen.randn(shape) }, timesteps[0]!);
    } else {
      const shape = [o.batch, 4, 8, 8];
      const s = scheduler.initNoiseSigma;
      latents = { shape, data: gen.randn(shape).map((x) => Math.fround(x * s)) };
    }
    const unet = model.loadUNet(backend);
    const final = await denoise({
      unet, scheduler, latents, promptEmbeds: prompt, negativeEmbeds: negative, guidanceScale: o.guidance, timesteps,
      randn: (shape) => gen.randn(shape),
    });
    const images = await imageFromDecoded(await vae.decodeLatents(backend.fromArray(final.data, final.shape)));
    return { latents: final, images, timesteps };
  }

  const cases = [
    { name: "PLMS, 3 steps", prompt: "a cat", negative: "", seed: 42, steps: 3, sampler: "pndm", batch: 1, guidance: 7.5, clipSkip: 0 },
    { name: "Euler a (ancestral noise from the same generator), batch 2, clip skip 1", prompt: "the dog", negative: "ugly", seed: 3, steps: 2, sampler: "euler_a", batch: 2, guidance: 5, clipSkip: 1 },
    { name: "DPM++ 2M Karras", prompt: "a cat", negative: "", seed: 1234567890123, steps: 2, sampler: "dpmpp_2m_karras", batch: 1, guidance: 7.5, clipSkip: 0 },
  ];
  for (const c of cases) {
    it(`txt2img, ${c.name}: latents and pixels bit-identical`, async () => {
      const got = await pipe.generate({ ...SMALL, prompt: c.prompt, negativePrompt: c.negative, seed: c.seed, steps: c.steps, sampler: c.sampler, numImages: c.batch, guidanceScale: c.guidance, clipSkip: c.clipSkip });
      const want = await reference(c);
      assert.deepEqual(got.timesteps, want.timesteps);
      assert.deepEqual([...got.latents.shape], [c.batch, 4, 8, 8]);
      assert.equal(firstDiff(got.latents.data, want.latents.data), -1, "final latents differ");
      assert.equal(got.images.length, c.batch);
      got.images.forEach((img, i) => assert.ok(sameBytes(img.data, want.images[i]!.data), `image ${i} differs`));
    });
  }

  it("img2img (PLMS, strength 0.6, batch 2): equals the hand-written diffusers img2img order of generator draws", async () => {
    const init = gradient(64, 64);
    const c = { prompt: "a cat", negative: "", seed: 5, steps: 5, sampler: "pndm", batch: 2, guidance: 7.5, clipSkip: 0, init, strength: 0.6 };
    const got = await pipe.generate({ prompt: c.prompt, seed: c.seed, steps: c.steps, sampler: c.sampler, numImages: 2, initImage: init, strength: 0.6 });
    const want = await reference(c);
    // PLMS's 5-step schedule has 6 entries (the first step is taken twice); int(5·0.6) = 3 → t_start 2.
    assert.deepEqual(got.timesteps, [601, 401, 201, 1]);
    assert.deepEqual(got.timesteps, want.timesteps);
    assert.equal(firstDiff(got.latents.data, want.latents.data), -1, "final latents differ");
    got.images.forEach((img, i) => assert.ok(sameBytes(img.data, want.images[i]!.data), `image ${i} differs`));
    assert.match(got.parameters[0]!, /Denoising strength: 0\.6/);
  });

  it("img2img with Euler (σ schedule, begin index) equals the hand-written composition and differs from txt2img", async () => {
    const init = gradient(64, 64);
    const c = { prompt: "a cat", negative: "", seed: 11, steps: 4, sampler: "euler", batch: 1, guidance: 7.5, clipSkip: 0, init, strength: 0.5 };
    const got = await pipe.generate({ prompt: c.prompt, seed: c.seed, steps: c.steps, sampler: c.sampler, initImage: init, strength: 0.5 });
    const want = await reference(c);
    assert.equal(got.timesteps.length, 2);
    assert.equal(firstDiff(got.latents.data, want.latents.data), -1, "final latents differ");
    assert.ok(sameBytes(got.images[0]!.data, want.images[0]!.data));
    const txt = await pipe.generate({ ...SMALL, prompt: c.prompt, seed: c.seed, steps: c.steps, sampler: c.sampler });
    assert.ok(!sameBytes(txt.images[0]!.data, got.images[0]!.data), "img2img output equals txt2img output");
  });

  it("a seed reproduces its image; another seed changes it; seeds ≥ 2^53 work as decimal strings", async () => {
    const a = await pipe.generate({ ...SMALL, prompt: "a cat", steps: 2, seed: "18446744073709551615" });
    const b = await pipe.generate({ ...SMALL, prompt: "a cat", steps: 2, seed: 18446744073709551615n });
    const c = await pipe.generate({ ...SMALL, prompt: "a cat", steps: 2, seed: 43 });
    assert.equal(a.seed, 18446744073709551615n);
    assert.ok(sameBytes(a.images[0]!.data, b.images[0]!.data));
    assert.ok(!sameBytes(a.images[0]!.data, c.images[0]!.data));
    const r = await pipe.generate({ ...SMALL, prompt: "a cat", steps: 1 });
    assert.ok(r.seed >= 0n && r.seed < 2n ** 32n, "a random seed is drawn and reported");
  });

  it("guidance ≤ 1 runs without the negative prompt (one UNet row); a prompt over 75 tokens is cut with a warning", async () => {
    const warnings: string[] = [];
    const long = Array.from({ length: 80 }, () => "cat").join(" ");
    const r = await pipe.generate({ ...SMALL, prompt: long, steps: 1, seed: 1, guidanceScale: 1, negativePrompt: "ignored", onWarning: (m) => warnings.push(m) });
    assert.doesNotMatch(r.parameters[0]!, /Negative prompt/);
    assert.equal(r.promptEncoding.truncated, true);
    assert.deepEqual(warnings, ["prompt has 80 tokens but CLIP takes at most 75; the last 5 (\"cat cat cat cat cat\") were cut"]);
  });

  it("the demo tokenizer: byte-level BPE with its merges, BOS/EOS at the end of the vocabulary", () => {
    const enc = model.tokenizer.encode("a cat, the dog");
    const id = (t: string) => model.tokenizer.tokenToId(t);
    assert.equal(model.tokenizer.vocabSize, DEMO_VOCAB_SIZE);
    assert.deepEqual(enc.tokens, ["<|startoftext|>", "a</w>", "cat</w>", ",</w>", "the</w>", "dog</w>", "<|endoftext|>"]);
    assert.deepEqual(enc.ids.slice(0, 7), [DEMO_VOCAB_SIZE - 2, id("a</w>"), 512 + 3, id(",</w>"), 512 + 1, 512 + 5, DEMO_VOCAB_SIZE - 1]);
    assert.equal(id("a</w>"), 256 + 64);
    assert.equal(DEMO_MERGES.length + 514, DEMO_VOCAB_SIZE);
  });
});

describe("SD1.5 tokenizer from OpenAI's bpe_simple_vocab_16e6.txt.gz (assets/clip)", () => {
  it("has 49408 tokens and gives the fixture ids for every clip-tokenizer prompt", () => {
    const fromAsset = tokenizerFromOpenAIBpeFile(assetPath(CLIP_BPE_VOCAB_ASSET));
    const fromFolder = CLIPTokenizer.fromFolder(fixturePath("clip-vocab"));
    assert.equal(fromAsset.vocabSize, 49408);
    assert.equal(fromAsset.bosId, 49406);
    assert.equal(fromAsset.eosId, 49407);
    const vocab = JSON.parse(readFileSync(fixturePath("clip-vocab", "vocab.json"), "utf8")) as Record<string, number>;
    for (const [token, id] of Object.entries(vocab)) assert.equal(fromAsset.tokenToId(token), id, `token ${JSON.stringify(token)}`);
    const cases = readCase("clip-tokenizer").cases as Array<{ prompt: string; ids: number[]; ids_untruncated: number[] }>;
    for (const c of cases) {
      const e = fromAsset.encode(c.prompt);
      assert.deepEqual(e.ids, c.ids, `prompt ${JSON.stringify(c.prompt)}`);
      assert.deepEqual(e.idsUntruncated, c.ids_untruncated, `prompt ${JSON.stringify(c.prompt)} (untruncated)`);
      assert.deepEqual(e.ids, fromFolder.encode(c.prompt).ids);
    }
  });
});

describe("PNG writer", () => {
  it("CRC-32 matches the standard check value and text chunks round-trip (tEXt for Latin-1, iTXt otherwise)", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    assert.equal(crc32(Buffer.from("IEND")), 0xae426082);
    const img = gradient(16, 8);
    const png = encodePng(img, { parameters: "café, 7.5", comment: "一只猫 🐱" });
    const types = pngChunks(png).map((c) => c.type);
    assert.deepEqual(types.slice(0, 3), ["IHDR", "tEXt", "iTXt"]);
    assert.equal(types[types.length - 1], "IEND");
    const text = readPngText(png);
    assert.equal(text.get("parameters"), "café, 7.5");
    assert.equal(text.get("comment"), "一只猫 🐱");
    const back = PNG.sync.read(png);
    assert.equal(back.width, 16);
    for (let p = 0; p < 16 * 8; p++) for (let c = 0; c < 3; c++) assert.equal(back.data[p * 4 + c], img.data[p * 3 + c]);
    assert.throws(() => textChunk("", "x"), /keyword/);
    const broken = Buffer.from(png);
    broken[40] ^= 1; // inside the first text chunk
    assert.throws(() => pngChunks(broken, "broken.png"), /broken\.png: CRC mismatch in PNG chunk/);
  });

  it("formats A1111 parameters: omits an empty negative prompt, quotes values with separators", () => {
    const base = { prompt: "p", negativePrompt: "", steps: 20, sampler: "Euler a", cfgScale: 7, seed: 1n, width: 512, height: 768, model: "v1-5-pruned-emaonly" };
    assert.equal(formatGenerationParameters(base), "p\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x768, Model: v1-5-pruned-emaonly");
    assert.equal(
      formatGenerationParameters({ ...base, negativePrompt: "n", model: "a,b", denoisingStrength: 0.75, clipSkip: 2 }),
      'p\nNegative prompt: n\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x768, Model: "a,b", Denoising strength: 0.75, Clip skip: 2',
    );
  });
});
