// Files sdts ships beside its code (`assets/` at the package root), found from this module's location so they
// resolve the same from src/ (tsc output in dist/src/) and from an installed package.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the nearest folder above this file whose package.json names "sdts". */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "sdts") return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("sdts: cannot find the package root (a package.json named \"sdts\") above " + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

/** `assets/<relative>`, which must exist. */
export function assetPath(relative: string): string {
  const p = join(packageRoot, "assets", relative);
  if (!existsSync(p)) throw new Error(`sdts asset missing: ${p} (a broken installation? reinstall sdts)`);
  return p;
}

/** OpenAI's CLIP BPE vocabulary (the SD1.5 tokenizer for checkpoints that carry none). */
export const CLIP_BPE_VOCAB_ASSET = "clip/bpe_simple_vocab_16e6.txt.gz";
