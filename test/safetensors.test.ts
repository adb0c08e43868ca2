// The safetensors reader: round trip, dtype conversion, and a clear error for every kind of malformed file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { floatToHalf, SafetensorsFile, writeSafetensors } from "../src/weights/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "sdts-st-"));

/** A file from a raw header object and data bytes (the header is padded to 8 bytes like the real writer). */
function rawFile(name: string, header: unknown, data: Uint8Array, lengthOverride?: bigint): string {
  let json = typeof header === "string" ? header : JSON.stringify(header);
  while (Buffer.byteLength(json) % 8) json += " ";
  const h = Buffer.from(json);
  const buf = Buffer.alloc(8 + h.length + data.length);
  buf.writeBigUInt64LE(lengthOverride ?? BigInt(h.length), 0);
  h.copy(buf, 8);
  Buffer.from(data).copy(buf, 8 + h.length);
  const path = join(dir, name);
  writeFileSync(path, buf);
  return path;
}

const f32bytes = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

test("round trip F32, F16 and BF16 to float32", () => {
  const path = join(dir, "ok.safetensors");
  const half = new Uint16Array([floatToHalf(1.5), floatToHalf(-2), floatToHalf(65504)]);
  const bf = new Uint16Array([0x3fc0, 0xc000]); // 1.5, -2
  writeSafetensors(path, { a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, h: { shape: [3], data: half, dtype: "F16" }, b: { shape: [2], data: bf, dtype: "BF16" } }, { format: "pt" });
  const f = SafetensorsFile.open(path);
  assert.deepEqual(f.names(), ["a", "h", "b"]);
  assert.deepEqual([...f.readF32("a")], [1, 2, 3, 4]);
  assert.deepEqual([...f.readF32("h")], [1.5, -2, 65504]);
  assert.deepEqual([...f.readF32("b")], [1.5, -2]);
  assert.equal(f.metadata.format, "pt");
  f.close();
});

const cases: Array<[string, () => string, RegExp]> = [
  ["file shorter than 8 bytes", () => { const p = join(dir, "tiny.safetensors"); writeFileSync(p, Buffer.from([1, 2, 3])); return p; }, /too short/],
  ["header length past the end", () => rawFile("hlen.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32bytes(1), 1n << 40n), /past the end of the file/],
  ["non-JSON header", () => rawFile("json.safetensors", "{not json", new Uint8Array(0)), /not valid JSON/],
  ["header not an object", () => rawFile("arr.safetensors", "[1, 2]", new Uint8Array(0)), /not an object/],
  ["truncated data", () => rawFile("trunc.safetensors", { a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32bytes(1, 2)), /outside the data section/],
  ["offsets out of range", () => rawFile("oob.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [100, 104] } }, f32bytes(1)), /outside the data section/],
  ["overlapping tensors", () => rawFile("overlap.safetensors", { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32bytes(1, 2, 3)), /overlap/],
  ["dtype × shape ≠ byte length", () => rawFile("size.safetensors", { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32bytes(1, 2)), /= 12 bytes, but data_offsets \[0, 8\] hold 8/],
  ["unknown dtype", () => rawFile("dtype.safetensors", { a: { dtype: "F99", shape: [1], data_offsets: [0, 4] } }, f32bytes(1)), /unsupported dtype "F99"/],
  ["negative shape", () => rawFile("shape.safetensors", { a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32bytes(1)), /shape/],
  ["end before begin", () => rawFile("rev.safetensors", { a: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, f32bytes(1)), /end before begin/],
  ["huge claimed tensor", () => rawFile("huge.safetensors", { a: { dtype: "F32", shape: [1e9, 1e3], data_offsets: [0, 4e12] } }, f32bytes(1)), /outside the data section/],
];

for (const [what, make, message] of cases) {
  test(`malformed: ${what} gives a clear error naming the file`, () => {
    const path = make();
    assert.throws(() => SafetensorsFile.open(path), (err: Error) => {
      assert.match(err.message, message);
      assert.ok(err.message.includes(path), `error should name the file: ${err.message}`);
      return true;
    });
  });
}

test("missing file and missing tensor name the path", () => {
  assert.throws(() => SafetensorsFile.open(join(dir, "nope.safetensors")), /nope\.safetensors: cannot open/);
  const path = rawFile("one.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32bytes(7));
  const f = SafetensorsFile.open(path);
  assert.throws(() => f.readF32("b"), /no tensor named "b"/);
  f.close();
});
