// A reference case (../shared/fixtures/<case>/case.json) run by `sdts run-case`. Each kind has a runner in
// this folder; runners read the case's inputs (and weights when present) but never its expected files.
import type { Backend } from "../backend/Backend.js";

export interface CaseTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type CaseResult =
  | { readonly type: "tensors"; readonly tensors: Map<string, CaseTensor> }
  | { readonly type: "json"; readonly json: unknown };

export interface CaseRunOptions {
  /** Also emit `trace.*` intermediates. */
  readonly trace: boolean;
  readonly backend: Backend;
}

/** `caseJson` is the parsed case.json (its shape differs by kind; runners validate what they use). */
export type CaseRunner = (caseDir: string, caseJson: Record<string, unknown>, options: CaseRunOptions) => Promise<CaseResult>;
