// A single-file SD1.x checkpoint (`v1-5-pruned-emaonly.safetensors`, community fine-tunes): UNet, VAE and CLIP
// text encoder in one safetensors file under the original LDM/CompVis names. Each component is exposed as a
// WeightSource that answers diffusers/transformers names, so `loadWeights(model, source, backend)` works
// unchanged: names are translated through the exact key maps of ldmKeyMap.ts, the VAE mid-attention weights are
// presented as [C, C] (stored [C, C, 1, 1]), and `names()` lists only that component's tensors, so tensors of the
// other components and LatentDiffusion's buffers (`betas`, `alphas_cumprod`, …, `model_ema.*`) never count as
// unexpected.
//
// Pickled checkpoints (.ckpt/.pt/.pth/.bin) are refused: unpickling executes code stored in the file.
import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { SD15_CLIP_TEXT_CONFIG } from "../models/clip/CLIPTextConfig.js";
import { SD15_UNET_CONFIG } from "../models/unet/UNetConfig.js";
import { SD15_VAE_CONFIG } from "../models/vae/AutoencoderKLConfig.js";
import { numelOf, shapeStr, type Shape } from "../tensor/Tensor.js";
import {
  isVaeAttentionProjection,
  ldmClipTextAlternative,
  ldmClipTextKeyMap,
  ldmUnetKeyMap,
  ldmVaeKeyMap,
  type ClipTextKeyMapConfig,
  type UNetKeyMapConfig,
  type VaeKeyMapConfig,
} from "./ldmKeyMap.js";
import { SafetensorsFile, type SafetensorsDtype } from "./safetensors.js";
import { sameShape, WeightError, type WeightSource } from "./WeightSource.js";

/** Where each component lives in an LDM single file. */
export const LDM_PREFIX = {
  unet: "model.diffusion_model.",
  vae: "first_stage_model.",
  textEncoder: "cond_stage_model.transformer.",
} as const;

/**
 * What kind of checkpoint the key names suggest. `sd1`: LDM names with a transformers CLIP text encoder (or
 * UNet/VAE only). `sd2`: OpenCLIP text encoder under `cond_stage_model.model.*`. `sdxl`: `conditioner.embedders.*`.
 * `diffusers`: a diffusers-format component file (`down_blocks.*`, `encoder.down_blocks.*`, `text_model.*`).
 */
export type CheckpointFamily = "sd1" | "sd2" | "sdxl" | "diffusers" | "unknown";

export class PickleCheckpointError extends Error {
  constructor(readonly path: string, detail: string) {
    super(
      `${path}: refusing to load a pickled PyTorch checkpoint (${detail}). Loading a pickle executes whatever Python ` +
        `code the file carries, so a malicious .ckpt/.pt/.pth/.bin can take over this machine; sdts reads only ` +
        `.safetensors, which holds plain tensor data. Many model pages also offer a .safetensors download. Otherwise ` +
        `convert the file once (in a sandbox, or only if you trust its source), e.g.:\n` +
        `  python -c "import torch; from safetensors.torch import save_file; ` +
        `sd = torch.load('model.ckpt', map_location='cpu', weights_only=True); sd = sd.get('state_dict', sd); ` +
        `save_file({k: v.contiguous().clone() for k, v in sd.items() if isinstance(v, torch.Tensor)}, 'model.safetensors')"\n` +
        `(weights_only=True, PyTorch >= 1.13, refuses to run code; if it rejects the file, the file holds more than tensors.)`,
    );
    this.name = "PickleCheckpointError";
  }
}

export class UnsupportedCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedCheckpointError";
  }
}

const PICKLE_EXTENSIONS = new Set([".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle"]);

/**
 * Throw PickleCheckpointError for a pickled PyTorch file: by extension, or by content whatever the name
 * (torch.save writes a zip archive, `PK\x03\x04`; the legacy format starts with the pickle protocol opcode
 * `\x80` + 2..5). A safetensors file instead has `{` at byte 8, where its JSON header starts.
 */
export function assertNotPickle(path: string): void {
  const ext = extname(path).toLowerCase();
  if (PICKLE_EXTENSIONS.has(ext)) throw new PickleCheckpointError(path, `"${ext}" file`);
  let head: Buffer;
  let n: number;
  try {
    const fd = openSync(path, "r");
    try {
      head = Buffer.alloc(9);
      n = readSync(fd, head, 0, 9, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // unreadable: SafetensorsFile.open reports it
  }
  if (n === 9 && head[8] === 0x7b) return;
  if (n >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    throw new PickleCheckpointError(path, "the file is a zip archive, the format of torch.save");
  }
  if (n >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) {
    throw new PickleCheckpointError(path, "the file starts with a pickle header");
  }
}

const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(["F32", "F16", "BF16", "F64"]);

/** A pair of names for one tensor, for reports. */
export interface TensorNamePair {
  readonly diffusers: string;
  /** The full key in the file (first spelling when there are several). */
  readonly ldm: string;
}

interface ComponentSpec {
  readonly label: string;
  readonly prefix: string;
  /** diffusers name → full file keys to try, in order. */
  readonly candidates: ReadonlyMap<string, readonly string[]>;
  /** diffusers names stored [C, C, 1, 1] and presented [C, C]. */
  readonly squeeze?: (diffusersName: string) => boolean;
  /** Full file keys under `prefix` that are not parameters (buffers, training-only modules). */
  readonly ignore?: (fileKey: string) => boolean;
  /** Extra sentence for the missing-tensor error. */
  readonly hint?: string;
}

/** One component of a single file, seen under diffusers names. */
export class LdmComponentSource implements WeightSource {
  readonly description: string;
  private readonly reverse = new Map<string, string>();

  constructor(readonly file: SafetensorsFile, private readonly spec: ComponentSpec) {
    this.description = `${file.path} (${spec.label}, LDM single-file names under "${spec.prefix}")`;
    for (const [d, keys] of spec.candidates) for (const k of keys) this.reverse.set(k, d);
  }

  /** The file key holding diffusers tensor `name`, or undefined when the name is unknown or the tensor absent. */
  fileKeyOf(name: string): string | undefined {
    return this.spec.candidates.get(name)?.find((k) => this.file.has(k));
  }

  /** diffusers name of a file key, when the key map knows it. */
  diffusersNameOf(fileKey: string): string | undefined {
    return this.reverse.get(fileKey);
  }

  /** Every mapped tensor the file lacks, under both names. */
  missing(): TensorNamePair[] {
    const out: TensorNamePair[] = [];
    for (const [d, keys] of this.spec.candidates) {
      if (!keys.some((k) => this.file.has(k))) out.push({ diffusers: d, ldm: keys[0]! });
    }
    return out;
  }

  shapeOf(name: string, expected: Shape): Shape | undefined {
    const keys = this.spec.candidates.get(name);
    if (!keys) return undefined; // not a parameter of the configured layout: loadWeights reports it
    const key = keys.find((k) => this.file.has(k));
    if (!key) throw this.missingError();
    const info = this.file.info(key);
    if (!FLOAT_DTYPES.has(info.dtype)) {
      throw new WeightError(`${this.description}: tensor "${key}" (diffusers "${name}") has dtype ${info.dtype}, expected a float dtype`);
    }
    let shape: Shape = info.shape;
    // LDM's AttnBlock uses 1×1 convs where diffusers uses Linear: [C, C, 1, 1] → [C, C], same element order.
    if (this.spec.squeeze?.(name) && shape.length === 4 && shape[2] === 1 && shape[3] === 1) shape = [shape[0]!, shape[1]!];
    if (!sameShape(shape, expected)) {
      throw new WeightError(
        `${this.description}: tensor "${key}" (diffusers "${name}") has shape ${shapeStr(info.shape)}, expected ${shapeStr(expected)}` +
          ` — does the checkpoint match the ${this.spec.label} config?`,
      );
    }
    return shape;
  }

  read(name: string, shape: Shape): Float32Array {
    const key = this.fileKeyOf(name);
    if (!key) {
      if (this.spec.candidates.has(name)) throw this.missingError();
      throw new WeightError(`${this.description}: "${name}" is not a ${this.spec.label} parameter of the configured layout`);
    }
    const data = this.file.readF32(key);
    if (data.length !== numelOf(shape)) {
      throw new WeightError(`${this.description}: tensor "${key}" (diffusers "${name}") holds ${data.length} values, expected ${shapeStr(shape)}`);
    }
    return data;
  }

  /** The component's stored tensors under diffusers names; keys the map does not know keep their file name. */
  names(): string[] {
    const out = new Set<string>();
    for (const key of this.file.names()) {
      if (!key.startsWith(this.spec.prefix) || this.spec.ignore?.(key)) continue;
      out.add(this.reverse.get(key) ?? key);
    }
    return [...out];
  }

  private missingError(): WeightError {
    const missing = this.missing();
    const list = missing
      .slice(0, 10)
      .map((m) => `"${m.ldm}" (diffusers "${m.diffusers}")`)
      .join(", ");
    const more = missing.length > 10 ? `, … (${missing.length} in all)` : "";
    const present = this.file.names().filter((k) => k.startsWith(this.spec.prefix)).length;
    let why = "";
    if (present === 0) {
      why = ` The file has no tensor under "${this.spec.prefix}" at all: it does not hold this component.`;
      if (this.spec.hint) why += ` ${this.spec.hint}`;
    }
    return new WeightError(`${this.description}: missing tensor${missing.length === 1 ? "" : "s"} ${list}${more}.${why}`);
  }
}

function detectFamily(names: readonly string[]): CheckpointFamily {
  const any = (p: string): boolean => names.some((n) => n.startsWith(p));
  if (any("conditioner.embedders.")) return "sdxl";
  if (any("cond_stage_model.model.")) return "sd2";
  if (any(LDM_PREFIX.unet) || any(LDM_PREFIX.vae) || any(LDM_PREFIX.textEncoder)) return "sd1";
  if (any("down_blocks.") || any("encoder.down_blocks.") || any("decoder.up_blocks.") || any("text_model.")) return "diffusers";
  return "unknown";
}

/** An LDM/CompVis single-file checkpoint (SD1.x), opened lazily: tensors are read one at a time. */
export class SingleFileCheckpoint {
  readonly family: CheckpointFamily;
  /**
   * Whether the file also carries EMA copies (`model_ema.*`, names with the dots removed). Like diffusers'
   * default (`extract_ema=False`), the UNet is read from `model.diffusion_model.*`; EMA-only releases
   * (`…-emaonly`) already store the EMA weights there.
   */
  readonly hasEma: boolean;

  constructor(readonly file: SafetensorsFile) {
    const names = file.names();
    this.family = detectFamily(names);
    this.hasEma = names.some((n) => n.startsWith("model_ema.") && n !== "model_ema.decay" && n !== "model_ema.num_updates");
  }

  /** Open a `.safetensors` single file; pickled checkpoints are refused (PickleCheckpointError). */
  static open(path: string): SingleFileCheckpoint {
    assertNotPickle(path);
    return new SingleFileCheckpoint(SafetensorsFile.open(path));
  }

  get path(): string {
    return this.file.path;
  }

  /** Whether any tensor of the component is stored. */
  has(component: keyof typeof LDM_PREFIX): boolean {
    const p = LDM_PREFIX[component];
    return this.file.names().some((n) => n.startsWith(p));
  }

  /**
   * The UNet (`model.diffusion_model.*`) under diffusers UNet2DConditionModel names. A single file holds weights
   * only, so the architecture is SD1.5's unless the caller's config says otherwise.
   */
  unetSource(config: UNetKeyMapConfig = SD15_UNET_CONFIG): LdmComponentSource {
    this.refuseFamily("UNet");
    const prefix = LDM_PREFIX.unet;
    return new LdmComponentSource(this.file, {
      label: "UNet",
      prefix,
      candidates: prefixed(ldmUnetKeyMap(config), prefix),
      hint: this.hasEma
        ? `It has EMA weights under "model_ema.*" only; convert the checkpoint with EMA extraction (diffusers' extract_ema=True) first.`
        : undefined,
    });
  }

  /** The VAE (`first_stage_model.*`) under diffusers AutoencoderKL names; mid-attention weights shown as [C, C]. */
  vaeSource(config: VaeKeyMapConfig = SD15_VAE_CONFIG): LdmComponentSource {
    this.refuseFamily("VAE");
    const prefix = LDM_PREFIX.vae;
    return new LdmComponentSource(this.file, {
      label: "VAE",
      prefix,
      candidates: prefixed(ldmVaeKeyMap(config), prefix),
      squeeze: isVaeAttentionProjection,
      // The training loss (LPIPS, discriminator, logvar) is sometimes left in `first_stage_model.loss.*`.
      ignore: (key) => key.startsWith(`${prefix}loss.`),
      hint: `Some fine-tunes ship without a VAE; load SD1.5's vae/ (or another VAE file) separately.`,
    });
  }

  /** The CLIP text encoder (`cond_stage_model.transformer.*`) under transformers CLIPTextModel names (`text_model.*`). */
  textEncoderSource(config: ClipTextKeyMapConfig = SD15_CLIP_TEXT_CONFIG): LdmComponentSource {
    this.refuseFamily("text encoder");
    const prefix = LDM_PREFIX.textEncoder;
    const candidates = new Map<string, string[]>();
    for (const [d, l] of ldmClipTextKeyMap(config)) {
      const alt = ldmClipTextAlternative(l);
      candidates.set(d, alt === undefined ? [prefix + l] : [prefix + l, prefix + alt]);
    }
    return new LdmComponentSource(this.file, {
      label: "CLIP text encoder",
      prefix,
      candidates,
      // `position_ids` (0..76) is a constant buffer, not a parameter; some merged files even store it corrupted
      // as floats. transformers recomputes it, and so do we.
      ignore: (key) => key === `${prefix}text_model.embeddings.position_ids` || key === `${prefix}embeddings.position_ids`,
      hint: `Load SD1.5's text_encoder/ separately.`,
    });
  }

  close(): void {
    this.file.close();
  }

  private refuseFamily(component: string): void {
    const p = this.file.path;
    switch (this.family) {
      case "sdxl":
        throw new UnsupportedCheckpointError(
          `${p}: this is an SDXL checkpoint (tensors under "conditioner.embedders.*"); sdts implements Stable Diffusion 1.x only`,
        );
      case "sd2":
        if (component !== "VAE") {
          throw new UnsupportedCheckpointError(
            `${p}: this is a Stable Diffusion 2.x checkpoint (OpenCLIP text encoder under "cond_stage_model.model.*"); ` +
              `sdts implements Stable Diffusion 1.x only, so its ${component} cannot be loaded`,
          );
        }
        return;
      case "diffusers":
        throw new UnsupportedCheckpointError(
          `${p}: this file holds diffusers names (e.g. "down_blocks.*"), not an LDM single-file checkpoint; ` +
            `load it as a diffusers component file (SafetensorsSource) instead`,
        );
      default:
        return;
    }
  }
}

function prefixed(map: ReadonlyMap<string, string>, prefix: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [d, l] of map) out.set(d, [prefix + l]);
  return out;
}
