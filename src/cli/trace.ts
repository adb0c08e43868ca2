// sdts trace <model folder | unet config.json> [--latent HxW] [--batch N]: one UNet forward, printing shape,
// mean and std after every stage in the order the seed walks through it.
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { loadUNet } from "../models/unet/loadUNet.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";
import { TorchGenerator } from "../random/TorchGenerator.js";
import type { Tensor } from "../tensor/Tensor.js";
import { isDiffusersFolder, readJsonFile } from "../weights/diffusersFolder.js";
import { loadWeights } from "../weights/load.js";
import { SyntheticSource } from "../weights/WeightSource.js";
import { addBackendOptions, backendFrom, parseSize, positiveInt, type BackendFlags } from "./options.js";

interface TraceFlags extends BackendFlags {
  latent: string;
  batch: string;
  timestep: string;
  seed: string;
  all?: boolean;
}

/** The stages the seed walks through; `--all` prints every traced submodule too. */
const STAGE = /^(t_emb|emb|conv_in|down_blocks\.\d+\.(hidden_states|res_samples\.\d+)|mid_block|up_blocks\.\d+|conv_norm_out|conv_act)$/;

function stats(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(q / Math.max(1, x.length - 1)) };
}

export function register(program: Command): void {
  addBackendOptions(
    program
      .command("trace")
      .description("run one UNet forward and print shape, mean and std after every stage")
      .argument("<model>", "diffusers model folder (its unet/ weights) or a UNet config.json (synthetic weights)")
      .option("--latent <HxW>", "latent height x width", "8x8")
      .option("--batch <n>", "batch size", "1")
      .option("--timestep <t>", "timestep", "999")
      .option("--seed <n>", "seed of the random inputs (torch CPU generator)", "0")
      .option("--all", "print every traced submodule, not only the stages"),
  ).action(async (model: string, flags: TraceFlags) => {
    const backend = backendFrom(flags);
    const [h, w] = parseSize(flags.latent, "--latent");
    const batch = positiveInt(flags.batch, "--batch");
    const timestep = Number(flags.timestep);
    if (!Number.isFinite(timestep)) throw new Error(`--timestep must be a number, got "${flags.timestep}"`);
    if (!existsSync(model)) throw new Error(`${model} does not exist`);
    let unet: UNet2DConditionModel;
    let weights: string;
    if (statSync(model).isDirectory()) {
      if (!isDiffusersFolder(model)) throw new Error(`${model} is not a diffusers model folder`);
      unet = loadUNet(model, backend);
      weights = `${model}/unet`;
    } else {
      unet = new UNet2DConditionModel(parseUNetConfig(readJsonFile(model), model));
      loadWeights(unet, new SyntheticSource(), backend);
      weights = "synthetic";
    }
    const c = unet.config;
    const gen = new TorchGenerator(flags.seed);
    const sampleShape = [batch, c.inChannels, h, w];
    const contextShape = [batch, 77, c.crossAttentionDim];
    const sample = backend.fromArray(gen.randn(sampleShape), sampleShape);
    const context = backend.fromArray(gen.randn(contextShape), contextShape);
    const seen: Array<[string, Tensor]> = [];
    const t0 = performance.now();
    const out = unet.forward(sample, timestep, context, (name, value) => {
      if (flags.all || STAGE.test(name)) seen.push([name, value]);
    });
    const ms = performance.now() - t0;
    seen.push(["output", out]);
    const out2 = process.stdout;
    out2.write(`UNet forward: sample [${sampleShape.join(", ")}], timestep ${timestep}, context [${contextShape.join(", ")}], weights ${weights}, backend ${backend.name}\n`);
    const width = Math.max(...seen.map(([n]) => n.length));
    for (const [name, t] of seen) {
      const { mean, std } = stats(await t.toArray());
      out2.write(`${name.padEnd(width)}  ${`[${t.shape.join(", ")}]`.padEnd(20)}  mean ${mean.toFixed(6).padStart(10)}  std ${std.toFixed(6)}\n`);
    }
    out2.write(`forward took ${ms.toFixed(0)} ms\n`);
  });
}
