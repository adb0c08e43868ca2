// Case kinds → runners (see ../shared/fixtures/README.md for each kind's contract).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runAutoencoderKlCase } from "./autoencoderKl.js";
import { runClipTextModelCase } from "./clipTextModel.js";
import { runClipTokenizerCase } from "./clipTokenizer.js";
import { CaseError } from "./common.js";
import { runDenoisingLoopCase } from "./denoisingLoop.js";
import { runSchedulerTrajectoryCase } from "./schedulerTrajectory.js";
import { runSingleFileCheckpointCase } from "./singleFileCheckpoint.js";
import { runTorchRandnCase } from "./torchRandn.js";
import type { CaseResult, CaseRunner, CaseRunOptions } from "./types.js";
import { runUNetForwardCase } from "./unetForward.js";

export const CASE_RUNNERS: Readonly<Record<string, CaseRunner>> = {
  unet2d_condition_forward: runUNetForwardCase,
  scheduler_trajectory: runSchedulerTrajectoryCase,
  denoising_loop: runDenoisingLoopCase,
  "torch-randn": runTorchRandnCase,
  "clip-text-model": runClipTextModelCase,
  "clip-tokenizer": runClipTokenizerCase,
  autoencoder_kl: runAutoencoderKlCase,
  single_file_checkpoint: runSingleFileCheckpointCase,
};

export function readCaseJson(caseDir: string): Record<string, unknown> {
  const path = join(caseDir, "case.json");
  if (!existsSync(path)) throw new CaseError(`${caseDir}: no case.json (expected a reference case folder)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CaseError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null) throw new CaseError(`${path}: not a JSON object`);
  return json as Record<string, unknown>;
}

export async function runCase(caseDir: string, options: CaseRunOptions): Promise<CaseResult> {
  const caseJson = readCaseJson(caseDir);
  const kind = caseJson.kind;
  const runner = typeof kind === "string" ? CASE_RUNNERS[kind] : undefined;
  if (!runner) {
    throw new CaseError(`${join(caseDir, "case.json")}: unsupported kind ${JSON.stringify(kind)} (supported: ${Object.keys(CASE_RUNNERS).join(", ")})`);
  }
  return runner(caseDir, caseJson, options);
}
