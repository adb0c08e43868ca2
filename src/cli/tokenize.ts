// sdts tokenize "<prompt>" [--model <dir> | --vocab <dir>] [--json]: the 77 CLIP token ids SD1.5 feeds its text
// encoder, the tokens, and how many of the 75 available places the prompt uses (with a warning saying what was
// cut when it is longer).
import { join } from "node:path";
import type { Command } from "commander";
import { CLIPTokenizer, type CLIPEncoding } from "../models/clip/CLIPTokenizer.js";

interface TokenizeFlags {
  model?: string;
  vocab?: string;
  json?: boolean;
}

function tokenizerFrom(flags: TokenizeFlags): CLIPTokenizer {
  if (flags.model !== undefined && flags.vocab !== undefined) {
    throw new Error("tokenize: pass either --model or --vocab, not both");
  }
  if (flags.vocab !== undefined) return CLIPTokenizer.fromFolder(flags.vocab);
  if (flags.model !== undefined) return CLIPTokenizer.fromFolder(join(flags.model, "tokenizer"));
  throw new Error(
    "tokenize: no vocabulary given: pass --model <diffusers model folder> (uses <model>/tokenizer/) " +
      "or --vocab <folder with vocab.json and merges.txt>",
  );
}

/** "[a, b, c, EOS, EOS, …]" with the padding run collapsed. */
function formatIds(enc: CLIPEncoding, padId: number): string {
  const used = enc.truncated ? enc.ids.length : enc.idsUntruncated.length;
  const pad = enc.ids.length - used;
  const head = `[${enc.ids.slice(0, used).join(", ")}]`;
  return pad > 0 ? `${head} + ${pad} × ${padId} (padding to ${enc.ids.length})` : head;
}

export function formatTokenization(tokenizer: CLIPTokenizer, enc: CLIPEncoding): string {
  const max = tokenizer.maxLength - 2;
  const n = enc.idsUntruncated.length - 2;
  const lines = [
    `ids: ${formatIds(enc, tokenizer.padId)}`,
    `tokens: ${enc.tokens.map((t) => JSON.stringify(t)).join(" ")}`,
    `${n} token${n === 1 ? "" : "s"} (of ${max})`,
  ];
  return lines.join("\n");
}

export function register(program: Command): void {
  program
    .command("tokenize")
    .description("show the CLIP token ids and tokens of a prompt, and how many of the 75 places it uses")
    .argument("<prompt>", "the prompt (quote it)")
    .option("--model <dir>", "diffusers model folder (its tokenizer/ holds vocab.json and merges.txt)")
    .option("--vocab <dir>", "folder with vocab.json and merges.txt")
    .option("--json", "print JSON: ids, ids_untruncated, tokens, count, max, truncated, truncated_text")
    .action((prompt: string, flags: TokenizeFlags) => {
      const tokenizer = tokenizerFrom(flags);
      const enc = tokenizer.encode(prompt);
      if (flags.json) {
        const out = {
          ids: enc.ids,
          ids_untruncated: enc.idsUntruncated,
          tokens: enc.tokens,
          count: enc.idsUntruncated.length - 2,
          max: tokenizer.maxLength - 2,
          truncated: enc.truncated,
          ...(enc.truncatedText !== undefined ? { truncated_text: enc.truncatedText } : {}),
        };
        process.stdout.write(JSON.stringify(out) + "\n");
      } else {
        process.stdout.write(formatTokenization(tokenizer, enc) + "\n");
      }
      if (enc.warning) process.stderr.write(`warning: ${enc.warning}\n`);
    });
}
