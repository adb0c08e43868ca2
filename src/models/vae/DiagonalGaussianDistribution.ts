// diffusers' `DiagonalGaussianDistribution`: the encoder's latent distribution, from quant_conv's output
//   moments [B, 2·latent, h, w] → mean = first `latent` channels, logvar = the rest clamped to [−30, 20],
//   std = exp(0.5·logvar).
// These few elementwise steps (clamp, exp) run on the host in float32: the tensor is small ([B, 8, h, w];
// 32 KB for a 512×512 image) and the backend interface has no exp/clamp kernels.
import type { Tensor } from "../../tensor/Tensor.js";
import { ShapeError, shapeStr } from "../../tensor/Tensor.js";

const f32 = Math.fround;

export class DiagonalGaussianDistribution {
  private constructor(
    /** quant_conv output [B, 2·latent, h, w] (mean channels first). */
    readonly moments: Tensor,
    /** [B, latent, h, w] */
    readonly mean: Tensor,
    /** Clamped log-variance [B, latent, h, w]. */
    readonly logvar: Tensor,
    /** exp(0.5·logvar) [B, latent, h, w]. */
    readonly std: Tensor,
    private readonly meanData: Float32Array,
    private readonly stdData: Float32Array,
  ) {}

  static async fromMoments(moments: Tensor): Promise<DiagonalGaussianDistribution> {
    if (moments.rank !== 4 || moments.dim(1) % 2 !== 0) {
      throw new ShapeError(`DiagonalGaussianDistribution: moments ${shapeStr(moments.shape)} should be [B, 2·latent, h, w]`);
    }
    const [B, C2, h, w] = moments.shape as [number, number, number, number];
    const C = C2 / 2;
    const plane = C * h * w; // elements per half, per batch entry
    const m = await moments.toArray();
    const mean = new Float32Array(B * plane);
    const logvar = new Float32Array(B * plane);
    const std = new Float32Array(B * plane);
    for (let b = 0; b < B; b++) {
      // torch.chunk(moments, 2, dim=1): per batch entry, the first C channels then the last C.
      mean.set(m.subarray(b * 2 * plane, b * 2 * plane + plane), b * plane);
      for (let i = 0; i < plane; i++) {
        const lv = Math.min(Math.max(m[b * 2 * plane + plane + i]!, -30), 20);
        logvar[b * plane + i] = lv;
        // 0.5·lv is exact in float32; exp is rounded once to float32 (torch's float32 exp is within 1 ulp).
        std[b * plane + i] = Math.exp(0.5 * lv);
      }
    }
    const backend = moments.backend;
    const shape = [B, C, h, w];
    return new DiagonalGaussianDistribution(
      moments, backend.fromArray(mean, shape), backend.fromArray(logvar, shape), backend.fromArray(std, shape), mean, std,
    );
  }

  /**
   * mean + std·noise, with `noise` [B, latent, h, w] row-major: what diffusers draws with `randn_tensor`
   * (img2img's `latent_dist.sample(generator)`). Rounded like torch's float32: std·noise, then the sum.
   */
  sample(noise: Float32Array): Tensor {
    if (noise.length !== this.meanData.length) {
      throw new ShapeError(`DiagonalGaussianDistribution.sample: noise has ${noise.length} values, expected ${this.meanData.length} (${shapeStr(this.mean.shape)})`);
    }
    const out = new Float32Array(noise.length);
    for (let i = 0; i < out.length; i++) out[i] = this.meanData[i]! + f32(this.stdData[i]! * noise[i]!);
    return this.mean.backend.fromArray(out, this.mean.shape);
  }

  /** The distribution's mode (= mean), diffusers' `latent_dist.mode()` / `retrieve_latents(sample_mode="argmax")`. */
  mode(): Tensor {
    return this.mean;
  }
}
