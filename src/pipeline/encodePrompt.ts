// Prompt → text embeddings, as diffusers' `StableDiffusionPipeline.encode_prompt` for SD1.5:
//   ids = tokenizer(prompt, padding="max_length", max_length=77, truncation=True)      [1, 77]
//   embeds = text_encoder(ids).last_hidden_state                                        [1, 77, D]
//            or, with clip_skip k > 0, final_layer_norm(hidden_states[-(k+1)])
//   repeated num_images_per_prompt times along the batch                                [B, 77, D]
// The negative (unconditional) prompt goes through the same steps **without** clip skip: diffusers applies
// clip_skip to the prompt only (A1111 applies it to both; sdts follows diffusers).
import type { CLIPTextModel } from "../models/clip/CLIPTextModel.js";
import type { CLIPEncoding, CLIPTokenizer } from "../models/clip/CLIPTokenizer.js";
import { concat } from "../tensor/ops.js";
import type { Tensor } from "../tensor/Tensor.js";

export interface EncodedPrompt {
  /** [1, 77, D] */
  readonly embeds: Tensor;
  readonly encoding: CLIPEncoding;
}

/** One prompt through tokenizer and text encoder. `clipSkip` in diffusers' numbering (0 = no skip). */
export function encodePrompt(textEncoder: CLIPTextModel, tokenizer: CLIPTokenizer, prompt: string, clipSkip = 0): EncodedPrompt {
  const encoding = tokenizer.encode(prompt);
  const maxPos = textEncoder.config.maxPositionEmbeddings;
  if (encoding.ids.length > maxPos) {
    throw new Error(`the tokenizer gives ${encoding.ids.length} ids but the text encoder has ${maxPos} positions`);
  }
  const out = textEncoder.forward(Int32Array.from(encoding.ids), 1, { clipSkip });
  return { embeds: out.lastHiddenState, encoding };
}

/** [1, T, D] → [n, T, D] (diffusers' `repeat(1, n, 1).view(n, T, D)` for one prompt). */
export function repeatBatch(x: Tensor, n: number): Tensor {
  if (x.dim(0) !== 1) throw new Error(`repeatBatch: expected a batch of 1, got ${x.dim(0)}`);
  return n === 1 ? x : concat(Array.from({ length: n }, () => x), 0);
}
