// CLIP text encoder (transformers CLIPTextModel) against ../shared/fixtures/clip-text-{mini,full}.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "../src/backend/index.js";
import { runClipTextModelCase } from "../src/cases/clipTextModel.js";
import { CLIPTextModel } from "../src/models/clip/CLIPTextModel.js";
import { parseCLIPTextConfig, SD15_CLIP_TEXT_CONFIG, type CLIPTextConfig } from "../src/models/clip/CLIPTextConfig.js";
import { loadTextEncoder } from "../src/models/clip/loadTextEncoder.js";
import { slice } from "../src/tensor/ops.js";
import { floatToHalf, SafetensorsFile, writeSafetensors, type TensorToWrite } from "../src/weights/safetensors.js";
import { syntheticParameter } from "../src/weights/synthetic.js";
import { loadWeights } from "../src/weights/load.js";
import { SafetensorsSource } from "../src/weights/WeightSource.js";
import { assertClose, fixturePath, readCase, readExpected } from "./helpers/fixtures.js";

const backend = createBackend("ts");

/** Run a case through its runner and compare every stored output (and nothing else) with expected.safetensors. */
async function checkCase(name: string): Promise<void> {
  const caseJson = readCase(name);
  const atol: number = caseJson.tolerance.suggested_atol_vs_expected_f32;
  const rtol: number = caseJson.tolerance.suggested_rtol;
  const expected = readExpected(name);
  const result = await runClipTextModelCase(fixturePath(name), caseJson, { trace: false, backend });
  assert.equal(result.type, "tensors");
  if (result.type !== "tensors") return;
  assert.deepEqual([...result.tensors.keys()].sort(), [...expected.keys()].sort(), `${name}: output names differ from expected.safetensors`);
  const errors: string[] = [];
  for (const [key, exp] of expected) {
    const got = result.tensors.get(key)!;
    const maxAbs = assertClose(`${name} ${key}`, got.data, got.shape, exp, atol, rtol);
    errors.push(`${key} ${maxAbs.toExponential(2)}`);
  }
  console.log(`${name}: max |diff| (atol ${atol}): ${errors.join(", ")}`);
}

function miniConfig(overrides: Record<string, unknown> = {}): CLIPTextConfig {
  return parseCLIPTextConfig({ ...readCase("clip-text-mini").config, ...overrides }, "clip-text-mini config");
}

function miniModel(overrides: Record<string, unknown> = {}): CLIPTextModel {
  const model = new CLIPTextModel(miniConfig(overrides));
  const source = SafetensorsSource.open(fixturePath("clip-text-mini", "weights.safetensors"));
  loadWeights(model, source, backend);
  source.file.close();
  return model;
}

function miniInputIds(): Int32Array {
  const f = SafetensorsFile.open(fixturePath("clip-text-mini", "inputs.safetensors"));
  const ids = Int32Array.from(f.readInts("input_ids"));
  f.close();
  return ids;
}

test("clip-text-mini: every output incl. all hidden states matches transformers", async () => {
  await checkCase("clip-text-mini");
});

test("clip-text-mini: forward({clipSkip: 1}) is diffusers' clip_skip=1; hidden states count L+1", async () => {
  const model = miniModel();
  const expected = readExpected("clip-text-mini");
  const out = model.forward(miniInputIds(), 2, { clipSkip: 1, outputHiddenStates: true });
  assert.equal(out.hiddenStates?.length, 4);
  assertClose("clipSkip 1", await out.lastHiddenState.toArray(), out.lastHiddenState.shape, expected.get("clip_skip_1")!, 1e-5, 1e-4);
  // pooler_output stays transformers' (from the unskipped last_hidden_state).
  assertClose("pooler (clipSkip 1)", await out.poolerOutput.toArray(), out.poolerOutput.shape, expected.get("pooler_output")!, 1e-5, 1e-4);
  assert.throws(() => model.forward(miniInputIds(), 2, { clipSkip: 4 }), /clipSkip 4 is out of range: expected an integer 0…3/);
  assert.throws(() => model.forward(miniInputIds(), 2, { clipSkip: 0.5 }), /clipSkip 0.5/);
});

test("clip-text-full (SD1.5 config, synthetic weights): every output matches transformers", async () => {
  const params = JSON.parse(readFileSync(fixturePath("clip-text-full", "params.json"), "utf8"));
  const model = new CLIPTextModel(SD15_CLIP_TEXT_CONFIG);
  assert.equal(model.numParameters(), params.total_parameters);
  // The module tree lists exactly params.json's names, shapes and order (= transformers' state_dict).
  assert.deepEqual(
    model.namedParameters().map(([n, s]) => `${n} [${s.join(",")}]`),
    params.parameters.map((p: { name: string; shape: number[] }) => `${p.name} [${p.shape.join(",")}]`),
  );
  // A few generator checksums (the runner generates all 196 tensors from the same rule).
  for (const name of [
    "text_model.embeddings.position_embedding.weight",
    "text_model.encoder.layers.0.self_attn.k_proj.weight",
    "text_model.encoder.layers.5.mlp.fc1.bias",
    "text_model.encoder.layers.11.layer_norm2.weight",
    "text_model.final_layer_norm.bias",
  ]) {
    const p = params.parameters.find((x: { name: string }) => x.name === name);
    const v = syntheticParameter(name, p.shape);
    assert.deepEqual([...v.subarray(0, 4)], p.first4, `${name} first4`);
    let sum = 0;
    for (const x of v) sum += x;
    assert.ok(Math.abs(sum - p.sum_f64) <= 1e-9 * Math.max(1, Math.abs(p.sum_f64)), `${name}: sum ${sum} != ${p.sum_f64}`);
  }
  const t0 = Date.now();
  await checkCase("clip-text-full");
  console.log(`clip-text-full: load + forward ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test("pooling: argmax of ids when eos_token_id == 2, else the first eos position", async () => {
  // Row [5, 999, 997, 999]: first maximum at 1; first 997 at 2.
  const ids = Int32Array.from([5, 999, 997, 999]);
  for (const [eos, pos] of [[2, 1], [997, 2], [123, 0]] as const) {
    const out = miniModel({ eos_token_id: eos }).forward(ids, 1);
    const row = slice(out.lastHiddenState, 1, pos, pos + 1);
    assert.deepEqual(await out.poolerOutput.toArray(), await row.toArray(), `eos_token_id ${eos}: pooled position ${pos}`);
  }
});

test("forward validates the ids", () => {
  const model = miniModel();
  assert.throws(() => model.forward(new Int32Array(7), 2), /7 input ids do not form 2 equal rows/);
  assert.throws(() => model.forward(new Int32Array(78), 1), /sequence length 78 exceeds max_position_embeddings 77/);
  assert.throws(() => model.forward(Int32Array.from([998, 1000, 999]), 1), /input id 1000 at \[0, 1\] is outside the vocabulary \(0…999\)/);
  assert.throws(() => model.forward(Int32Array.from([998, -1]), 1), /input id -1/);
  // Shorter sequences are allowed (positions 0..T-1).
  assert.deepEqual([...model.forward(Int32Array.from([998, 3, 999]), 1).lastHiddenState.shape], [1, 3, 64]);
});

test("config: SD1.5 preset equals the fixture config; unsupported values are rejected by name", () => {
  const full = parseCLIPTextConfig(readCase("clip-text-full").config);
  assert.deepEqual(full, SD15_CLIP_TEXT_CONFIG);
  const base = readCase("clip-text-mini").config;
  assert.throws(() => parseCLIPTextConfig({ ...base, hidden_act: "gelu" }, "x/config.json"), /x\/config.json: "hidden_act" is "gelu", only "quick_gelu" is supported/);
  assert.throws(() => parseCLIPTextConfig({ ...base, hidden_size: 64.5 }, "x/config.json"), /"hidden_size" is 64.5, expected an integer/);
  assert.throws(() => parseCLIPTextConfig({ ...base, num_attention_heads: 3 }, "x/config.json"), /"hidden_size" 64 is not divisible by "num_attention_heads" 3/);
  assert.throws(() => parseCLIPTextConfig({ ...base, layer_norm_eps: "1e-5" }, "x/config.json"), /"layer_norm_eps" is "1e-5"/);
  assert.throws(() => parseCLIPTextConfig([], "x/config.json"), /expected a JSON object/);
});

test("loadTextEncoder: diffusers folder, position_ids buffer ignored, fp16 variant, clear file/tensor errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sdts-clip-"));
  try {
    const te = join(dir, "text_encoder");
    assert.throws(() => loadTextEncoder(dir, backend), /text_encoder\/config\.json does not exist/);
    mkdirSync(te);
    writeFileSync(join(te, "config.json"), readFileSync(fixturePath("clip-text-mini", "config.json")));
    assert.throws(() => loadTextEncoder(dir, backend), /neither .*model\.safetensors nor .*model\.fp16\.safetensors exists/);

    // The mini weights plus the constant position_ids buffer that real checkpoints carry.
    const src = SafetensorsFile.open(fixturePath("clip-text-mini", "weights.safetensors"));
    const tensors = new Map<string, TensorToWrite>();
    for (const info of src.infos()) tensors.set(info.name, { shape: info.shape, data: src.readF32(info.name) });
    src.close();
    tensors.set("text_model.embeddings.position_ids", { shape: [1, 77], data: Float32Array.from({ length: 77 }, (_, i) => i) });

    // fp16 file only: picked automatically, widened to float32 on read.
    const half = new Map<string, TensorToWrite>();
    for (const [n, t] of tensors) half.set(n, { shape: t.shape, dtype: "F16", data: Uint16Array.from(t.data as Float32Array, floatToHalf) });
    writeSafetensors(join(te, "model.fp16.safetensors"), half);
    const ids = miniInputIds();
    const expected = readExpected("clip-text-mini").get("last_hidden_state")!;
    const out16 = loadTextEncoder(dir, backend).forward(ids, 2).lastHiddenState;
    assertClose("fp16 weights", await out16.toArray(), out16.shape, expected, 2e-2, 2e-2);

    // model.safetensors (float32) is preferred when both exist; variant "fp16" still picks the fp16 file.
    writeSafetensors(join(te, "model.safetensors"), tensors);
    const out32 = loadTextEncoder(dir, backend).forward(ids, 2).lastHiddenState;
    assertClose("fp32 weights", await out32.toArray(), out32.shape, expected, 1e-5, 1e-4);
    const again16 = loadTextEncoder(dir, backend, { variant: "fp16" }).forward(ids, 2).lastHiddenState;
    assert.deepEqual(await again16.toArray(), await out16.toArray());

    // A misshapen tensor is named with its file and both shapes.
    const bad = "text_model.encoder.layers.1.mlp.fc1.weight";
    tensors.set(bad, { shape: [64, 256], data: tensors.get(bad)!.data });
    writeSafetensors(join(te, "model.safetensors"), tensors);
    assert.throws(
      () => loadTextEncoder(dir, backend),
      (e: Error) => e.message.includes("model.safetensors") && e.message.includes(`"${bad}" has shape [64, 256], expected [256, 64]`),
    );
    // A missing one too.
    tensors.delete(bad);
    writeSafetensors(join(te, "model.safetensors"), tensors);
    assert.throws(() => loadTextEncoder(dir, backend), new RegExp(`missing tensor ${bad.replace(/\./g, "\\.")} \\[256, 64\\]`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
