// The SD1.x UNet (diffusers `UNet2DConditionModel`), read top to bottom like the seed's walkthrough:
//   1. time:   timestep → sinusoid t_emb [B, C0] → time_embedding → emb [B, 4·C0]
//   2. conv_in: latents [B, 4, h, w] → [B, C0, h, w]
//   3. down blocks: each returns its output and skip tensors (after every resnet/attention pair and after
//      the downsampler); conv_in's output is the first skip tensor
//   4. mid block at the lowest resolution
//   5. up blocks: each consumes layers_per_block + 1 skip tensors, last produced first
//   6. out: GroupNorm → SiLU → conv_out → predicted noise [B, 4, h, w]
// SD1.5: C0 = 320, levels (320, 640, 1280, 1280), 8 heads everywhere, text context [B, 77, 768].
import { Conv2d } from "../../nn/Conv2d.js";
import { GroupNorm } from "../../nn/GroupNorm.js";
import { Module, ModuleList } from "../../nn/Module.js";
import { sequential, silu, tidy } from "../../tensor/ops.js";
import { ShapeError, shapeStr, type Tensor } from "../../tensor/Tensor.js";
import { retainTraced, scoped, traced, type TraceFn } from "../common/trace.js";
import { CrossAttnDownBlock2D, type DownBlockOptions } from "./CrossAttnDownBlock2D.js";
import { CrossAttnUpBlock2D, type UpBlockOptions } from "./CrossAttnUpBlock2D.js";
import { DownBlock2D } from "./DownBlock2D.js";
import { TimestepEmbedding } from "./TimestepEmbedding.js";
import { Timesteps } from "./Timesteps.js";
import type { UNetConfig } from "./UNetConfig.js";
import { UNetMidBlock2DCrossAttn } from "./UNetMidBlock2DCrossAttn.js";
import { UpBlock2D } from "./UpBlock2D.js";

export type DownBlock = CrossAttnDownBlock2D | DownBlock2D;
export type UpBlock = CrossAttnUpBlock2D | UpBlock2D;

export class UNet2DConditionModel extends Module {
  readonly conv_in: Conv2d;
  readonly time_proj: Timesteps;
  readonly time_embedding: TimestepEmbedding;
  readonly down_blocks: ModuleList<DownBlock>;
  readonly up_blocks: ModuleList<UpBlock>;
  readonly mid_block: UNetMidBlock2DCrossAttn;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(readonly config: UNetConfig) {
    super();
    const c = config;
    const ch = c.blockOutChannels;
    const levels = ch.length;
    const tembChannels = ch[0]! * 4;
    const common = { tembChannels, groups: c.normNumGroups, eps: c.normEps };

    this.conv_in = this.add("conv_in", new Conv2d(c.inChannels, ch[0]!, 3, 1, 1));
    this.time_proj = this.add("time_proj", new Timesteps(ch[0]!, c.flipSinToCos, c.freqShift));
    this.time_embedding = this.add("time_embedding", new TimestepEmbedding(ch[0]!, tembChannels));

    this.down_blocks = this.add("down_blocks", new ModuleList(c.downBlockTypes.map((type, i): DownBlock => {
      const o: DownBlockOptions = {
        ...common, inChannels: i === 0 ? ch[0]! : ch[i - 1]!, outChannels: ch[i]!, layers: c.layersPerBlock,
        addDownsample: i < levels - 1, downsamplePadding: c.downsamplePadding,
      };
      return type === "CrossAttnDownBlock2D" ? new CrossAttnDownBlock2D(o, c.attentionHeads[i]!, c.crossAttentionDim) : new DownBlock2D(o);
    })));

    const reversedCh = [...ch].reverse();
    const reversedHeads = [...c.attentionHeads].reverse();
    this.up_blocks = this.add("up_blocks", new ModuleList(c.upBlockTypes.map((type, i): UpBlock => {
      const o: UpBlockOptions = {
        ...common, inChannels: reversedCh[Math.min(i + 1, levels - 1)]!, outChannels: reversedCh[i]!,
        prevOutputChannels: reversedCh[Math.max(i - 1, 0)]!, layers: c.layersPerBlock + 1, addUpsample: i < levels - 1,
      };
      return type === "CrossAttnUpBlock2D" ? new CrossAttnUpBlock2D(o, reversedHeads[i]!, c.crossAttentionDim) : new UpBlock2D(o);
    })));

    this.mid_block = this.add("mid_block", new UNetMidBlock2DCrossAttn(
      ch[levels - 1]!, tembChannels, c.attentionHeads[levels - 1]!, c.crossAttentionDim, c.normNumGroups, c.normEps));
    this.conv_norm_out = this.add("conv_norm_out", new GroupNorm(c.normNumGroups, ch[0]!, c.normEps));
    this.conv_out = this.add("conv_out", new Conv2d(ch[0]!, c.outChannels, 3, 1, 1));
  }

  /** Latent height and width must be multiples of this (one halving per downsampler). */
  get sizeMultiple(): number {
    return 2 ** (this.config.blockOutChannels.length - 1);
  }

  /**
   * sample [B, 4, h, w], timestep (one for the batch, or one per sample), encoderHiddenStates [B, S, D]
   * → predicted noise [B, 4, h, w].
   */
  forward(sample: Tensor, timestep: number | readonly number[], encoderHiddenStates: Tensor, traceFn?: TraceFn): Tensor {
    this.checkInputs(sample, encoderHiddenStates);
    const B = sample.dim(0);
    const timesteps = typeof timestep === "number" ? Array<number>(B).fill(timestep)
      : timestep.length === 1 ? Array<number>(B).fill(timestep[0]!) : [...timestep];
    if (timesteps.length !== B || timesteps.some((t) => !Number.isFinite(t))) {
      throw new ShapeError(`UNet: got ${timesteps.length} timesteps for a batch of ${B} (give one, or one per sample, all finite)`);
    }

    // Every activation but the output is released by the time the forward returns (tidy), most as soon as they
    // are dead: the next forward reuses the memory. Traced tensors are kept for the caller.
    const trace = retainTraced(traceFn);
    const backend = sample.backend;
    return tidy(backend, () => {
      // 1. time
      const tEmb = traced(trace, "t_emb", this.time_proj.forward(timesteps, backend)); // [B, C0]
      const emb = traced(trace, "emb", this.time_embedding.forward(tEmb)); // [B, 4·C0]

      // 2. pre-process
      let h = traced(trace, "conv_in", this.conv_in.forward(sample)); // [B, C0, h, w]

      // 3. down
      const skips: Tensor[] = [h];
      this.down_blocks.items.forEach((block, i) => {
        const out = block.forward(h, emb, encoderHiddenStates, scoped(trace, `down_blocks.${i}`));
        h = traced(trace, `down_blocks.${i}.hidden_states`, out.hidden); // [B, C_i, h/2^(i+1), w/2^(i+1)] (no halving at the last level)
        out.resSamples.forEach((r, j) => trace?.(`down_blocks.${i}.res_samples.${j}`, r));
        skips.push(...out.resSamples);
      });

      // 4. mid
      h = traced(trace, "mid_block", this.mid_block.forward(h, emb, encoderHiddenStates, scoped(trace, "mid_block")));

      // 5. up: each block takes the last (layers_per_block + 1) skip tensors, which die with it, as does its input
      this.up_blocks.items.forEach((block, i) => {
        const n = block.resnets.length;
        const blockSkips = skips.splice(skips.length - n, n);
        const input = h;
        h = tidy(backend, () => block.forward(input, blockSkips, emb, encoderHiddenStates, scoped(trace, `up_blocks.${i}`)),
          [input, ...blockSkips]);
        trace?.(`up_blocks.${i}`, h);
      });

      // 6. post-process
      return sequential(h,
        (h) => traced(trace, "conv_norm_out", this.conv_norm_out.forward(h)), // [B, C0, h, w]
        (h) => traced(trace, "conv_act", silu(h)),
        (h) => this.conv_out.forward(h), // [B, 4, h, w]
      );
    });
  }

  private checkInputs(sample: Tensor, context: Tensor): void {
    const c = this.config;
    if (sample.rank !== 4 || sample.shape[1] !== c.inChannels) {
      throw new ShapeError(`UNet: sample ${shapeStr(sample.shape)} should be [B, ${c.inChannels}, h, w]`);
    }
    const [B, , H, W] = sample.shape as [number, number, number, number];
    const m = this.sizeMultiple;
    if (H % m !== 0 || W % m !== 0 || H === 0 || W === 0) {
      throw new ShapeError(`UNet: latent size ${H}×${W} must be a positive multiple of ${m} (one halving per downsampler; image size a multiple of ${8 * m} pixels)`);
    }
    if (context.rank !== 3 || context.shape[0] !== B || context.shape[2] !== c.crossAttentionDim) {
      throw new ShapeError(`UNet: encoder_hidden_states ${shapeStr(context.shape)} should be [${B}, tokens, ${c.crossAttentionDim}]`);
    }
  }
}
