// The `sdts` command line: one file per verb, each registering itself on the program.
import { Command } from "commander";
import { register as bench } from "./bench.js";
import { register as generate } from "./generate.js";
import { register as inspect } from "./inspect.js";
import { register as runCase } from "./runCase.js";
import { register as tokenize } from "./tokenize.js";
import { register as trace } from "./trace.js";

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name("sdts")
    .description("Stable Diffusion 1.5 in TypeScript, numerically equal to diffusers")
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander throws for --help/--version too; those are not failures.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exit(0);
      process.exit(err.exitCode || 1);
    });
  const verbs: Array<(p: Command) => void> = [
    generate,
    inspect,
    trace,
    runCase,
    bench,
    tokenize,
  ];
  for (const register of verbs) register(program);
  await program.parseAsync([...argv]);
}
