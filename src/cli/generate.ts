// sdts generate -p "a photo of a cat" [--model <diffusers folder | v1-5-pruned-emaonly.safetensors>] [-o out.png]
// Text-to-image (and image-to-image with --init-img) with the SD1.5 pipeline, writing PNGs that carry A1111-style
// generation info. Without --model, the built-in demo model runs (tiny networks, synthetic weights, noise images).
// Flag names follow stable-diffusion.cpp / candle where they exist.
import { writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Option, type Command } from "commander";
import { encodePng, readPngFile } from "../image/png.js";
import { loadPipeline } from "../pipeline/loadPipeline.js";
import { SAMPLER_NAMES, UnknownSamplerError } from "../pipeline/samplers.js";
import { DEFAULT_GUIDANCE_SCALE, DEFAULT_STEPS, DEFAULT_STRENGTH, type InputImage } from "../pipeline/StableDiffusionPipeline.js";
import { parseTorchSeed } from "../random/TorchGenerator.js";
import { GenerateProgress } from "./generateProgress.js";
import { addBackendOptions, backendFrom, positiveInt, type BackendFlags } from "./options.js";

interface GenerateFlags extends BackendFlags {
  model?: string;
  prompt: string;
  negativePrompt: string;
  steps: string;
  cfgScale: string;
  sampler?: string;
  seed?: string;
  width?: string;
  height?: string;
  batchCount: string;
  clipSkip?: string;
  output: string;
  initImg?: string;
  strength: string;
  eta: string;
  variant?: string;
}

/** output.png, output-1.png, output-2.png, … (the first image keeps the given name). */
export function outputPaths(output: string, count: number): string[] {
  const ext = extname(output);
  const stem = join(dirname(output), basename(output, ext));
  return Array.from({ length: count }, (_, i) => (i === 0 ? output : `${stem}-${i}${ext}`));
}

function finiteNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new Error(`${flag} must be a number, got "${value}"`);
  return n;
}

/** --seed: a non-negative integer < 2^64 (decimal), or a negative number for a random seed (sd.cpp's -1). */
function parseSeedFlag(value: string | undefined): bigint | undefined {
  if (value === undefined || /^\s*-\d+\s*$/.test(value)) return undefined;
  try {
    return parseTorchSeed(value);
  } catch {
    throw new Error(`--seed must be an integer from 0 to 18446744073709551615 (or -1 for a random seed), got "${value}"`);
  }
}

/** --clip-skip in A1111/sd.cpp numbering: 1 = last layer (no skip), 2 = penultimate, …; returns diffusers' k. */
function parseClipSkip(value: string | undefined, layers: number): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > layers) {
    throw new Error(`--clip-skip must be an integer from 1 (use the last layer) to ${layers} (this text encoder has ${layers} layers), got "${value}"`);
  }
  return n - 1;
}

export function register(program: Command): void {
  addBackendOptions(
    program
      .command("generate")
      .description("generate images from a prompt (txt2img; img2img with --init-img) and write PNGs")
      .option("--model <path>", "diffusers model folder or SD1.x single-file .safetensors (default: the built-in demo model, which draws noise)")
      .requiredOption("-p, --prompt <text>", "the prompt")
      .option("-n, --negative-prompt <text>", "the negative prompt", "")
      .option("--steps <n>", "denoising steps", String(DEFAULT_STEPS))
      .option("--cfg-scale <x>", "classifier-free guidance scale (≤ 1 disables guidance)", String(DEFAULT_GUIDANCE_SCALE))
      .option("--sampler <name>", `sampler: ${SAMPLER_NAMES.join(", ")} (default: the model's scheduler; PNDM/PLMS for SD1.5)`)
      .option("--seed <n>", "seed of the torch CPU generator, 0 … 2^64−1 (default / -1: random, printed)")
      .option("-W, --width <px>", "image width (default: the model's size, 512 for SD1.5; img2img: the init image's)")
      .option("-H, --height <px>", "image height (default: the model's size, 512 for SD1.5; img2img: the init image's)")
      .option("-b, --batch-count <n>", "images to generate, as one batch (diffusers' num_images_per_prompt)", "1")
      .option("--clip-skip <n>", "CLIP layers to skip, A1111 numbering: 1 = none, 2 = penultimate layer")
      .option("-o, --output <file>", "output PNG; with several images: <name>.png, <name>-1.png, …", "output.png")
      .option("--init-img <png>", "img2img: the starting image (PNG, its size must be a multiple of 64 for SD1.5)")
      .option("--strength <x>", "img2img: share of the schedule to run, 0 … 1", String(DEFAULT_STRENGTH))
      .option("--eta <x>", "DDIM η (ddim sampler only)", "0")
      .addOption(new Option("--variant <name>", "diffusers folders: weight file variant").choices(["fp16"])),
  ).action(async (flags: GenerateFlags) => {
    const t0 = performance.now();
    const backend = backendFrom(flags);
    const steps = positiveInt(flags.steps, "--steps");
    const numImages = positiveInt(flags.batchCount, "--batch-count");
    const guidanceScale = finiteNumber(flags.cfgScale, "--cfg-scale");
    const strength = finiteNumber(flags.strength, "--strength");
    if (strength < 0 || strength > 1) throw new Error(`--strength must be between 0 and 1, got ${flags.strength}`);
    const eta = finiteNumber(flags.eta, "--eta");
    const width = flags.width === undefined ? undefined : positiveInt(flags.width, "--width");
    const height = flags.height === undefined ? undefined : positiveInt(flags.height, "--height");
    if (flags.sampler !== undefined && !SAMPLER_NAMES.includes(flags.sampler)) throw new UnknownSamplerError(flags.sampler);
    const seed = parseSeedFlag(flags.seed);
    let initImage: InputImage | undefined;
    if (flags.initImg !== undefined) {
      try {
        initImage = readPngFile(flags.initImg);
      } catch (err) {
        throw new Error(`--init-img: ${(err as Error).message}`);
      }
    }

    const pipeline = loadPipeline(flags.model, backend, flags.variant === "fp16" ? { variant: "fp16" } : {});
    try {
      const clipSkip = parseClipSkip(flags.clipSkip, pipeline.model.textEncoderConfig.numHiddenLayers);
      const progress = new GenerateProgress();
      let result;
      try {
        result = await pipeline.generate({
          prompt: flags.prompt,
          negativePrompt: flags.negativePrompt,
          steps,
          guidanceScale,
          ...(flags.sampler !== undefined ? { sampler: flags.sampler } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...(width !== undefined ? { width } : {}),
          ...(height !== undefined ? { height } : {}),
          numImages,
          clipSkip,
          eta,
          ...(initImage ? { initImage, strength } : {}),
          onProgress: (e) => progress.update(e),
          onWarning: (m) => {
            progress.stop();
            process.stderr.write(`sdts: warning: ${m}\n`);
          },
        });
      } finally {
        progress.stop();
      }
      const paths = outputPaths(flags.output, result.images.length);
      result.images.forEach((image, i) => writeFileSync(paths[i]!, encodePng(image, { parameters: result.parameters[i]! })));
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      const what = initImage ? "img2img" : "txt2img";
      for (const p of paths) {
        process.stdout.write(
          `wrote ${p} (${result.width}×${result.height}, ${what}, seed ${result.seed}, ${result.steps} steps, ${result.samplerLabel}, ` +
            `model ${pipeline.model.name}, ${seconds} s)\n`,
        );
      }
      if (pipeline.model.kind === "demo") {
        process.stdout.write(
          "note: no --model given, so this used sdts's built-in demo model (tiny networks with synthetic weights): " +
            "the image is abstract noise, not a picture. Point --model at Stable Diffusion 1.5 weights " +
            "(a diffusers folder or v1-5-pruned-emaonly.safetensors) for real images.\n",
        );
      }
    } finally {
      pipeline.close();
    }
  });
}
