// Runner for kind `clip-tokenizer` (../shared/fixtures/clip-tokenizer/case.json): the vocabulary is the folder
// `vocab.dir` (vocab.json + merges.txt) relative to the case folder; for each entry of `cases[]` its `prompt`
// is tokenized as SD1.5 pipelines do. Output, in case order: `{cases: [{ids, ids_untruncated}, …]}`.
import { resolve } from "node:path";
import { CLIPTokenizer } from "../models/clip/CLIPTokenizer.js";
import { CaseError } from "./common.js";
import type { CaseRunner } from "./types.js";

function fail(caseDir: string, what: string): never {
  throw new CaseError(`${caseDir}/case.json: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const runClipTokenizerCase: CaseRunner = async (caseDir, caseJson) => {
  const vocab = caseJson.vocab;
  if (!isRecord(vocab) || typeof vocab.dir !== "string") fail(caseDir, `expected "vocab": {"dir": "<folder with vocab.json + merges.txt>"}`);
  const tokenizer = CLIPTokenizer.fromFolder(resolve(caseDir, vocab.dir));
  const cases = caseJson.cases;
  if (!Array.isArray(cases)) fail(caseDir, `expected "cases" to be an array`);
  const out = cases.map((c: unknown, i: number) => {
    if (!isRecord(c) || typeof c.prompt !== "string") fail(caseDir, `cases[${i}].prompt must be a string`);
    const enc = tokenizer.encode(c.prompt);
    return { ids: enc.ids, ids_untruncated: enc.idsUntruncated };
  });
  return { type: "json", json: { cases: out } };
};
