// Floating-point operations of one UNet forward, from the config alone: every convolution, linear layer and
// attention matmul (QKᵀ and PV) at 2 FLOPs per multiply-add. Norms, activations, softmax and adds are not
// counted (they are a fraction of a percent). Used by `sdts bench` for effective GFLOP/s; for SD1.5 at
// [2, 4, 64, 64] with a 77-token context it gives ≈ 1.354 TFLOP.
import type { UNetConfig } from "./UNetConfig.js";

export interface UNetFlops {
  readonly total: number;
  readonly conv: number;
  readonly linear: number;
  /** QKᵀ and PV of self- and cross-attention. */
  readonly attention: number;
}

/** FLOPs of `UNet2DConditionModel.forward` on [batch, in, h, w] latents with a `contextLength`-token context. */
export function unetFlops(config: UNetConfig, batch: number, h: number, w: number, contextLength = 77): UNetFlops {
  const B = batch;
  const ch = config.blockOutChannels;
  const levels = ch.length;
  const L = config.layersPerBlock;
  const temb = ch[0]! * 4;
  let conv = 0, linear = 0, attention = 0;

  const conv2d = (cin: number, cout: number, k: number, oh: number, ow: number): void => {
    conv += 2 * B * cout * oh * ow * cin * k * k;
  };
  const lin = (rows: number, inF: number, outF: number): void => {
    linear += 2 * rows * inF * outF;
  };
  const resnet = (cin: number, cout: number, hh: number, ww: number): void => {
    conv2d(cin, cout, 3, hh, ww);
    lin(B, temb, cout); // time_emb_proj
    conv2d(cout, cout, 3, hh, ww);
    if (cin !== cout) conv2d(cin, cout, 1, hh, ww); // conv_shortcut
  };
  const transformer = (c: number, hh: number, ww: number): void => {
    const T = hh * ww, rows = B * T, S = contextLength;
    conv2d(c, c, 1, hh, ww); // proj_in
    // attn1 (self): q, k, v, out projections; QKᵀ and PV over T keys
    lin(rows, c, c); lin(rows, c, c); lin(rows, c, c); lin(rows, c, c);
    attention += 2 * 2 * B * T * T * c;
    // attn2 (cross): q and out on tokens, k and v on the context
    lin(rows, c, c); lin(B * S, config.crossAttentionDim, c); lin(B * S, config.crossAttentionDim, c); lin(rows, c, c);
    attention += 2 * 2 * B * T * S * c;
    // feed-forward: GEGLU projection to 2·4c, then 4c → c
    lin(rows, c, 8 * c); lin(rows, 4 * c, c);
    conv2d(c, c, 1, hh, ww); // proj_out
  };

  // time embedding, conv_in
  lin(B, ch[0]!, temb);
  lin(B, temb, temb);
  conv2d(config.inChannels, ch[0]!, 3, h, w);

  // down blocks
  let hh = h, ww = w;
  config.downBlockTypes.forEach((type, i) => {
    for (let j = 0; j < L; j++) {
      resnet(j === 0 ? (i === 0 ? ch[0]! : ch[i - 1]!) : ch[i]!, ch[i]!, hh, ww);
      if (type === "CrossAttnDownBlock2D") transformer(ch[i]!, hh, ww);
    }
    if (i < levels - 1) {
      // stride-2 conv: output is ceil(h/2) for padding 1
      const oh = Math.floor((hh + 2 * config.downsamplePadding - 3) / 2) + 1;
      const ow = Math.floor((ww + 2 * config.downsamplePadding - 3) / 2) + 1;
      conv2d(ch[i]!, ch[i]!, 3, oh, ow);
      hh = oh;
      ww = ow;
    }
  });

  // mid block
  const last = ch[levels - 1]!;
  resnet(last, last, hh, ww);
  transformer(last, hh, ww);
  resnet(last, last, hh, ww);

  // up blocks: resnet j sees the previous output (or the block input) concatenated with one skip tensor
  const rev = [...ch].reverse();
  config.upBlockTypes.forEach((type, i) => {
    const out = rev[i]!, prev = rev[Math.max(i - 1, 0)]!, inCh = rev[Math.min(i + 1, levels - 1)]!;
    for (let j = 0; j <= L; j++) {
      const skip = j === L ? inCh : out;
      resnet((j === 0 ? prev : out) + skip, out, hh, ww);
      if (type === "CrossAttnUpBlock2D") transformer(out, hh, ww);
    }
    if (i < levels - 1) {
      hh *= 2;
      ww *= 2;
      conv2d(out, out, 3, hh, ww);
    }
  });

  conv2d(ch[0]!, config.outChannels, 3, hh, ww); // conv_out
  return { total: conv + linear + attention, conv, linear, attention };
}
