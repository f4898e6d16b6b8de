/**
 * The runs panel's numbers, without DOM: a metric's points (Series), what of them a chart of
 * a few hundred pixels draws (M4 decimation: first, min, max and last point of every pixel
 * column, so no spike is ever hidden), and exponential smoothing.
 *
 * Points are kept in growable typed arrays sorted by step. A series past MAX_POINTS is
 * compacted in place by the same min/max rule, so memory stays bounded on a run of millions
 * of steps and every extreme survives.
 */

/** Points one series keeps before it compacts (two Float64 each: 3.2 MB). */
export const MAX_POINTS = 200_000;

/** A metric value as the log carries it: a number, or "nan", "inf", "-inf". */
export function metricValue(v) {
  if (typeof v === "number") return v;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return NaN;
}

/** Index of the first element of xs[0..n) that is ≥ x. */
export function lowerBound(xs, n, x) {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Series {
  constructor() {
    this.x = new Float64Array(64);
    this.y = new Float64Array(64);
    this.n = 0;
    /** Bumped whenever points change other than by appending (the smoothing starts over). */
    this.rewrites = 0;
    this.nonFinite = 0;
    this.firstNonFinite = null;
    this.compacted = false;
    this.min = Infinity;
    this.max = -Infinity;
  }

  get lastStep() {
    return this.n ? this.x[this.n - 1] : -Infinity;
  }

  #grow() {
    const x = new Float64Array(this.x.length * 2);
    const y = new Float64Array(this.y.length * 2);
    x.set(this.x);
    y.set(this.y);
    this.x = x;
    this.y = y;
  }

  /** Add a point; steps going back (a tailed file) are inserted in order. */
  push(step, value) {
    const v = metricValue(value);
    if (!Number.isFinite(v)) {
      this.nonFinite += 1;
      if (this.firstNonFinite === null) this.firstNonFinite = step;
    } else {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    if (this.n === this.x.length) this.#grow();
    if (step >= this.lastStep) {
      this.x[this.n] = step;
      this.y[this.n] = v;
      this.n += 1;
    } else {
      const i = lowerBound(this.x, this.n, step + 1e-9);
      this.x.copyWithin(i + 1, i, this.n);
      this.y.copyWithin(i + 1, i, this.n);
      this.x[i] = step;
      this.y[i] = v;
      this.n += 1;
      this.rewrites += 1;
    }
    if (this.n > MAX_POINTS) this.#compact();
  }

  /** Halve the points, keeping the first, min, max and last of every small bucket. */
  #compact() {
    const keep = m4(this.x, this.y, this.n, 0, this.n, Math.floor(MAX_POINTS / 8));
    for (let j = 0; j < keep.length; j += 1) {
      this.x[j] = this.x[keep[j]];
      this.y[j] = this.y[keep[j]];
    }
    this.n = keep.length;
    this.compacted = true;
    this.rewrites += 1;
  }

  /** The point nearest to `step`: {step, value} or null. */
  nearest(step) {
    if (!this.n) return null;
    const i = lowerBound(this.x, this.n, step);
    let j = i;
    if (i >= this.n) j = this.n - 1;
    else if (i > 0 && step - this.x[i - 1] < this.x[i] - step) j = i - 1;
    return { step: this.x[j], value: this.y[j], index: j };
  }
}

/**
 * M4 decimation of points [i0, i1) into `buckets` equal slices of step: the indices (sorted,
 * unique) of each slice's first, lowest, highest and last point. A line through them looks
 * the same as through every point at one slice per pixel. Non-finite values are kept as they
 * come (they are rare, and a NaN is news).
 */
export function m4(xs, ys, n, i0, i1, buckets) {
  i0 = Math.max(0, i0);
  i1 = Math.min(n, i1);
  const count = i1 - i0;
  if (count <= buckets * 4) {
    const all = new Int32Array(Math.max(0, count));
    for (let k = 0; k < count; k += 1) all[k] = i0 + k;
    return all;
  }
  const x0 = xs[i0];
  const span = xs[i1 - 1] - x0 || 1;
  const out = [];
  let b = -1;
  let first = 0;
  let lo = 0;
  let hi = 0;
  let last = 0;
  const flush = () => {
    const four = [first, lo, hi, last].sort((a, c) => a - c);
    for (let k = 0; k < 4; k += 1) if (k === 0 || four[k] !== four[k - 1]) out.push(four[k]);
  };
  for (let i = i0; i < i1; i += 1) {
    const bi = Math.min(buckets - 1, Math.floor(((xs[i] - x0) / span) * buckets));
    const v = ys[i];
    if (bi !== b) {
      if (b >= 0) flush();
      b = bi;
      first = lo = hi = last = i;
      continue;
    }
    last = i;
    if (Number.isFinite(v)) {
      if (!(ys[lo] <= v)) lo = i; // a non-finite lo is replaced by any finite value
      if (!(ys[hi] >= v)) hi = i;
    }
  }
  if (b >= 0) flush();
  return Int32Array.from(out);
}

/**
 * Debiased exponential moving average (as TensorBoard's and wandb's smoothing slider):
 * `weight` 0 is the raw line, 0.99 nearly flat. Kept per series and extended as points
 * arrive; started over when points were inserted or compacted.
 */
export class Smoother {
  constructor() {
    this.weight = -1;
    this.rewrites = -1;
    this.done = 0;
    this.last = 0;
    this.count = 0;
    this.out = new Float64Array(0);
  }

  /** The smoothed values of `series` (an array parallel to its points). */
  of(series, weight) {
    if (weight !== this.weight || series.rewrites !== this.rewrites || this.done > series.n) {
      this.weight = weight;
      this.rewrites = series.rewrites;
      this.done = 0;
      this.last = 0;
      this.count = 0;
    }
    if (this.out.length < series.n) {
      const out = new Float64Array(series.x.length);
      out.set(this.out.subarray(0, this.done));
      this.out = out;
    }
    const ys = series.y;
    for (let i = this.done; i < series.n; i += 1) {
      const v = ys[i];
      if (Number.isFinite(v)) {
        this.last = this.last * weight + (1 - weight) * v;
        this.count += 1;
        this.out[i] = weight > 0 ? this.last / (1 - weight ** this.count) : v;
      } else {
        this.out[i] = NaN;
      }
    }
    this.done = series.n;
    return this.out;
  }
}

/** A number as a chart's label shows it: short, with SI-ish precision. */
export function fmtValue(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace("e+", "e");
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Number(v.toPrecision(a >= 100 ? 6 : 4)).toString();
}

/** A step as labels show it: 12,400. */
export function fmtStep(s) {
  return Number.isFinite(s) ? Math.round(s).toLocaleString("en-US") : "–";
}
