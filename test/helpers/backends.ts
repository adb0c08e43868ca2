// Which backends the fixture suite runs on: always `ts`; `native` where its addon was built
// (SDTS_REQUIRE_NATIVE=1 turns a missing addon into a failure, for machines where it must build).
import { nativeAvailability } from "../../src/backend/index.js";

export interface BackendsUnderTest {
  readonly names: readonly string[];
  /** Why native is not among them (null when it is). */
  readonly nativeMissing: string | null;
}

export function backendsUnderTest(): BackendsUnderTest {
  const { available, reason } = nativeAvailability();
  if (!available && process.env.SDTS_REQUIRE_NATIVE === "1") throw new Error(`SDTS_REQUIRE_NATIVE=1 but the native addon did not load: ${reason}`);
  return available ? { names: ["ts", "native"], nativeMissing: null } : { names: ["ts"], nativeMissing: reason ?? "not built" };
}
