// Single-file (LDM/CompVis) checkpoints: the exact key maps, the component WeightSources and the pickle refusal,
// checked on ../shared/fixtures/single-file-tiny (fixtures README §5) and the real SD1.5 name lists.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Backend } from "../src/backend/Backend.js";
import { createBackend } from "../src/backend/index.js";
import { parseUNetConfig, SD15_UNET_CONFIG } from "../src/models/unet/UNetConfig.js";
import { parseAutoencoderKLConfig, SD15_VAE_CONFIG } from "../src/models/vae/AutoencoderKLConfig.js";
import { Module, type ParamGetter, type ParamSpec } from "../src/nn/Module.js";
import type { Shape } from "../src/tensor/Tensor.js";
import { ldmClipTextKeyMap, ldmUnetKeyMap, ldmVaeKeyMap } from "../src/weights/ldmKeyMap.js";
import { loadWeights } from "../src/weights/load.js";
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from "../src/weights/safetensors.js";
import { PickleCheckpointError, SingleFileCheckpoint, UnsupportedCheckpointError, type LdmComponentSource } from "../src/weights/singleFile.js";
import { syntheticParameter } from "../src/weights/synthetic.js";
import { fixturePath, readCase } from "./helpers/fixtures.js";

const MODEL = fixturePath("single-file-tiny", "model.safetensors");
const caseJson = readCase("single-file-tiny");
const tinyUnet = parseUNetConfig(caseJson.unet_config, "single-file-tiny/case.json unet_config");
const tinyVae = parseAutoencoderKLConfig(caseJson.vae_config, "single-file-tiny/case.json vae_config");

/** name → shape of a diffusers weights file, in file order. */
function paramsOf(path: string): Array<[string, Shape]> {
  const f = SafetensorsFile.open(path);
  const out = f.infos().map((i): [string, Shape] => [i.name, i.shape]);
  f.close();
  return out;
}
const unetParams = paramsOf(fixturePath("unet-tiny", "weights.safetensors"));
const vaeParams = paramsOf(fixturePath("vae-mini", "weights.safetensors"));

/** Index of the first element whose float32 bits differ, or -1. */
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** A model whose parameters are a flat list of state-dict keys: lets loadWeights run without the real models. */
class FlatModel extends Module {
  readonly got = new Map<string, Float32Array>();
  constructor(private readonly params: ReadonlyArray<readonly [string, Shape]>) {
    super();
  }
  override ownParameters(): ParamSpec[] {
    return this.params.map(([name, shape]) => ({ name, shape }));
  }
  override bind(_backend: Backend, get: ParamGetter): void {
    for (const [name] of this.params) this.got.set(name, get(name));
  }
}
const backend = createBackend("ts");

/** Every tensor through the source equals §2's synthetic value of its diffusers name, bit for bit. */
function checkComponent(source: LdmComponentSource, params: ReadonlyArray<readonly [string, Shape]>): number {
  assert.deepEqual([...source.names()].sort(), params.map(([n]) => n).sort(), `${source.description}: names() differ from the diffusers weights file`);
  assert.deepEqual(source.missing(), []);
  const model = new FlatModel(params);
  loadWeights(model, source, backend);
  let squeezed = 0;
  for (const [name, shape] of params) {
    const key = source.fileKeyOf(name)!;
    if (source.file.info(key).shape.length !== shape.length) squeezed++;
    const got = model.got.get(name)!;
    const i = firstBitDiff(got, syntheticParameter(name, shape));
    assert.equal(i, -1, `${name} (${key}): element ${i} differs from the synthetic value`);
  }
  return squeezed;
}

describe("single-file-tiny (LDM names)", () => {
  const ckpt = SingleFileCheckpoint.open(MODEL);
  after(() => ckpt.close());

  it("is seen as an SD1.x file without EMA weights", () => {
    assert.equal(ckpt.family, "sd1");
    assert.equal(ckpt.hasEma, false);
    assert.equal(ckpt.has("unet") && ckpt.has("vae") && !ckpt.has("textEncoder"), true);
  });

  it("maps every one of the 548 file keys to exactly one diffusers name", () => {
    const unet = ckpt.unetSource(tinyUnet);
    const vae = ckpt.vaeSource(tinyVae);
    assert.equal(ldmUnetKeyMap(tinyUnet).size, 304);
    assert.equal(ldmVaeKeyMap(tinyVae).size, 244);
    const keys = ckpt.file.names();
    assert.equal(keys.length, 548);
    const back = new Set<string>();
    for (const k of keys) {
      const names = [unet.diffusersNameOf(k), vae.diffusersNameOf(k)].filter((n) => n !== undefined);
      assert.equal(names.length, 1, `file key ${k} maps to ${JSON.stringify(names)}`);
      back.add((k.startsWith("model.") ? "unet:" : "vae:") + names[0]);
    }
    assert.equal(back.size, 548);
  });

  it("UNet: 304 tensors, names and shapes of unet-tiny/weights.safetensors, values bit-identical", () => {
    assert.equal(checkComponent(ckpt.unetSource(tinyUnet), unetParams), 0);
  });

  it("VAE: 244 tensors, names and shapes of vae-mini/weights.safetensors, 8 attention weights [C,C,1,1] → [C,C]", () => {
    const vae = ckpt.vaeSource(tinyVae);
    assert.equal(checkComponent(vae, vaeParams), 8);
    assert.equal(vae.fileKeyOf("decoder.mid_block.attentions.0.to_out.0.weight"), "first_stage_model.decoder.mid.attn_1.proj_out.weight");
    assert.deepEqual(vae.shapeOf("encoder.mid_block.attentions.0.to_q.weight", [64, 64]), [64, 64]);
    assert.equal(vae.fileKeyOf("decoder.up_blocks.0.upsamplers.0.conv.weight"), "first_stage_model.decoder.up.3.upsample.conv.weight");
    assert.equal(vae.fileKeyOf("decoder.up_blocks.3.resnets.0.conv_shortcut.weight"), "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight");
  });

  it("has no text encoder: loading one names both spellings and says the component is absent", () => {
    const te = ckpt.textEncoderSource({ numHiddenLayers: 1 });
    assert.deepEqual(te.names(), []);
    assert.throws(
      () => loadWeights(new FlatModel([["text_model.embeddings.token_embedding.weight", [10, 4]]]), te, backend),
      /cond_stage_model\.transformer\.text_model\.embeddings\.token_embedding\.weight" \(diffusers "text_model\.embeddings\.token_embedding\.weight"\).*no tensor under "cond_stage_model\.transformer\."/s,
    );
  });
});

describe("SD1.5 key maps", () => {
  const unet = ldmUnetKeyMap(SD15_UNET_CONFIG);
  const vae = ldmVaeKeyMap(SD15_VAE_CONFIG);

  it("UNet: exactly the 686 names of unet-sd15-full/params.json, in state_dict order, LDM names unique", () => {
    const params = (JSON.parse(readFileSync(fixturePath("unet-sd15-full", "params.json"), "utf8")) as { params: Array<{ name: string }> }).params;
    assert.equal(params.length, 686);
    assert.deepEqual([...unet.keys()], params.map((p) => p.name));
    assert.equal(new Set(unet.values()).size, 686);
  });

  it("UNet: known LDM names", () => {
    const expect: Record<string, string> = {
      "conv_in.weight": "input_blocks.0.0.weight",
      "time_embedding.linear_2.bias": "time_embed.2.bias",
      "down_blocks.0.downsamplers.0.conv.weight": "input_blocks.3.0.op.weight",
      "down_blocks.1.downsamplers.0.conv.weight": "input_blocks.6.0.op.weight",
      "down_blocks.2.downsamplers.0.conv.bias": "input_blocks.9.0.op.bias",
      "down_blocks.1.resnets.0.conv_shortcut.weight": "input_blocks.4.0.skip_connection.weight",
      "down_blocks.2.attentions.1.transformer_blocks.0.attn2.to_k.weight": "input_blocks.8.1.transformer_blocks.0.attn2.to_k.weight",
      "down_blocks.3.resnets.1.conv2.weight": "input_blocks.11.0.out_layers.3.weight",
      "mid_block.resnets.1.time_emb_proj.weight": "middle_block.2.emb_layers.1.weight",
      "mid_block.attentions.0.proj_out.weight": "middle_block.1.proj_out.weight",
      "up_blocks.0.upsamplers.0.conv.weight": "output_blocks.2.1.conv.weight",
      "up_blocks.1.upsamplers.0.conv.weight": "output_blocks.5.2.conv.weight",
      "up_blocks.2.upsamplers.0.conv.bias": "output_blocks.8.2.conv.bias",
      "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.weight": "output_blocks.11.1.transformer_blocks.0.ff.net.0.proj.weight",
      "up_blocks.3.resnets.2.conv_shortcut.weight": "output_blocks.11.0.skip_connection.weight",
      "conv_norm_out.bias": "out.0.bias",
      "conv_out.weight": "out.2.weight",
    };
    for (const [d, l] of Object.entries(expect)) assert.equal(unet.get(d), l, d);
    const ldm = new Set(unet.values());
    // The deepest level has no downsampler, the last up level no upsampler; conv_shortcut only where widths change.
    for (const absent of ["input_blocks.12.0.op.weight", "output_blocks.11.2.conv.weight", "input_blocks.1.0.skip_connection.weight", "input_blocks.5.0.skip_connection.weight", "input_blocks.10.0.skip_connection.weight", "input_blocks.10.1.norm.weight"]) {
      assert.equal(ldm.has(absent), false, absent);
    }
    for (const present of ["input_blocks.4.0.skip_connection.weight", "input_blocks.7.0.skip_connection.weight", "input_blocks.10.0.in_layers.0.weight"]) {
      assert.equal(ldm.has(present), true, present);
    }
  });

  it("VAE: exactly 248 names, LDM names unique, known LDM names", () => {
    assert.equal(vae.size, 248);
    assert.equal(new Set(vae.values()).size, 248);
    const expect: Record<string, string> = {
      "encoder.down_blocks.1.resnets.0.conv_shortcut.weight": "encoder.down.1.block.0.nin_shortcut.weight",
      "encoder.down_blocks.2.downsamplers.0.conv.weight": "encoder.down.2.downsample.conv.weight",
      "encoder.mid_block.resnets.1.conv2.weight": "encoder.mid.block_2.conv2.weight",
      "encoder.mid_block.attentions.0.group_norm.weight": "encoder.mid.attn_1.norm.weight",
      "encoder.mid_block.attentions.0.to_v.bias": "encoder.mid.attn_1.v.bias",
      "encoder.conv_norm_out.weight": "encoder.norm_out.weight",
      "decoder.up_blocks.0.upsamplers.0.conv.weight": "decoder.up.3.upsample.conv.weight",
      "decoder.up_blocks.2.upsamplers.0.conv.weight": "decoder.up.1.upsample.conv.weight",
      "decoder.up_blocks.2.resnets.0.conv_shortcut.weight": "decoder.up.1.block.0.nin_shortcut.weight",
      "decoder.up_blocks.3.resnets.0.conv_shortcut.weight": "decoder.up.0.block.0.nin_shortcut.weight",
      "decoder.up_blocks.3.resnets.2.conv1.weight": "decoder.up.0.block.2.conv1.weight",
      "decoder.mid_block.attentions.0.to_out.0.weight": "decoder.mid.attn_1.proj_out.weight",
      "quant_conv.weight": "quant_conv.weight",
      "post_quant_conv.bias": "post_quant_conv.bias",
    };
    for (const [d, l] of Object.entries(expect)) assert.equal(vae.get(d), l, d);
    const ldm = new Set(vae.values());
    for (const absent of ["encoder.down.3.downsample.conv.weight", "decoder.up.0.upsample.conv.weight", "encoder.down.3.block.0.nin_shortcut.weight", "decoder.up.3.block.0.nin_shortcut.weight", "decoder.up.2.block.0.nin_shortcut.weight"]) {
      assert.equal(ldm.has(absent), false, absent);
    }
  });

  it("CLIP: 196 names for the 12-layer text encoder, same as transformers", () => {
    const clip = ldmClipTextKeyMap({ numHiddenLayers: 12 });
    assert.equal(clip.size, 196);
    for (const [d, l] of clip) assert.equal(d, l);
  });
});

describe("real-file layouts (temporary files built from the fixture)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sdts-single-file-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // All 548 tensors of the fixture, plus what real files carry besides UNet and VAE.
  const base = new Map<string, TensorToWrite>();
  {
    const f = SafetensorsFile.open(MODEL);
    for (const info of f.infos()) base.set(info.name, { shape: info.shape, data: f.readF32(info.name) });
    f.close();
  }
  const clipPath = fixturePath("clip-text-mini", "weights.safetensors");
  const clipParams = paramsOf(clipPath);
  const clipNumLayers = (JSON.parse(readFileSync(fixturePath("clip-text-mini", "config.json"), "utf8")) as { num_hidden_layers: number }).num_hidden_layers;
  function withClip(spelling: "text_model." | ""): Map<string, TensorToWrite> {
    const f = SafetensorsFile.open(clipPath);
    const out = new Map(base);
    const te = "cond_stage_model.transformer.";
    for (const [name, shape] of clipParams) out.set(te + spelling + name.slice("text_model.".length), { shape, data: f.readF32(name) });
    f.close();
    out.set(`${te}${spelling}embeddings.position_ids`, { shape: [1, 77], data: Float32Array.from({ length: 77 }, (_, i) => i) });
    out.set("betas", { shape: [1000], data: new Float32Array(1000).fill(0.01) });
    out.set("alphas_cumprod", { shape: [1000], data: new Float32Array(1000).fill(0.5) });
    out.set("model_ema.decay", { shape: [], data: new Float32Array([0.9999]) });
    out.set("model_ema.diffusion_modelinput_blocks00weight", base.get("model.diffusion_model.input_blocks.0.0.weight")!);
    out.set("first_stage_model.loss.logvar", { shape: [], data: new Float32Array([0]) });
    return out;
  }
  function write(name: string, tensors: Map<string, TensorToWrite>): string {
    const p = join(dir, name);
    writeSafetensors(p, tensors);
    return p;
  }

  for (const spelling of ["text_model.", ""] as const) {
    it(`skips buffers, EMA and other components; text encoder under "cond_stage_model.transformer.${spelling}"`, () => {
      const tensors = withClip(spelling);
      // A file converted from diffusers may already store the VAE attention weights as [C, C].
      const q = tensors.get("first_stage_model.decoder.mid.attn_1.q.weight")!;
      tensors.set("first_stage_model.decoder.mid.attn_1.q.weight", { shape: [64, 64], data: q.data });
      const ckpt = SingleFileCheckpoint.open(write(`real-${spelling || "old"}.safetensors`, tensors));
      try {
        assert.equal(ckpt.family, "sd1");
        assert.equal(ckpt.hasEma, true);
        assert.equal(checkComponent(ckpt.unetSource(tinyUnet), unetParams), 0);
        assert.equal(checkComponent(ckpt.vaeSource(tinyVae), vaeParams), 7);
        const te = ckpt.textEncoderSource({ numHiddenLayers: clipNumLayers });
        assert.equal(clipParams.length, ldmClipTextKeyMap({ numHiddenLayers: clipNumLayers }).size);
        assert.equal(checkComponent(te, clipParams), 0);
      } finally {
        ckpt.close();
      }
    });
  }

  it("a missing tensor is reported under its diffusers and its LDM name", () => {
    const tensors = new Map(base);
    tensors.delete("model.diffusion_model.input_blocks.4.0.skip_connection.weight");
    const ckpt = SingleFileCheckpoint.open(write("missing.safetensors", tensors));
    try {
      assert.throws(
        () => loadWeights(new FlatModel(unetParams), ckpt.unetSource(tinyUnet), backend),
        (err: Error) => {
          assert.equal(err.name, "WeightError");
          assert.match(err.message, /missing tensor "model\.diffusion_model\.input_blocks\.4\.0\.skip_connection\.weight" \(diffusers "down_blocks\.1\.resnets\.0\.conv_shortcut\.weight"\)/);
          assert.match(err.message, /missing\.safetensors \(UNet/);
          return true;
        },
      );
      assert.deepEqual(ckpt.unetSource(tinyUnet).missing(), [
        { diffusers: "down_blocks.1.resnets.0.conv_shortcut.weight", ldm: "model.diffusion_model.input_blocks.4.0.skip_connection.weight" },
      ]);
    } finally {
      ckpt.close();
    }
  });

  it("an unmapped UNet tensor is unexpected (under its file name); a wrong shape names both names", () => {
    const tensors = new Map(base);
    tensors.set("model.diffusion_model.label_emb.0.0.weight", { shape: [128, 10], data: new Float32Array(1280) });
    const ckpt = SingleFileCheckpoint.open(write("extra.safetensors", tensors));
    try {
      assert.throws(() => loadWeights(new FlatModel(unetParams), ckpt.unetSource(tinyUnet), backend), /unexpected tensor model\.diffusion_model\.label_emb\.0\.0\.weight/);
      const wrong = unetParams.map(([n, s]): [string, Shape] => [n, n === "conv_in.weight" ? [32, 4, 5, 5] : s]);
      assert.throws(
        () => loadWeights(new FlatModel(wrong), ckpt.unetSource(tinyUnet), backend),
        /"model\.diffusion_model\.input_blocks\.0\.0\.weight" \(diffusers "conv_in\.weight"\) has shape \[32, 4, 3, 3\], expected \[32, 4, 5, 5\]/,
      );
    } finally {
      ckpt.close();
    }
  });

  it("refuses pickled checkpoints by extension and by content, explaining why and how to convert", () => {
    const check = (err: unknown): boolean => {
      assert.ok(err instanceof PickleCheckpointError);
      assert.match(err.message, /refusing to load a pickled PyTorch checkpoint/);
      assert.match(err.message, /executes whatever Python code/);
      assert.match(err.message, /safetensors\.torch import save_file/);
      assert.match(err.message, /weights_only=True/);
      return true;
    };
    for (const ext of [".ckpt", ".pt", ".pth", ".bin"]) assert.throws(() => SingleFileCheckpoint.open(join(dir, `v1-5-pruned-emaonly${ext}`)), check);
    const zip = join(dir, "disguised.safetensors");
    writeFileSync(zip, Buffer.from("PK\x03\x04\x14\x00\x00\x00\x00\x00archive/data.pkl", "latin1"));
    assert.throws(() => SingleFileCheckpoint.open(zip), check);
    const legacy = join(dir, "legacy.safetensors");
    writeFileSync(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]));
    assert.throws(() => SingleFileCheckpoint.open(legacy), check);
  });

  it("refuses SDXL and diffusers-format files with a clear message", () => {
    const xl = write("sdxl.safetensors", new Map([
      ["conditioner.embedders.0.transformer.text_model.final_layer_norm.weight", { shape: [4], data: new Float32Array(4) }],
      ["model.diffusion_model.input_blocks.0.0.bias", { shape: [4], data: new Float32Array(4) }],
    ]));
    const ckpt = SingleFileCheckpoint.open(xl);
    assert.equal(ckpt.family, "sdxl");
    assert.throws(() => ckpt.unetSource(), (e: Error) => e instanceof UnsupportedCheckpointError && /SDXL/.test(e.message));
    ckpt.close();
    const diffusers = SingleFileCheckpoint.open(fixturePath("unet-tiny", "weights.safetensors"));
    assert.equal(diffusers.family, "diffusers");
    assert.throws(() => diffusers.unetSource(tinyUnet), /holds diffusers names/);
    diffusers.close();
  });
});
