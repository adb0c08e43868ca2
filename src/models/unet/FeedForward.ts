// diffusers `FeedForward` with GEGLU, as SD1.x's transformer blocks use it:
//   net.0 = GEGLU: proj to 2·inner, split into (hidden, gate), hidden · gelu(gate)   (inner = 4·dim)
//   net.1 = Dropout (identity at inference, no parameters)
//   net.2 = Linear(inner → dim)
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import { concat, geglu, slice, tidy } from "../../tensor/ops.js";
import type { Tensor } from "../../tensor/Tensor.js";

export class GEGLU extends Module {
  readonly proj: Linear;

  constructor(dimIn: number, readonly dimOut: number) {
    super();
    this.proj = this.add("proj", new Linear(dimIn, 2 * dimOut));
  }

  /** [B, T, dimIn] → [B, T, dimOut]. */
  forward(x: Tensor): Tensor {
    return geglu(this.proj.forward(x));
  }
}

/**
 * Bytes of GEGLU projection computed at a time. The projection is 8·dim wide: for all 8,192 token rows of a 64×64
 * latent batch of 2 it is 84 MB, plus 42 MB of GEGLU output, the largest activations of the UNet. Every op of the
 * feed-forward works row by row, so row chunks give the same bits (diffusers' enable_forward_chunking).
 */
const FF_CHUNK_BYTES = 16 * 1024 * 1024;

/** Stands in for the parameterless `net.1` Dropout so that `net.2` keeps its diffusers index. */
class Dropout extends Module {
  override repr(): string {
    return "Dropout(p=0.0, inplace=False)";
  }
}

export class FeedForward extends Module {
  readonly geglu: GEGLU;
  readonly out: Linear;

  constructor(dim: number, mult = 4) {
    super();
    const inner = dim * mult;
    this.geglu = new GEGLU(dim, inner);
    this.out = new Linear(inner, dim);
    this.add("net", new FeedForwardNet([this.geglu, new Dropout(), this.out]));
  }

  /** [B, T, dim] → [B, T, dim], in chunks of token rows whose [rows, 8·dim] projection fits FF_CHUNK_BYTES. */
  forward(x: Tensor): Tensor {
    const dim = x.dim(-1), rows = x.numel / dim;
    const chunkRows = Math.max(1, Math.floor(FF_CHUNK_BYTES / (4 * 2 * this.geglu.dimOut)));
    const b = x.backend;
    if (rows <= chunkRows) return tidy(b, () => this.out.forward(this.geglu.forward(x)));
    return tidy(b, () => {
      const flat = x.reshape([rows, dim]);
      const parts: Tensor[] = [];
      for (let r = 0; r < rows; r += chunkRows) {
        // Each chunk's projection and GEGLU output die before the next chunk's are made.
        parts.push(tidy(b, () => this.out.forward(this.geglu.forward(slice(flat, 0, r, Math.min(rows, r + chunkRows))))));
      }
      return concat(parts, 0).reshape(x.shape);
    });
  }
}

class FeedForwardNet extends Module {
  constructor(items: Module[]) {
    super();
    items.forEach((m, i) => this.add(String(i), m));
  }

  override repr(): string {
    return "ModuleList";
  }
}
