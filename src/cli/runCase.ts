// sdts run-case <case-folder> --out <file> [--trace]: run a reference case as its case.json describes and
// write every computed tensor under the expected file's names (JSON for the tokenizer kind).
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { runCase } from "../cases/index.js";
import { writeSafetensors } from "../weights/safetensors.js";
import { addBackendOptions, backendFrom, type BackendFlags } from "./options.js";

interface RunCaseFlags extends BackendFlags {
  out: string;
  trace?: boolean;
}

export function register(program: Command): void {
  addBackendOptions(
    program
      .command("run-case")
      .description("run a reference case folder (case.json) and write its outputs")
      .argument("<case-folder>", "folder with case.json and inputs.safetensors (e.g. ../shared/fixtures/unet-tiny)")
      .requiredOption("--out <file>", "output file: safetensors with the expected file's tensor names (JSON for clip-tokenizer)")
      .option("--trace", "also write trace.* intermediates"),
  ).action(async (caseDir: string, flags: RunCaseFlags) => {
    const backend = backendFrom(flags);
    const result = await runCase(caseDir, { trace: flags.trace ?? false, backend });
    if (result.type === "json") {
      writeFileSync(flags.out, JSON.stringify(result.json, null, 1) + "\n");
      process.stdout.write(`wrote ${flags.out} (JSON)\n`);
    } else {
      writeSafetensors(flags.out, result.tensors);
      process.stdout.write(`wrote ${result.tensors.size} tensors to ${flags.out}\n`);
    }
  });
}
