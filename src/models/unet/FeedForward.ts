// diffusers `FeedForward` with GEGLU, as SD1.x's transformer blocks use it:
//   net.0 = GEGLU: proj to 2·inner, split into (hidden, gate), hidden · gelu(gate)   (inner = 4·dim)
//   net.1 = Dropout (identity at inference, no parameters)
//   net.2 = Linear(inner → dim)
import { Linear } from "../../nn/Linear.js";
import { Module } from "../../nn/Module.js";
import { geglu } from "../../tensor/ops.js";
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

  /** [B, T, dim] → [B, T, dim]. */
  forward(x: Tensor): Tensor {
    return this.out.forward(this.geglu.forward(x));
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
