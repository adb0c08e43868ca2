// PNG in and out. Pixels are encoded/decoded by pngjs; generation info is added the way AUTOMATIC1111 (through
// PIL's PngInfo) stores it — a text chunk with keyword `parameters` — so tools that read A1111 images (PNG Info
// tabs, image hosts) show how an image was made. pngjs writes no text chunks, so they are spliced into its output
// right after IHDR, each with its CRC-32.
//
// Chunk layout (PNG spec §5.3): length (u32 BE, data bytes only) · type (4 ASCII bytes) · data · CRC-32 of
// type + data. Text chunks (§11.3.4): tEXt = keyword · 0 · Latin-1 text; iTXt = keyword · 0 · compression flag 0 ·
// method 0 · language tag "" · 0 · translated keyword "" · 0 · UTF-8 text. Like PIL, text that is not Latin-1
// (emoji, CJK prompts) goes into iTXt.
import { readFileSync } from "node:fs";
import * as zlib from "node:zlib";
import { PNG } from "pngjs";
import type { RgbImage } from "../models/vae/imageConversion.js";

export type { RgbImage };

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function tableCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 (ISO-HDLC, the PNG/zlib one): node:zlib's when this Node has it (≥ 20.15), else a table. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  return typeof native === "function" ? native(data) >>> 0 : tableCrc32(data);
}

/** One complete chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`PNG chunk type must be 4 ASCII letters, got ${JSON.stringify(type)}`);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** A text chunk for keyword → text: tEXt when the text is Latin-1, else iTXt (UTF-8), as PIL's add_text does. */
export function textChunk(keyword: string, text: string): Buffer {
  if (keyword.length < 1 || keyword.length > 79 || !isLatin1(keyword) || keyword.includes("\0")) {
    throw new Error(`PNG text keyword must be 1–79 Latin-1 characters without NUL, got ${JSON.stringify(keyword)}`);
  }
  const key = Buffer.from(keyword, "latin1");
  if (isLatin1(text)) return pngChunk("tEXt", Buffer.concat([key, Buffer.from([0]), Buffer.from(text, "latin1")]));
  // keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL, text.
  return pngChunk("iTXt", Buffer.concat([key, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, "utf8")]));
}

interface RawChunk {
  readonly type: string;
  readonly data: Buffer;
  /** Offset of the chunk's length field. */
  readonly start: number;
  readonly end: number;
}

/** The chunks of a PNG file, CRCs checked. */
export function pngChunks(png: Buffer, source = "PNG data"): RawChunk[] {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${source} is not a PNG file (no PNG signature)`);
  const chunks: RawChunk[] = [];
  let pos = 8;
  while (pos < png.length) {
    if (pos + 12 > png.length) throw new Error(`${source}: truncated PNG chunk at byte ${pos}`);
    const length = png.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (end > png.length) throw new Error(`${source}: truncated PNG chunk at byte ${pos}`);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const crc = png.readUInt32BE(pos + 8 + length);
    if (crc32(png.subarray(pos + 4, pos + 8 + length)) !== crc) throw new Error(`${source}: CRC mismatch in PNG chunk ${type} at byte ${pos}`);
    chunks.push({ type, data: png.subarray(pos + 8, pos + 8 + length), start: pos, end });
    pos = end;
    if (type === "IEND") break;
  }
  return chunks;
}

/** `png` with `chunks` inserted right after IHDR (where PIL puts text chunks too). */
export function insertChunksAfterIHDR(png: Buffer, chunks: readonly Buffer[]): Buffer {
  const all = pngChunks(png);
  const ihdr = all[0];
  if (!ihdr || ihdr.type !== "IHDR") throw new Error("PNG data does not start with an IHDR chunk");
  return Buffer.concat([png.subarray(0, ihdr.end), ...chunks, png.subarray(ihdr.end)]);
}

/** Every tEXt / zTXt / iTXt chunk as keyword → text (later chunks win). */
export function readPngText(png: Buffer, source = "PNG data"): Map<string, string> {
  const out = new Map<string, string>();
  for (const { type, data } of pngChunks(png, source)) {
    const nul = data.indexOf(0);
    if (nul < 0 || !["tEXt", "zTXt", "iTXt"].includes(type)) continue;
    const keyword = data.toString("latin1", 0, nul);
    if (type === "tEXt") {
      out.set(keyword, data.toString("latin1", nul + 1));
    } else if (type === "zTXt") {
      out.set(keyword, zlib.inflateSync(data.subarray(nul + 2)).toString("latin1"));
    } else {
      const compressed = data[nul + 1] === 1;
      let p = nul + 3;
      p = data.indexOf(0, p) + 1; // language tag
      p = data.indexOf(0, p) + 1; // translated keyword
      if (p <= 0) continue;
      const body = data.subarray(p);
      out.set(keyword, (compressed ? zlib.inflateSync(body) : body).toString("utf8"));
    }
  }
  return out;
}

/** An 8-bit RGB PNG of `image`, with optional text chunks (keyword → text) after IHDR. */
export function encodePng(image: RgbImage, text: Readonly<Record<string, string>> = {}): Buffer {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) {
    throw new Error(`encodePng: ${data.length} bytes for a ${width}×${height} RGB image (expected ${width * height * 3})`);
  }
  // pngjs reads `data` as packed RGB when the input colour type is 2 without alpha; output colour type 2 (RGB).
  const meta = { width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } as unknown as PNG;
  const png = PNG.sync.write(meta, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 6 });
  const chunks = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return chunks.length ? insertChunksAfterIHDR(png, chunks) : png;
}

/** A decoded PNG as 8-bit RGBA (pngjs normalises grey, palette and 16-bit images to it). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** Row-major RGBA, 4 bytes per pixel. */
  readonly data: Uint8Array;
}

/** Decode PNG bytes; errors name `source`. */
export function decodePng(png: Buffer, source = "PNG data"): RgbaImage {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) {
    throw new Error(`${source} is not a PNG file (sdts reads PNG images only; convert JPEG/WebP images to PNG first)`);
  }
  let decoded: PNG;
  try {
    decoded = PNG.sync.read(png);
  } catch (err) {
    throw new Error(`${source}: cannot decode the PNG (${(err as Error).message})`);
  }
  return { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength) };
}

/** Read and decode a PNG file; errors name the file. */
export function readPngFile(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === "ENOENT" ? `${path} does not exist` : `cannot read ${path} (${e.message})`);
  }
  return decodePng(bytes, path);
}
