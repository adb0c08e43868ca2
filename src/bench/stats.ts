// Small timing helpers shared by the benchmarks.

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** A short description of the backend for reports: name, plus ISA and threads for the native one. */
export function backendLabel(b: { readonly name: string }): string {
  const n = b as { readonly name: string; readonly isa?: string; readonly threads?: number; readonly precision?: string; readonly weights?: string };
  const extra = (n.precision && n.precision !== "fp32" ? `, ${n.precision}` : "") + (n.weights === "fp16" ? ", fp16 weights" : "");
  return n.isa ? `${n.name} (${n.isa}, ${n.threads} threads${extra})` : n.name;
}
