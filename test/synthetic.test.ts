// The synthetic-weight rule (fixtures README §2), bit for bit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fnv1a32, syntheticInput, syntheticParameter } from "../src/weights/synthetic.js";
import { SafetensorsFile } from "../src/weights/safetensors.js";
import { fixturePath } from "./helpers/fixtures.js";

const bits = (a: Float32Array, n: number) => [...new Uint32Array(a.buffer, 0, n)].map((b) => "0x" + b.toString(16).padStart(8, "0"));

test("README check values", () => {
  assert.equal(fnv1a32("conv_in.weight"), 2984744775);
  assert.deepEqual(bits(syntheticParameter("conv_in.weight", [320, 4, 3, 3]), 3), ["0x3dba623b", "0x3dc0b6dd", "0x3e1b2d19"]);
  assert.deepEqual(bits(syntheticParameter("conv_in.bias", [320]), 2), ["0x3c980b49", "0xbcea1543"]);
  assert.deepEqual(bits(syntheticInput("input.sample", [3]), 3), ["0x3e80e6d4", "0x3e16aa87", "0x3e44f7d8"]);
});

test("every tensor of unet-tiny/weights.safetensors equals the generator bit for bit", () => {
  const f = SafetensorsFile.open(fixturePath("unet-tiny", "weights.safetensors"));
  for (const info of f.infos()) {
    const want = f.readF32(info.name);
    const got = syntheticParameter(info.name, info.shape);
    assert.ok(Buffer.from(want.buffer).equals(Buffer.from(got.buffer)), `${info.name} differs`);
  }
  f.close();
});

test("1-D tensors not named .weight/.bias are refused", () => {
  assert.throws(() => syntheticParameter("alphas_cumprod", [10]), /alphas_cumprod/);
});
