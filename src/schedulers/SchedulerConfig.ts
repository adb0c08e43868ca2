// Reading a diffusers `scheduler_config.json` dict the way `Cls.from_config(dict)` does: the fields the class
// declares take the given value or the class's own default; other fields (another class's, `_class_name`, …) are
// ignored. Values that would change the numbers but are not implemented here are rejected by name.

/** A parsed `scheduler_config.json` (JSON values; non-finite floats may appear as "inf" / "-inf" strings). */
export type SchedulerConfigDict = Readonly<Record<string, unknown>>;

/** Fields every class here shares (diffusers names). */
export interface BaseSchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: string;
  trained_betas: number[] | null;
  prediction_type: string;
  timestep_spacing: string;
  steps_offset: number;
}

/** diffusers' `__init__` defaults of the shared fields, the same in every class (except timestep_spacing). */
export const BASE_DEFAULTS: Readonly<Omit<BaseSchedulerConfig, "timestep_spacing">> = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  trained_betas: null,
  prediction_type: "epsilon",
  steps_offset: 0,
});

/** The kind of value a field holds; nullable fields have `null` as their diffusers default. */
type FieldKind = "number" | "integer" | "string" | "boolean" | "number|null" | "string|null" | "numbers|null";

function kindOf(value: unknown): FieldKind {
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  throw new Error(`internal: default ${String(value)} needs an explicit kind`);
}

function parseNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (value === "inf" || value === "Infinity") return Infinity;
  if (value === "-inf" || value === "-Infinity") return -Infinity;
  return undefined;
}

function coerce(className: string, field: string, kind: FieldKind, value: unknown): unknown {
  const bad = (): Error =>
    new Error(`${className}: config ${field} = ${JSON.stringify(value)} is not a valid ${kind.replace("|null", " or null")}`);
  if (value === null && kind.endsWith("|null")) return null;
  switch (kind) {
    case "boolean":
      if (typeof value !== "boolean") throw bad();
      return value;
    case "string":
    case "string|null":
      if (typeof value !== "string") throw bad();
      return value;
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad();
      return value;
    }
    case "number":
    case "number|null": {
      const n = parseNumber(value);
      if (n === undefined || Number.isNaN(n)) throw bad();
      return n;
    }
    case "numbers|null":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "number")) throw bad();
      return [...(value as number[])];
  }
}

/**
 * `defaults` are the class's `__init__` defaults (diffusers 0.31); `kinds` overrides the kind inferred from a
 * default (needed for `null` defaults and integer fields). Returns a fresh, fully resolved config.
 */
export function resolveConfig<T extends object>(
  className: string,
  defaults: T,
  given: SchedulerConfigDict,
  kinds: Partial<Record<keyof T & string, FieldKind>> = {},
): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const field of Object.keys(out)) {
    if (!(field in given) || given[field] === undefined) continue;
    const kind = (kinds as Record<string, FieldKind | undefined>)[field] ?? kindOf(out[field]);
    out[field] = coerce(className, field, kind, given[field]);
  }
  return out as T;
}

/** Kinds shared by every class (fields whose default does not tell the kind). */
const BASE_KINDS = {
  num_train_timesteps: "integer",
  steps_offset: "integer",
  trained_betas: "numbers|null",
} as const;

/** Rejects a config value this implementation does not support, naming the field, value and what is supported. */
export function requireOneOf<V>(className: string, field: string, value: V, supported: readonly V[]): void {
  if (!supported.includes(value)) {
    const list = supported.map((v) => JSON.stringify(v)).join(", ");
    throw new Error(`${className}: config ${field} = ${JSON.stringify(value)} is not supported (supported: ${list})`);
  }
}

/** The checks every class needs: ε-prediction only, known beta schedules and timestep spacings. */
export function checkBaseConfig(className: string, config: BaseSchedulerConfig): void {
  requireOneOf(className, "prediction_type", config.prediction_type, ["epsilon"]);
  if (config.trained_betas === null) {
    requireOneOf(className, "beta_schedule", config.beta_schedule, ["scaled_linear", "linear"]);
  } else if (config.trained_betas.length !== config.num_train_timesteps) {
    throw new Error(
      `${className}: config trained_betas has ${config.trained_betas.length} values, expected num_train_timesteps = ${config.num_train_timesteps}`,
    );
  }
  requireOneOf(className, "timestep_spacing", config.timestep_spacing, ["leading", "linspace", "trailing"]);
  if (!(config.num_train_timesteps > 1)) {
    throw new Error(`${className}: config num_train_timesteps = ${config.num_train_timesteps} must be at least 2`);
  }
}

/**
 * What every scheduler constructor starts with: the class's config resolved from `given` (`kinds` adds to the
 * kinds every class shares) and checked by `checkBaseConfig`. Class-specific checks follow in the constructor.
 */
export function resolveSchedulerConfig<T extends BaseSchedulerConfig>(
  className: string,
  defaults: T,
  given: SchedulerConfigDict,
  kinds: Partial<Record<keyof T & string, FieldKind>> = {},
): T {
  const config = resolveConfig(className, defaults, given, { ...BASE_KINDS, ...kinds });
  checkBaseConfig(className, config);
  return config;
}
