// run-case kind `single_file_checkpoint`: UNet and VAE loaded from one LDM-named file (model.safetensors)
// through the single-file key map, then run as the unet and autoencoder cases do.
import { join } from "node:path";
import { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import { parseAutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";
import { UNet2DConditionModel } from "../models/unet/UNet2DConditionModel.js";
import { parseUNetConfig } from "../models/unet/UNetConfig.js";
import { loadWeights } from "../weights/load.js";
import { SingleFileCheckpoint } from "../weights/singleFile.js";
import { caseInputs, CaseError, requireInput, upload } from "./common.js";
import type { CaseRunner, CaseTensor } from "./types.js";

function objectField(caseJson: Record<string, unknown>, name: string, caseDir: string): Record<string, unknown> {
  const v = caseJson[name];
  if (typeof v !== "object" || v === null) throw new CaseError(`${caseDir}/case.json: no "${name}" object`);
  return v as Record<string, unknown>;
}

export const runSingleFileCheckpointCase: CaseRunner = async (caseDir, caseJson, { backend }) => {
  const unetConfig = parseUNetConfig(objectField(caseJson, "unet_config", caseDir), `${caseDir}/case.json unet_config`);
  const vaeConfig = parseAutoencoderKLConfig(objectField(caseJson, "vae_config", caseDir), `${caseDir}/case.json vae_config`);
  const unet = new UNet2DConditionModel(unetConfig);
  const vae = new AutoencoderKL(vaeConfig);
  const ckpt = SingleFileCheckpoint.open(join(caseDir, "model.safetensors"));
  try {
    loadWeights(unet, ckpt.unetSource(unetConfig), backend);
    loadWeights(vae, ckpt.vaeSource(vaeConfig), backend);
  } finally {
    ckpt.close();
  }
  const inputs = caseInputs(caseDir);
  const out = new Map<string, CaseTensor>();
  const sample = unet.forward(
    upload(backend, requireInput(inputs, "unet.sample", caseDir)),
    [...requireInput(inputs, "unet.timestep", caseDir).data],
    upload(backend, requireInput(inputs, "unet.encoder_hidden_states", caseDir)),
  );
  out.set("unet.sample", { shape: sample.shape, data: await sample.toArray() });
  const z = await vae.unscaleLatents(upload(backend, requireInput(inputs, "vae.latents", caseDir)));
  out.set("vae.decode.z", { shape: z.shape, data: await z.toArray() });
  const decoded = vae.decode(z);
  out.set("vae.decode.sample", { shape: decoded.shape, data: await decoded.toArray() });
  const dist = await vae.encode(upload(backend, requireInput(inputs, "vae.image", caseDir)));
  out.set("vae.encode.mean", { shape: dist.mean.shape, data: await dist.mean.toArray() });
  out.set("vae.encode.logvar", { shape: dist.logvar.shape, data: await dist.logvar.toArray() });
  return { type: "tensors", tensors: out };
};
