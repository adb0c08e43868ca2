// Scalar functions shared by the kernels. They run in float64 and are accurate far below float32 rounding, so
// results match PyTorch's float32 functions to within a unit in the last place.

// e^x for x ≤ 0 (softmax after subtracting the row max, and sigmoid via its symmetry): x = (j/64)·ln2 + r with
// |r| ≤ ln2/128, 2^(j/64) from a table, e^r by a degree-4 polynomial. Relative error < 1e-13; about twice as
// fast as Math.exp in V8. Below −104, e^x is under float32's smallest denormal, so 0.
const EXP_TABLE_STEPS = 64;
const EXP_MIN = -104;
const EXP_TABLE = (() => {
  const n = Math.ceil((-EXP_MIN * EXP_TABLE_STEPS) / Math.LN2) + 2;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.pow(2, -i / EXP_TABLE_STEPS);
  return t;
})();
const EXP_J_PER_UNIT = EXP_TABLE_STEPS / Math.LN2;
// ln2/64 split in two so j·LN2_HI is exact: r keeps full precision.
const LN2_64_HI = 0.6931471803691238 / EXP_TABLE_STEPS;
const LN2_64_LO = 1.9082149292705877e-10 / EXP_TABLE_STEPS;

/** e^x for x ≤ 0 (NaN stays NaN), relative error < 1e-13. */
export function expNonPositive(x: number): number {
  if (!(x > EXP_MIN)) return x !== x ? x : 0;
  const j = Math.floor(x * EXP_J_PER_UNIT + 0.5); // ≤ 0 (Math.round is slower in V8)
  const r = x - j * LN2_64_HI - j * LN2_64_LO;
  return (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))))) * EXP_TABLE[-j]!;
}

/** 1 / (1 + e^−x), through e^−|x| so the exponential never overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + expNonPositive(-x));
  const e = expNonPositive(x);
  return e / (1 + e);
}

/** erf by its Maclaurin series / erfc continued fraction: accurate to double rounding, but ~150 ns a call. */
function erfSeries(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else if (ax < 6) {
    // continued fraction for erfc
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

// erf on [0, 6) as 24 degree-10 Taylor polynomials around the midpoints of intervals of width 1/4, built once
// from the series: erf⁽ⁿ⁾(c) = 2/√π · (−1)ⁿ⁻¹ Hₙ₋₁(c) e^(−c²) (Hermite polynomials). Truncation error < 1e-13.
const ERF_STEP = 0.25;
const ERF_PIECES = 24;
const ERF_DEGREE = 10;
const ERF_TAYLOR = (() => {
  const t = new Float64Array(ERF_PIECES * (ERF_DEGREE + 1));
  for (let i = 0; i < ERF_PIECES; i++) {
    const c = (i + 0.5) * ERF_STEP, o = i * (ERF_DEGREE + 1);
    const g = (2 / Math.sqrt(Math.PI)) * Math.exp(-c * c);
    t[o] = erfSeries(c);
    let hPrev = 0, h = 1; // H₋₁ (unused), H₀
    let factorial = 1;
    for (let n = 1; n <= ERF_DEGREE; n++) {
      factorial *= n;
      if (n > 1) {
        const next = 2 * c * h - 2 * (n - 2) * hPrev; // H_(n−1) = 2c·H_(n−2) − 2(n−2)·H_(n−3)
        hPrev = h;
        h = next;
      }
      t[o + n] = (g * ((n - 1) % 2 === 0 ? 1 : -1) * h) / factorial;
    }
  }
  return t;
})();

/** 2/√π · (−1)ⁿ / (n! (2n+1)), n = 0 … 7. */
const ERF_MACLAURIN = (() => {
  const m = new Float64Array(8);
  let factorial = 1;
  for (let n = 0; n < 8; n++) {
    if (n > 0) factorial *= n;
    m[n] = ((2 / Math.sqrt(Math.PI)) * (n % 2 === 0 ? 1 : -1)) / (factorial * (2 * n + 1));
  }
  return m;
})();

/**
 * erf(x) to within 1e-13 (far below float32 rounding), so GELU matches torch's erf-based GELU; ~10× faster
 * than the series it is built from.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < ERF_STEP) {
    // Near 0 the Maclaurin series (odd, exact at 0, relative accuracy 1e-15): x·Σ mₙ x²ⁿ, n ≤ 7.
    const z = x * x, m = ERF_MACLAURIN;
    return x * (m[0]! + z * (m[1]! + z * (m[2]! + z * (m[3]! + z * (m[4]! + z * (m[5]! + z * (m[6]! + z * m[7]!)))))));
  }
  if (!(ax < 6)) return x !== x ? x : x < 0 ? -1 : 1; // |erf| rounds to 1 in float64 beyond 6
  const i = Math.floor(ax * (1 / ERF_STEP));
  const t = ax - (i + 0.5) * ERF_STEP;
  const c = ERF_TAYLOR, o = i * (ERF_DEGREE + 1);
  let p = c[o + 10]!;
  p = p * t + c[o + 9]!;
  p = p * t + c[o + 8]!;
  p = p * t + c[o + 7]!;
  p = p * t + c[o + 6]!;
  p = p * t + c[o + 5]!;
  p = p * t + c[o + 4]!;
  p = p * t + c[o + 3]!;
  p = p * t + c[o + 2]!;
  p = p * t + c[o + 1]!;
  p = p * t + c[o]!;
  return x < 0 ? -p : p;
}

/** The series erf, for tests of the fast one. */
export const erfReference: (x: number) => number = erfSeries;
