// safetensors reader and writer.
//
// Layout: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__"?},
// then the raw little-endian data. The header is validated completely against the real file size before
// any tensor buffer is allocated, so a hostile header cannot make us allocate what the file does not hold.
// Tensors are read one at a time (the SD1.5 UNet is 3.4 GB in fp32: never one giant buffer).
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from "node:fs";

export type SafetensorsDtype = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Largest header we accept: real checkpoints have headers of a few hundred KB. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "SafetensorsError";
  }
}

function isFloatDtype(d: SafetensorsDtype): boolean {
  return d === "F32" || d === "F16" || d === "BF16" || d === "F64";
}

/** An open safetensors file with a validated header; tensors are read on demand. */
export class SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  private readonly tensors: Map<string, TensorInfo>;
  private fd: number | null;

  private constructor(readonly path: string, fd: number, tensors: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.fd = fd;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw new SafetensorsError(path, `cannot open: ${(err as Error).message}`);
    }
    try {
      const { tensors, metadata } = parseHeader(path, fd);
      return new SafetensorsFile(path, fd, tensors, metadata);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(this.path, `no tensor named "${name}"`);
    return info;
  }

  infos(): TensorInfo[] {
    return [...this.tensors.values()];
  }

  /** Raw bytes of one tensor. */
  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    const bytes = new Uint8Array(info.end - info.begin);
    this.readInto(name, bytes);
    return bytes;
  }

  /** Reads tensor `name`'s bytes into `bytes` (exactly its size). */
  private readInto(name: string, bytes: Uint8Array): void {
    const info = this.info(name);
    if (this.fd === null) throw new SafetensorsError(this.path, "file is closed");
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, bytes.length - done, info.begin + done);
      if (n <= 0) throw new SafetensorsError(this.path, `unexpected end of file while reading "${name}"`);
      done += n;
    }
  }

  /**
   * Reused for the raw bytes of 16-bit tensors, which never leave readF32: loading a network then leaves one
   * float32 array per tensor for the garbage collector instead of two (the freed malloc heap stays resident).
   */
  private scratch: Uint8Array | null = null;

  /** A float tensor (F32, F16, BF16 or F64) converted to float32. */
  readF32(name: string): Float32Array {
    const info = this.info(name);
    if (!isFloatDtype(info.dtype)) {
      throw new SafetensorsError(this.path, `tensor "${name}" has dtype ${info.dtype}, expected a float dtype (F32, F16, BF16, F64)`);
    }
    const size = info.end - info.begin;
    if (info.dtype === "F32") {
      // Straight into the (aligned) result, no intermediate copy.
      const out = new Float32Array(size / 4);
      this.readInto(name, new Uint8Array(out.buffer));
      return out;
    }
    if (info.dtype === "F16" || info.dtype === "BF16") {
      if (!this.scratch || this.scratch.byteLength < size) this.scratch = new Uint8Array(size);
      const bytes = this.scratch.subarray(0, size);
      this.readInto(name, bytes);
      return toFloat32(bytes, info.dtype);
    }
    return toFloat32(this.readBytes(name), info.dtype);
  }

  /** A float tensor as float64 (for F64 reference data; other float dtypes are widened). */
  readF64(name: string): Float64Array {
    const info = this.info(name);
    const bytes = this.readBytes(name);
    if (info.dtype === "F64") return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    return Float64Array.from(this.readF32(name));
  }

  /** An integer tensor (I64, I32, I16, I8, U8) as numbers; I64 values beyond 2^53 are rejected. */
  readInts(name: string): number[] {
    const info = this.info(name);
    const b = this.readBytes(name);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = b.byteLength / DTYPE_BYTES[info.dtype];
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      switch (info.dtype) {
        case "I64": {
          const v = view.getBigInt64(i * 8, true);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
            throw new SafetensorsError(this.path, `tensor "${name}" element ${i} (${v}) does not fit a JS number`);
          }
          out[i] = Number(v);
          break;
        }
        case "I32": out[i] = view.getInt32(i * 4, true); break;
        case "I16": out[i] = view.getInt16(i * 2, true); break;
        case "I8": out[i] = view.getInt8(i); break;
        case "U8": case "BOOL": out[i] = view.getUint8(i); break;
        default:
          throw new SafetensorsError(this.path, `tensor "${name}" has dtype ${info.dtype}, expected an integer dtype`);
      }
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.scratch = null;
  }
}

function parseHeader(path: string, fd: number): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new SafetensorsError(path, `file is ${fileSize} bytes, too short for the 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  readSync(fd, lenBuf, 0, 8, 0);
  const headerLen = lenBuf.readBigUInt64LE(0);
  if (headerLen > BigInt(fileSize - 8)) {
    throw new SafetensorsError(path, `header length ${headerLen} runs past the end of the file (${fileSize} bytes): truncated or not a safetensors file`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(path, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLen);
  if (n < 2) throw new SafetensorsError(path, `header length ${n} is too small to hold a JSON object`);
  const headerBuf = Buffer.alloc(n);
  readSync(fd, headerBuf, 0, n, 8);
  let json: unknown;
  try {
    json = JSON.parse(headerBuf.toString("utf8"));
  } catch (err) {
    throw new SafetensorsError(path, `header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SafetensorsError(path, "header JSON is not an object");
  }
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SafetensorsError(path, "__metadata__ is not an object");
      metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    if (typeof raw !== "object" || raw === null) throw new SafetensorsError(path, `tensor "${name}": entry is not an object`);
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== "string" || !(e.dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(path, `tensor "${name}": unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(", ")})`);
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(path, `tensor "${name}": shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    }
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(path, `tensor "${name}": data_offsets ${JSON.stringify(off)} is not [begin, end]`);
    }
    const [b, en] = off as [number, number];
    if (en < b) throw new SafetensorsError(path, `tensor "${name}": data_offsets [${b}, ${en}] end before begin`);
    if (en > dataSize) {
      throw new SafetensorsError(path, `tensor "${name}": data_offsets [${b}, ${en}] lie outside the data section (${dataSize} bytes): file truncated or header corrupt`);
    }
    let numel = 1;
    for (const d of shape) numel *= d;
    const expectBytes = numel * DTYPE_BYTES[dtype];
    if (expectBytes !== en - b) {
      throw new SafetensorsError(path, `tensor "${name}": dtype ${dtype} × shape [${shape.join(", ")}] = ${expectBytes} bytes, but data_offsets [${b}, ${en}] hold ${en - b}`);
    }
    tensors.set(name, { name, dtype, shape, begin: dataStart + b, end: dataStart + en });
  }
  // No two tensors may share bytes.
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.begin < sorted[i - 1]!.end) {
      throw new SafetensorsError(path, `tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap in the data section`);
    }
  }
  return { tensors, metadata };
}

/** Decode little-endian F32/F16/BF16/F64 bytes to float32. */
export function toFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  switch (dtype) {
    case "F32": {
      // Copy into an aligned buffer (the source may sit at any byte offset).
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case "F64": {
      const src = new Float64Array(bytes.byteLength / 8);
      new Uint8Array(src.buffer).set(bytes);
      return Float32Array.from(src);
    }
    case "F16": {
      const n = bytes.byteLength / 2;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
      return out;
    }
    case "BF16": {
      const n = bytes.byteLength / 2;
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new Error(`cannot convert dtype ${dtype} to float32`);
  }
}

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

export function halfToFloat(h: number): number {
  return HALF_TABLE[h & 0xffff]!;
}

/** IEEE half from a float (round to nearest even). */
export function floatToHalf(f: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f, true);
  const x = buf.getUint32(0, true);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array;
  /** F32 by default; F16/BF16 take Uint16Array bit patterns. */
  readonly dtype?: "F32" | "F16" | "BF16";
}

/** Write tensors (in the given order) to a safetensors file. */
export function writeSafetensors(path: string, tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype ?? "F32", shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((Buffer.byteLength(json) % 8) !== 0) json += " ";
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  writeFileSync(path, out);
}
