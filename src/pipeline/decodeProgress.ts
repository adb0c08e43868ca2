// Progress through a VAE decode, which is one long synchronous call: the decoder's trace hook reports each
// finished resnet / upsampler, weighted by its approximate cost (H·W·C² per 3×3 convolution), so a progress bar
// advances roughly in proportion to time. For display only; no effect on the numbers.
import type { TraceFn } from "../models/common/trace.js";
import type { AutoencoderKLConfig } from "../models/vae/AutoencoderKLConfig.js";

/** Trace name → work units, for a decode of latents [*, *, h, w]. */
export function decoderWorkPlan(config: AutoencoderKLConfig, h: number, w: number): Map<string, number> {
  const plan = new Map<string, number>();
  const channels = [...config.blockOutChannels].reverse();
  const levels = channels.length;
  const cMid = channels[0]!;
  plan.set("decoder.mid_block", 2 * 2 * h * w * cMid * cMid); // two resnets, two convs each
  for (let i = 0; i < levels; i++) {
    const c = channels[i]!;
    const hi = h * 2 ** i;
    const wi = w * 2 ** i;
    for (let j = 0; j < config.layersPerBlock + 1; j++) plan.set(`decoder.up_blocks.${i}.resnets.${j}`, 2 * hi * wi * c * c);
    if (i < levels - 1) plan.set(`decoder.up_blocks.${i}.upsamplers.0`, 4 * hi * wi * c * c);
  }
  return plan;
}

/** A trace function that reports (done, total) work units as the decoder advances. */
export function decodeProgressTrace(config: AutoencoderKLConfig, h: number, w: number, report: (done: number, total: number) => void): { trace: TraceFn; total: number } {
  const plan = decoderWorkPlan(config, h, w);
  const total = [...plan.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  const count = (name: string): void => {
    const work = plan.get(name);
    if (work === undefined) return;
    done += work;
    report(done, total);
  };
  // Transient: it keeps no tensor, so the decoder's tidy() scopes still reuse the traced tensors' memory.
  const trace: TraceFn = Object.assign(count, { transient: true });
  return { trace, total };
}
