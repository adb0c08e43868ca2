// Progress bars for `sdts generate` on stderr (cli-progress): loading each network (tensors), denoising (steps,
// with step rate and ETA like tqdm's), VAE decoding (share of the decoder's work). Nothing is drawn when stderr
// is not a terminal, so logs and pipes stay clean.
import cliProgress from "cli-progress";
import type { NetworkName, PipelineProgress } from "../pipeline/StableDiffusionPipeline.js";

const LOAD_LABEL: Record<NetworkName, string> = { text_encoder: "Loading text encoder", unet: "Loading UNet", vae: "Loading VAE" };

/** tqdm-style rate: "2.31 it/s", or "4.2 s/it" when slower than one step per second. */
export function formatRate(steps: number, elapsedMs: number): string {
  if (steps <= 0 || elapsedMs <= 0) return "-- it/s";
  const perSecond = (steps * 1000) / elapsedMs;
  return perSecond >= 1 ? `${perSecond.toFixed(2)} it/s` : `${(1 / perSecond).toFixed(1)} s/it`;
}

export class GenerateProgress {
  private bar: cliProgress.SingleBar | null = null;
  private key = "";
  private readonly enabled: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true;
  }

  private open(key: string, label: string, total: number, initial: string): cliProgress.SingleBar | null {
    if (!this.enabled) return null;
    if (this.key === key && this.bar) return this.bar;
    this.stop();
    this.key = key;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `{label} |{bar}| {percentage}% | {progress} | {rate} | ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 8,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { label: label.padEnd(20), progress: initial, rate: "" });
    return this.bar;
  }

  /** Feed one pipeline event. */
  update(e: PipelineProgress): void {
    switch (e.phase) {
      case "load":
        this.open(`load:${e.network}`, LOAD_LABEL[e.network], e.total, `0/${e.total} tensors`)?.update(e.done, { progress: `${e.done}/${e.total} tensors` });
        if (e.done === e.total) this.stop();
        return;
      case "denoise":
        this.open("denoise", "Denoising", e.totalSteps, `0/${e.totalSteps} steps`)?.update(e.step, {
          progress: `${e.step}/${e.totalSteps} steps`,
          rate: formatRate(e.step, e.elapsedMs),
        });
        if (e.step === e.totalSteps) this.stop();
        return;
      case "decode": {
        const pct = Math.round((100 * e.done) / e.total);
        this.open("decode", "Decoding (VAE)", 100, "image")?.update(pct);
        if (e.done >= e.total) this.stop();
        return;
      }
      default:
        this.stop();
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
    this.key = "";
  }
}
