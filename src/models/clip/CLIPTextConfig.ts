// The text-encoder config, parsed from transformers' `text_encoder/config.json` (a `CLIPTextConfig`).
// Fields missing from the file take transformers' CLIPTextConfig defaults, as `from_pretrained` does;
// fields present with a wrong type or an unsupported value are errors naming the file, field and value.
import { readFileSync } from "node:fs";

export interface CLIPTextConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly maxPositionEmbeddings: number;
  /** Only CLIP's x·sigmoid(1.702x) is implemented (every SD1.5 text encoder uses it). */
  readonly hiddenAct: "quick_gelu";
  readonly layerNormEps: number;
  readonly bosTokenId: number;
  /** Selects the pooling rule: 2 (SD1.5's legacy value) → argmax of the ids, else the first EOS position. */
  readonly eosTokenId: number;
  readonly padTokenId: number;
  /** Only used by CLIPTextModelWithProjection; kept for completeness. */
  readonly projectionDim: number;
}

/** SD1.5's text encoder (openai/clip-vit-large-patch14's text model, with the legacy token ids of its config). */
export const SD15_CLIP_TEXT_CONFIG: CLIPTextConfig = Object.freeze({
  vocabSize: 49408,
  hiddenSize: 768,
  intermediateSize: 3072,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  maxPositionEmbeddings: 77,
  hiddenAct: "quick_gelu",
  layerNormEps: 1e-5,
  bosTokenId: 0,
  eosTokenId: 2,
  padTokenId: 1,
  projectionDim: 768,
});

/** transformers' CLIPTextConfig defaults (used for fields absent from config.json). */
const DEFAULTS = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  projection_dim: 512,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: "quick_gelu",
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 49406,
  eos_token_id: 49407,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parse a transformers CLIPTextConfig JSON object. `source` names the file in error messages.
 * Unknown fields (dropout, initializer_range, architectures, …) are ignored: they do not affect inference.
 */
export function parseCLIPTextConfig(json: unknown, source = "text_encoder/config.json"): CLIPTextConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(`${source}: expected a JSON object (a transformers CLIPTextConfig)`);
  }
  const raw = json as Record<string, unknown>;

  const int = (field: keyof typeof DEFAULTS, min: number): number => {
    const v = raw[field] ?? DEFAULTS[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      throw new ConfigError(`${source}: "${field}" is ${JSON.stringify(v)}, expected an integer ≥ ${min}`);
    }
    return v;
  };

  const hiddenAct = raw.hidden_act ?? DEFAULTS.hidden_act;
  if (hiddenAct !== "quick_gelu") {
    throw new ConfigError(`${source}: "hidden_act" is ${JSON.stringify(hiddenAct)}, only "quick_gelu" is supported (SD1.5's CLIP text encoder)`);
  }
  const eps = raw.layer_norm_eps ?? DEFAULTS.layer_norm_eps;
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
    throw new ConfigError(`${source}: "layer_norm_eps" is ${JSON.stringify(eps)}, expected a positive number`);
  }

  const config: CLIPTextConfig = {
    vocabSize: int("vocab_size", 1),
    hiddenSize: int("hidden_size", 1),
    intermediateSize: int("intermediate_size", 1),
    numHiddenLayers: int("num_hidden_layers", 1),
    numAttentionHeads: int("num_attention_heads", 1),
    maxPositionEmbeddings: int("max_position_embeddings", 1),
    hiddenAct,
    layerNormEps: eps,
    bosTokenId: int("bos_token_id", 0),
    eosTokenId: int("eos_token_id", 0),
    padTokenId: int("pad_token_id", 0),
    projectionDim: int("projection_dim", 1),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new ConfigError(
      `${source}: "hidden_size" ${config.hiddenSize} is not divisible by "num_attention_heads" ${config.numAttentionHeads}`,
    );
  }
  return config;
}

/** Read and parse `text_encoder/config.json`. */
export function readCLIPTextConfig(path: string): CLIPTextConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the text encoder config (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseCLIPTextConfig(json, path);
}
