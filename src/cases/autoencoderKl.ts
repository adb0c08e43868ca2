// run-case kind `autoencoder_kl` (vae-mini): the SD pipeline's two uses of the VAE.
//   decode: z = latents / scaling_factor → "decode.z"; vae.decode(z).sample → "decode.sample";
//           (sample / 2 + 0.5).clamp(0, 1) → "decode.image_01"; trace → "decode.trace.*"
//   encode: vae.encode(image).latent_dist → "encode.moments", "encode.mean", "encode.logvar", "encode.std",
//           mean · scaling_factor → "encode.mean_scaled"; trace → "encode.trace.*"
import { AutoencoderKL } from "../models/vae/AutoencoderKL.js";
import { parseAutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";
import { denormalize } from "../models/vae/imageConversion.js";
import type { Tensor } from "../tensor/Tensor.js";
import { loadWeights } from "../weights/load.js";
import { SafetensorsSource } from "../weights/WeightSource.js";
import { caseInputs, caseWeights, CaseError, requireInput, TraceCollector, upload } from "./common.js";
import type { CaseRunner, CaseTensor } from "./types.js";

export const runAutoencoderKlCase: CaseRunner = async (caseDir, caseJson, { trace, backend }) => {
  const configJson = caseJson.config ?? caseJson.vae_config;
  if (typeof configJson !== "object" || configJson === null) throw new CaseError(`${caseDir}/case.json: no "config" object`);
  const vae = new AutoencoderKL(parseAutoencoderKLConfig(configJson, `${caseDir}/case.json config`));
  const source = caseWeights(caseDir);
  try {
    loadWeights(vae, source, backend);
  } finally {
    if (source instanceof SafetensorsSource) source.file.close();
  }
  const inputs = caseInputs(caseDir);
  const latents = upload(backend, requireInput(inputs, "latents", caseDir));
  const image = upload(backend, requireInput(inputs, "image", caseDir));

  const out = new Map<string, CaseTensor>();
  const put = async (name: string, t: Tensor): Promise<void> => {
    out.set(name, { shape: t.shape, data: await t.toArray() });
  };

  // decode
  const decodeTrace = new TraceCollector("decode.trace.");
  const z = await vae.unscaleLatents(latents);
  await put("decode.z", z);
  const sample = vae.decode(z, trace ? decodeTrace.fn : undefined);
  const sampleData = await sample.toArray();
  out.set("decode.sample", { shape: sample.shape, data: sampleData });
  out.set("decode.image_01", { shape: sample.shape, data: denormalize(sampleData) });
  if (trace) await decodeTrace.into(out);

  // encode
  const encodeTrace = new TraceCollector("encode.trace.");
  const dist = await vae.encode(image, trace ? encodeTrace.fn : undefined);
  await put("encode.moments", dist.moments);
  await put("encode.mean", dist.mean);
  await put("encode.logvar", dist.logvar);
  await put("encode.std", dist.std);
  await put("encode.mean_scaled", vae.scaleLatents(dist.mean));
  if (trace) await encodeTrace.into(out);
  return { type: "tensors", tensors: out };
};
