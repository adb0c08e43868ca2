// Between pixels and the VAE's [-1, 1] tensors, rounded exactly as diffusers' VaeImageProcessor does it:
//   output: postprocess → (sample / 2 + 0.5).clamp(0, 1) in float32 → NHWC → numpy_to_pil:
//           (images · 255).round() (float32 product, round half to even) → uint8
//   input:  pil_to_numpy: uint8 / 255.0 (float32) → normalize: 2·x − 1 (float32)
// Resizing (diffusers resizes to a multiple of 8 with Lanczos) is not done here: give pixels at the final size.
import type { Backend } from "../../backend/Backend.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";

const f32 = Math.fround;

/** 8-bit RGB pixels, row-major, interleaved (HWC): `data[(y·width + x)·3 + c]`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** (x / 2 + 0.5).clamp(0, 1), elementwise in float32: the pipeline's denormalize step (NaN stays NaN, as torch). */
export function denormalize(sample: Float32Array): Float32Array {
  const out = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) {
    const v = f32(sample[i]! / 2 + 0.5); // x/2 is exact; one rounding for the sum, as torch's float32 add
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** numpy's round (half to even) of a non-negative value. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** One value in [0, 1] (float32) → its byte, as numpy_to_pil: round(float32(v · 255)). NaN → 0. */
export function toByte(v01: number): number {
  if (!(v01 >= 0)) return 0;
  return Math.min(255, roundHalfEven(f32(v01 * 255)));
}

/**
 * Decoded samples [B, 3, H, W] (roughly [-1, 1]) → one 8-bit RGB image per batch entry, byte-identical to
 * diffusers' `image_processor.postprocess(sample, output_type="pil")`.
 */
export async function imageFromDecoded(sample: Tensor): Promise<RgbImage[]> {
  if (sample.rank !== 4 || sample.shape[1] !== 3) {
    throw new ShapeError(`imageFromDecoded: sample ${shapeStr(sample.shape)} should be [B, 3, H, W]`);
  }
  const [B, C, H, W] = sample.shape as [number, number, number, number];
  const v = denormalize(await sample.toArray());
  const images: RgbImage[] = [];
  for (let b = 0; b < B; b++) {
    const data = new Uint8Array(H * W * 3);
    for (let c = 0; c < C; c++) {
      const plane = (b * C + c) * H * W;
      for (let p = 0; p < H * W; p++) data[p * 3 + c] = toByte(v[plane + p]!);
    }
    images.push({ width: W, height: H, data });
  }
  return images;
}

/**
 * 8-bit pixels, row-major interleaved with 3 (RGB) or 4 (RGBA: alpha dropped, as PIL's convert("RGB")) channels
 * → the encoder's input [1, 3, height, width] in [-1, 1]: float32(2·float32(byte / 255) − 1), as diffusers'
 * VaeImageProcessor.preprocess. For encoding, width and height must be multiples of the VAE's spatial scale (8).
 */
export function imageToInput(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, backend: Backend, channels: 3 | 4 = 3): Tensor {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(`imageToInput: width ${width} and height ${height} must be positive integers`);
  }
  if (pixels.length !== width * height * channels) {
    throw new ShapeError(`imageToInput: ${pixels.length} bytes for a ${width}×${height} image with ${channels} channels (expected ${width * height * channels})`);
  }
  // The 256 possible values, computed once.
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = 2 * f32(b / 255) - 1; // 2·x is exact; one rounding for the difference
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[c * n + p] = table[pixels[p * channels + c]!]!;
  }
  return backend.fromArray(out, [1, 3, height, width]);
}
