// diffusers' `AutoencoderKL` as Stable Diffusion uses it. Two directions, and where the scaling factor goes:
//
//   decode (text-to-image output):
//     latents [B, 4, h, w] from the denoising loop
//     z = latents / scaling_factor                       unscaleLatents()   (float32 division, as torch)
//     sample = decoder(post_quant_conv(z))               decode(z)          [B, 3, 8h, 8w], roughly in [-1, 1]
//     decodeLatents(latents) = decode(unscaleLatents(latents))
//
//   encode (img2img input):
//     image [B, 3, H, W] in [-1, 1]
//     moments = quant_conv(encoder(image))               encode(image)      → DiagonalGaussianDistribution
//     latents = dist.sample(noise) (or dist.mean) · scaling_factor          scaleLatents()
//
// Parameters (diffusers' state-dict names and order): encoder.*, decoder.*, quant_conv.*, post_quant_conv.*.
import { Conv2d } from "../../nn/Conv2d.js";
import { Module } from "../../nn/Module.js";
import { scale, tidy } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";
import { retainTraced, scoped, type TraceFn } from "../common/trace.js";
import type { AutoencoderKLConfig } from "./AutoencoderKLConfig.js";
import { Decoder } from "./Decoder.js";
import { DiagonalGaussianDistribution } from "./DiagonalGaussianDistribution.js";
import { Encoder } from "./Encoder.js";

export class AutoencoderKL extends Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly quant_conv: Conv2d;
  readonly post_quant_conv: Conv2d;

  constructor(readonly config: AutoencoderKLConfig) {
    super();
    const L = config.latentChannels;
    this.encoder = this.add("encoder", new Encoder(config));
    this.decoder = this.add("decoder", new Decoder(config));
    this.quant_conv = this.add("quant_conv", new Conv2d(2 * L, 2 * L, 1));
    this.post_quant_conv = this.add("post_quant_conv", new Conv2d(L, L, 1));
  }

  /** Pixels per latent along each axis (8 for SD1.x); images to encode must be multiples of it. */
  get spatialScale(): number {
    return this.encoder.sizeMultiple; // one halving per encoder downsampler, one doubling per decoder upsampler
  }

  /**
   * image [B, 3, H, W] in [-1, 1], H and W multiples of `spatialScale` → the latent distribution
   * (moments [B, 2·latent, H/f, W/f]; mean, logvar, std [B, latent, H/f, W/f]). Trace: `encoder.*`, `quant_conv`.
   */
  async encode(image: Tensor, traceFn?: TraceFn): Promise<DiagonalGaussianDistribution> {
    const trace = retainTraced(traceFn); // traced tensors outlive the tidy() scopes, for the caller to read
    const moments = tidy(image.backend, () => {
      const h = this.encoder.forward(image, scoped(trace, "encoder"));
      const m = this.quant_conv.forward(h);
      trace?.("quant_conv", m);
      return m;
    });
    return DiagonalGaussianDistribution.fromMoments(moments);
  }

  /**
   * z [B, latent, h, w] — already divided by the scaling factor — → sample [B, 3, h·f, w·f].
   * Trace: `post_quant_conv`, `decoder.*`.
   */
  decode(z: Tensor, traceFn?: TraceFn): Tensor {
    if (z.rank !== 4 || z.shape[1] !== this.config.latentChannels) {
      throw new ShapeError(`VAE decode: z ${shapeStr(z.shape)} should be [B, ${this.config.latentChannels}, h, w]`);
    }
    const trace = retainTraced(traceFn); // traced tensors outlive the tidy() scopes, for the caller to read
    return tidy(z.backend, () => {
      const h = this.post_quant_conv.forward(z);
      trace?.("post_quant_conv", h);
      return this.decoder.forward(h, scoped(trace, "decoder"));
    });
  }

  /** The denoising loop's latents → decoded sample: decode(latents / scaling_factor). */
  async decodeLatents(latents: Tensor, trace?: TraceFn): Promise<Tensor> {
    return this.decode(await this.unscaleLatents(latents), trace);
  }

  /**
   * latents / scaling_factor, as torch divides a float32 tensor by a Python float: the factor rounded to
   * float32, then one correctly rounded float32 division per element. (Multiplying by 1/scaling_factor is up
   * to 1 ulp off.) Runs on the host: the backend has no division kernel and the tensor is small.
   */
  async unscaleLatents(latents: Tensor): Promise<Tensor> {
    const d = Math.fround(this.config.scalingFactor);
    const x = await latents.toArray();
    // A quotient of two float32 values computed in float64 and rounded once is the correctly rounded float32 quotient.
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i]! / d;
    return latents.backend.fromArray(out, latents.shape);
  }

  /** x · scaling_factor (encoder mean or sample → the UNet's latent space), float32 like torch. */
  scaleLatents(x: Tensor): Tensor {
    // The factor rounded to float32 first (torch casts the Python float to the tensor's dtype); the product of two
    // float32 values is exact in float64, so the backend's single rounding gives torch's float32 product.
    return scale(x, Math.fround(this.config.scalingFactor));
  }
}
