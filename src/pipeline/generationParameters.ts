// The generation info AUTOMATIC1111 writes into its PNGs (`parameters` text chunk), which image tools and
// hosts parse:
//   <prompt>
//   Negative prompt: <negative prompt>                  (line omitted when empty, as A1111 does)
//   Steps: 20, Sampler: PLMS, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: v1-5-pruned-emaonly[, …]
// followed, when they apply, by `Denoising strength`, `Clip skip` (A1111's numbering: 2 = penultimate layer)
// and `Batch size` / `Batch pos`, in A1111's order.

export interface GenerationParameters {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  /** A1111's sampler label ("Euler a", "DPM++ 2M Karras", …). */
  readonly sampler: string;
  readonly cfgScale: number;
  readonly seed: bigint | number | string;
  readonly width: number;
  readonly height: number;
  readonly model: string;
  /** img2img only. */
  readonly denoisingStrength?: number;
  /** A1111 numbering (1 = last layer = no skip); written when ≥ 2. */
  readonly clipSkip?: number;
  readonly batchSize?: number;
  readonly batchPos?: number;
}

/** Shortest round-trip decimal ("7", "7.5", "0.75"), as A1111 infotexts show them. */
function num(x: number): string {
  return String(x);
}

/** A1111 quotes a value that contains `,`, `:` or a newline. */
function value(v: string): string {
  return /[,:\n"]/.test(v) ? JSON.stringify(v) : v;
}

export function formatGenerationParameters(p: GenerationParameters): string {
  const fields: Array<[string, string]> = [
    ["Steps", num(p.steps)],
    ["Sampler", value(p.sampler)],
    ["CFG scale", num(p.cfgScale)],
    ["Seed", String(p.seed)],
    ["Size", `${p.width}x${p.height}`],
    ["Model", value(p.model)],
  ];
  if (p.denoisingStrength !== undefined) fields.push(["Denoising strength", num(p.denoisingStrength)]);
  if (p.clipSkip !== undefined && p.clipSkip >= 2) fields.push(["Clip skip", num(p.clipSkip)]);
  if (p.batchSize !== undefined && p.batchSize > 1) {
    fields.push(["Batch size", num(p.batchSize)]);
    fields.push(["Batch pos", num(p.batchPos ?? 0)]);
  }
  const lines = [p.prompt];
  if (p.negativePrompt !== "") lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(fields.map(([k, v]) => `${k}: ${v}`).join(", "));
  return lines.join("\n");
}
