// A minimal module tree. Children are registered under the names diffusers/transformers give them, so a
// parameter's path (`down_blocks.0.resnets.1.conv1.weight`) is its state-dict key and loading is a walk.
// The tree is built from a config alone (no weights): `inspect` and shape checks need no file.
import type { Backend } from "../backend/Backend.js";
import { numelOf, type Shape } from "../tensor/Tensor.js";

export interface ParamSpec {
  /** Local name (`weight`, `bias`). */
  readonly name: string;
  readonly shape: Shape;
}

/** Supplies validated parameter values to a leaf module while loading. */
export type ParamGetter = (localName: string) => Float32Array;

export abstract class Module {
  private readonly childList: Array<[string, Module]> = [];

  protected add<M extends Module>(name: string, m: M): M {
    this.childList.push([name, m]);
    return m;
  }

  children(): ReadonlyArray<readonly [string, Module]> {
    return this.childList;
  }

  /** Parameters this module owns directly (leaves only). */
  ownParameters(): readonly ParamSpec[] {
    return [];
  }

  /** Receives this module's own parameters, already checked against `ownParameters()`. */
  bind(_backend: Backend, _get: ParamGetter): void {}

  /** The head of PyTorch's repr: `Conv2d(4, 320, kernel_size=(3, 3), ...)` or `ResnetBlock2D`. */
  repr(): string {
    return this.constructor.name;
  }

  /** Every parameter as [state-dict key, shape], in registration (= state_dict) order. */
  namedParameters(prefix = ""): Array<[string, Shape]> {
    const out: Array<[string, Shape]> = [];
    for (const p of this.ownParameters()) out.push([prefix + p.name, p.shape]);
    for (const [name, child] of this.childList) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  numParameters(): number {
    return this.namedParameters().reduce((s, [, shape]) => s + numelOf(shape), 0);
  }

  /** Visit every module with its dotted path (root = ""). */
  *modules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.childList) yield* child.modules(prefix ? `${prefix}.${name}` : name);
  }
}

/** An indexed list of modules (`down_blocks.0`, `down_blocks.1`, …), like torch.nn.ModuleList. */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.add(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList index ${i} out of range (${this.items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
