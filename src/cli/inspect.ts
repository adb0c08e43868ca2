// sdts inspect <model folder | config.json | file.safetensors>: the module tree in PyTorch's repr style with
// parameter counts, or a safetensors file's tensor table.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Module } from "../nn/Module.js";
import { numelOf } from "../tensor/Tensor.js";
import { isDiffusersFolder, readJsonFile } from "../weights/diffusersFolder.js";
import { SafetensorsFile } from "../weights/safetensors.js";
import { buildComponentFromConfig } from "./components.js";

const fmt = (n: number): string => n.toLocaleString("en-US");

/** PyTorch-style repr; composite modules carry their parameter count as a trailing comment. */
export function moduleTree(m: Module, indent = ""): string {
  const children = m.children();
  if (children.length === 0) return m.repr();
  const lines = [`${m.repr()}(  # ${fmt(m.numParameters())} params`];
  for (const [name, child] of children) lines.push(`${indent}  (${name}): ${moduleTree(child, indent + "  ")}`);
  lines.push(`${indent})`);
  return lines.join("\n");
}

function safetensorsTable(path: string): string {
  const f = SafetensorsFile.open(path);
  try {
    const infos = f.infos().sort((a, b) => a.begin - b.begin);
    const width = Math.max(4, ...infos.map((i) => i.name.length));
    const lines = [`${"name".padEnd(width)}  dtype  shape`];
    let total = 0;
    for (const i of infos) {
      lines.push(`${i.name.padEnd(width)}  ${i.dtype.padEnd(5)}  [${i.shape.join(", ")}]`);
      total += numelOf(i.shape);
    }
    lines.push(`${fmt(infos.length)} tensors, ${fmt(total)} elements`);
    return lines.join("\n");
  } finally {
    f.close();
  }
}

export function inspectPath(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  if (statSync(path).isDirectory()) {
    if (!isDiffusersFolder(path)) throw new Error(`${path} is not a diffusers model folder (no model_index.json or unet/config.json)`);
    const parts: string[] = [];
    let total = 0;
    for (const component of ["text_encoder", "unet", "vae"]) {
      const cfg = join(path, component, "config.json");
      if (!existsSync(cfg)) continue;
      const model = buildComponentFromConfig(readJsonFile(cfg), cfg);
      total += model.numParameters();
      parts.push(`# ${component}\n${moduleTree(model)}\nTotal parameters: ${fmt(model.numParameters())}`);
    }
    if (parts.length === 0) throw new Error(`${path}: no component config found (unet/config.json, vae/config.json, text_encoder/config.json)`);
    if (parts.length > 1) parts.push(`Total parameters (all components): ${fmt(total)}`);
    return parts.join("\n\n");
  }
  if (path.endsWith(".safetensors")) return safetensorsTable(path);
  if (path.endsWith(".json")) {
    const model = buildComponentFromConfig(readJsonFile(path), path);
    return `${moduleTree(model)}\nTotal parameters: ${fmt(model.numParameters())}`;
  }
  throw new Error(`${path}: expected a diffusers model folder, a config.json or a .safetensors file`);
}

export function register(program: Command): void {
  program
    .command("inspect")
    .description("print a model's module tree and parameter counts, or a safetensors file's tensor table")
    .argument("<path>", "diffusers model folder, unet/vae/text_encoder config.json, or file.safetensors")
    .action((path: string) => {
      process.stdout.write(inspectPath(path) + "\n");
    });
}
