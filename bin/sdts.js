#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import { main } from "../dist/src/cli/main.js";
main(process.argv).catch((err) => {
  process.stderr.write(`sdts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
