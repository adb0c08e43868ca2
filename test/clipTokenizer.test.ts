// SD1.5's CLIP tokenizer against the clip-tokenizer fixture (transformers 4.57 slow CLIPTokenizer with ftfy):
// every prompt's 77 ids, untruncated ids, tokens and cleaned text; truncation; special tokens; file errors;
// the fixText subset on cases checked against ftfy 6.3.1; the case runner and `sdts tokenize`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fixturePath, readCase, repoRoot } from "./helpers/fixtures.js";
import { CLIPTokenizer, cleanText } from "../src/models/clip/CLIPTokenizer.js";
import { fixText } from "../src/models/clip/fixText.js";
import { BYTE_SYMBOLS_IN_VOCAB_ORDER } from "../src/models/clip/bytesToUnicode.js";
import { runClipTokenizerCase } from "../src/cases/clipTokenizer.js";
import { createBackend } from "../src/backend/index.js";

interface FixturePrompt {
  prompt: string;
  cleaned_text: string;
  ids: number[];
  ids_untruncated: number[];
  tokens_untruncated: string[];
  n_untruncated: number;
  truncated: boolean;
}

const caseJson = readCase("clip-tokenizer");
const prompts: FixturePrompt[] = caseJson.cases;
const vocabDir = fixturePath("clip-vocab");
const tokenizer = CLIPTokenizer.fromFolder(vocabDir);

test("clip-tokenizer fixture: all 42 prompts give the reference ids, untruncated ids and tokens", () => {
  assert.equal(prompts.length, 42);
  for (const [i, c] of prompts.entries()) {
    const what = `cases[${i}] ${JSON.stringify(c.prompt).slice(0, 60)}`;
    const enc = tokenizer.encode(c.prompt);
    assert.deepEqual(enc.idsUntruncated, c.ids_untruncated, `${what}: ids_untruncated`);
    assert.deepEqual(enc.tokens, c.tokens_untruncated, `${what}: tokens`);
    assert.equal(enc.ids.length, 77, `${what}: ids length`);
    assert.deepEqual(enc.ids, c.ids, `${what}: ids`);
    assert.equal(enc.truncated, c.truncated, `${what}: truncated`);
    assert.equal(enc.idsUntruncated.length, c.n_untruncated, `${what}: n_untruncated`);
  }
});

test("clip-tokenizer fixture: cleanup equals cleaned_text (ftfy + whitespace + lowercase) on every prompt", () => {
  for (const [i, c] of prompts.entries()) {
    assert.equal(cleanText(c.prompt), c.cleaned_text, `cases[${i}] ${JSON.stringify(c.prompt)}`);
  }
});

test("special tokens, vocabulary size and byte symbols", () => {
  assert.equal(tokenizer.vocabSize, 49408);
  assert.equal(tokenizer.bosId, 49406);
  assert.equal(tokenizer.eosId, 49407);
  assert.equal(tokenizer.padId, 49407);
  assert.equal(tokenizer.maxLength, 77);
  // ids 0–255 are the byte symbols, 256–511 the same with </w>: "!" = 0, "a" = 64, "a</w>" = 320.
  for (const [id, sym] of BYTE_SYMBOLS_IN_VOCAB_ORDER.entries()) {
    assert.equal(tokenizer.tokenToId(sym), id, `byte symbol ${JSON.stringify(sym)}`);
    assert.equal(tokenizer.tokenToId(sym + "</w>"), id + 256, `byte symbol ${JSON.stringify(sym)}</w>`);
  }
  assert.equal(tokenizer.tokenToId("!"), 0);
  assert.equal(tokenizer.tokenToId("a"), 64);
  assert.equal(tokenizer.tokenToId("a</w>"), 320);
  // Empty prompt = the unconditional row: BOS then 76 × EOS.
  assert.deepEqual(tokenizer.encode("").ids, [49406, ...new Array(76).fill(49407)]);
  // Literal special tokens map to their ids, also when written in capitals (the text is lowercased first).
  assert.deepEqual(tokenizer.encode("a <|endoftext|> b").idsUntruncated, [49406, 320, 49407, 321, 49407]);
  assert.deepEqual(tokenizer.encode("<|ENDOFTEXT|>").idsUntruncated, [49406, 49407, 49407]);
  assert.deepEqual(tokenizer.encode("x<|startoftext|>").idsUntruncated, [49406, 343, 49406, 49407]);
  // Every digit is its own pre-token (so its own word), contractions split off.
  assert.deepEqual(tokenizer.encode("2024").tokens.slice(1, -1), ["2</w>", "0</w>", "2</w>", "4</w>"]);
  assert.deepEqual(tokenizer.encode("it's").tokens.slice(1, -1), ["it</w>", "'s</w>"]);
});

test("truncation: 81 tokens keep BOS + 75 + EOS and report what was cut", () => {
  const long = prompts.find((c) => c.n_untruncated === 83)!;
  const enc = tokenizer.encode(long.prompt);
  assert.equal(enc.truncated, true);
  assert.deepEqual(enc.ids, [...long.ids_untruncated.slice(0, 76), 49407]);
  // The cut part (tokens 76 … before EOS), decoded like diffusers' warning: "</w>" → space.
  const cutTokens = long.tokens_untruncated.slice(76, -1);
  assert.deepEqual(cutTokens, [",</w>", "ultra</w>", "wide</w>", "angle</w>", ",</w>", "masterpiece</w>"]);
  assert.equal(enc.truncatedText, ", ultra wide angle , masterpiece");
  assert.match(enc.warning!, /81 tokens/);
  assert.match(enc.warning!, /at most 75/);
  assert.match(enc.warning!, /ultra wide angle , masterpiece/);

  // Exactly 75 tokens: no padding, not truncated; 76: one token cut.
  const exact = prompts.find((c) => c.n_untruncated === 77)!;
  const e75 = tokenizer.encode(exact.prompt);
  assert.equal(e75.truncated, false);
  assert.equal(e75.truncatedText, undefined);
  assert.equal(e75.warning, undefined);
  assert.deepEqual(e75.ids, e75.idsUntruncated);
  const e76 = tokenizer.encode(prompts.find((c) => c.n_untruncated === 78)!.prompt);
  assert.equal(e76.truncated, true);
  assert.equal(e76.truncatedText, "a");
  assert.match(e76.warning!, /76 tokens/);
});

test("fixText: the ftfy subset on cases checked against ftfy 6.3.1", () => {
  // [input, ftfy.fix_text(input)] — every expected value was produced by ftfy 6.3.1 itself.
  const cases: Array<[string, string]> = [
    ["Ã¼ber naÃ¯ve", "über naïve"],
    ["crÃ¨me brÃ»lÃ©e", "crème brûlée"],
    ["donâ€™t", "don't"],
    ["â€œquotedâ€\u009d", '"quoted"'],
    ["ðŸ˜€ emoji", "😀 emoji"],
    ["çŒ« cat", "猫 cat"],
    ["æ—¥æœ¬ 東京 cafÃ©", "日本 東京 café"], // mojibake next to good CJK: fixed run by run
    ["Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"],
    ["Â£5 and Â°C", "£5 and °C"],
    ["Ã la mode", "à la mode"], // a U+00A0 byte that became a space
    ["Å\ufffd", "\ufffd"], // a lost byte
    ["This text was never UTF-8 at all\u0085", "This text was never UTF-8 at all…"],
    // Legitimate text that must stay as it is (apart from the quote uncurling).
    ["NESTLÉ®", "NESTLÉ®"],
    ["Brontë…”", 'Brontë…"'],
    ["CAFÉ’S", "CAFÉ'S"],
    ["ÀÉÎÕÜ€5", "ÀÉÎÕÜ€5"],
    ["¥100 ÷ 3 × 2", "¥100 ÷ 3 × 2"],
    ["zero\u200bwidth soft\u00adhyphen", "zero\u200bwidth soft\u00adhyphen"],
    // HTML entities: named, all-caps, numeric, "&#59;" kept, unknown kept; none once a line has "<".
    ["&eacute;t&eacute; &EACUTE; &#8217; &#x27; &hellip; &#59; &bogus;", "été É ' ' … &#59; &bogus;"],
    ["&lt;b&gt; <i>", "&lt;b&gt; <i>"],
    ["line &amp;\n<b> &amp;", "line &\n<b> &amp;"],
    ["ﬃ ﬄ ǆ Ĳ", "ffi ffl dž IJ"],
    ["ｈｅｌｌｏ\u3000ｗｏｒｌｄ！ ﾊﾝｶｸ", "hello world! ハンカク"],
    ["e\u0301 a\u0308", "é ä"],
    ["\ufeffbom \u0001ctrl \u001b[31mred\u001b[0m", "bom ctrl red"],
  ];
  for (const [input, expected] of cases) assert.equal(fixText(input), expected, `fixText(${JSON.stringify(input)})`);
});

test("missing or invalid vocabulary files are errors naming the file", () => {
  const tmp = mkdtempSync(join(tmpdir(), "sdts-clip-tok-"));
  assert.throws(() => CLIPTokenizer.fromFolder(join(tmp, "nope")), /folder not found: .*nope/);
  const onlyVocab = mkdtempSync(join(tmp, "v-"));
  copyFileSync(join(vocabDir, "vocab.json"), join(onlyVocab, "vocab.json"));
  assert.throws(() => CLIPTokenizer.fromFolder(onlyVocab), /merges\.txt not found: .*merges\.txt/);
  const onlyMerges = mkdtempSync(join(tmp, "m-"));
  copyFileSync(join(vocabDir, "merges.txt"), join(onlyMerges, "merges.txt"));
  assert.throws(() => CLIPTokenizer.fromFolder(onlyMerges), /vocab\.json not found: .*vocab\.json/);
  const badJson = mkdtempSync(join(tmp, "j-"));
  writeFileSync(join(badJson, "vocab.json"), "{not json");
  copyFileSync(join(vocabDir, "merges.txt"), join(badJson, "merges.txt"));
  assert.throws(() => CLIPTokenizer.fromFolder(badJson), /vocab\.json is not valid JSON/);
  const noSpecial = mkdtempSync(join(tmp, "s-"));
  writeFileSync(join(noSpecial, "vocab.json"), JSON.stringify({ a: 0, "a</w>": 1 }));
  copyFileSync(join(vocabDir, "merges.txt"), join(noSpecial, "merges.txt"));
  assert.throws(() => CLIPTokenizer.fromFolder(noSpecial), /vocab\.json has no <\|startoftext\|> token/);
  const badMerges = mkdtempSync(join(tmp, "b-"));
  copyFileSync(join(vocabDir, "vocab.json"), join(badMerges, "vocab.json"));
  writeFileSync(join(badMerges, "merges.txt"), "#version: 0.2\nt h\nthree parts here\n");
  assert.throws(() => CLIPTokenizer.fromFolder(badMerges), /merges\.txt line 3: expected a merge "A B"/);
});

test("run-case runner for kind clip-tokenizer returns {cases: [{ids, ids_untruncated}]} in case order", async () => {
  const caseDir = dirname(fixturePath("clip-tokenizer", "case.json"));
  const result = await runClipTokenizerCase(caseDir, caseJson, { trace: false, backend: createBackend("ts") });
  assert.equal(result.type, "json");
  const json = (result as { json: { cases: Array<{ ids: number[]; ids_untruncated: number[] }> } }).json;
  assert.equal(json.cases.length, prompts.length);
  for (const [i, c] of prompts.entries()) {
    assert.deepEqual(json.cases[i]!.ids, c.ids, `cases[${i}].ids`);
    assert.deepEqual(json.cases[i]!.ids_untruncated, c.ids_untruncated, `cases[${i}].ids_untruncated`);
  }
});

function sdts(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, "bin", "sdts.js"), ...args], { cwd: repoRoot, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("sdts tokenize prints ids, tokens and the count of 75; warns about what was cut; needs a vocabulary flag", () => {
  const ok = sdts("tokenize", "a photograph of an astronaut riding a horse", "--vocab", vocabDir);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ids: \[49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407\] \+ 67 × 49407/);
  assert.match(ok.stdout, /"photograph<\/w>"/);
  assert.match(ok.stdout, /^8 tokens \(of 75\)$/m);

  const long = prompts.find((c) => c.n_untruncated === 83)!;
  const cut = sdts("tokenize", long.prompt, "--vocab", vocabDir, "--json");
  assert.equal(cut.status, 0, cut.stderr);
  const json = JSON.parse(cut.stdout);
  assert.deepEqual(json.ids, long.ids);
  assert.equal(json.count, 81);
  assert.equal(json.truncated, true);
  assert.match(cut.stderr, /warning: .*81 tokens.*ultra wide angle , masterpiece/);

  const none = sdts("tokenize", "a cat");
  assert.equal(none.status, 1);
  assert.match(none.stderr, /--model <diffusers model folder>.*--vocab <folder with vocab\.json and merges\.txt>/);
});
