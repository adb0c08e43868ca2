// Timestep spacings ("linspace", "leading", "trailing": Table 2 of arXiv:2305.08891) computed with numpy's
// float64 arithmetic, which diffusers uses before casting: the same doubles give the same roundings.

/** numpy's `round` (and `np.round`): halves go to the even neighbour (499.5 → 500, 548.5 → 548). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.linspace(start, stop, num)`: i·step + start in float64, the last value exactly `stop`. */
export function numpyLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** `np.arange(start, stop, step)` for a float step: ceil((stop−start)/step) values start + i·((start+step)−start). */
export function numpyArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  return Array.from({ length }, (_, i) => start + i * delta);
}

export type TimestepSpacing = "linspace" | "leading" | "trailing";

/**
 * The descending inference timesteps of DDIM, Euler, Euler ancestral and LMS (PNDM uses them ascending):
 * - linspace: n points over [0, T−1] (rounded to integers when `roundLinspace`, else kept fractional);
 * - leading:  0, r, 2r, … (r = T div n) plus `stepsOffset` — SD1.5's 1, 51, …, 951 for 20 steps;
 * - trailing: T, T−T/n, … rounded, minus 1 — always ends the schedule at T−1.
 */
export function spacedTimesteps(
  spacing: string,
  numTrainTimesteps: number,
  numInferenceSteps: number,
  stepsOffset: number,
  roundLinspace: boolean,
): number[] {
  const n = numInferenceSteps;
  switch (spacing) {
    case "linspace": {
      const points = numpyLinspace(0, numTrainTimesteps - 1, n);
      return (roundLinspace ? points.map(roundHalfEven) : points).reverse();
    }
    case "leading": {
      const ratio = Math.floor(numTrainTimesteps / n);
      return Array.from({ length: n }, (_, i) => i * ratio + stepsOffset).reverse();
    }
    case "trailing":
      return numpyArange(numTrainTimesteps, 0, -numTrainTimesteps / n).map((t) => roundHalfEven(t) - 1);
    default:
      throw new Error(`timestep_spacing "${spacing}" is not supported (supported: "linspace", "leading", "trailing")`);
  }
}

/** Validates `set_timesteps(n)`: a positive integer no larger than the training schedule. */
export function checkInferenceSteps(className: string, n: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(n) || n < 1 || n > numTrainTimesteps) {
    throw new Error(`${className}: setTimesteps(${n}): the number of inference steps must be an integer in 1…${numTrainTimesteps}`);
  }
}
