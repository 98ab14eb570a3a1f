/**
 * The client's latency histogram on the harness side: the same log-linear
 * buckets as `bucket_of` in bench/stress/client.c (ns, exact below 128, then 64
 * buckets per power of two, ~1.6%), merged across client processes.
 *
 * @module
 */

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** BUCKETS in client.c. */
export const BUCKETS = 64 * SUB;

/** The midpoint of bucket `idx`, in ns (bucket_value in client.c). */
export function bucketNanos(idx: number): number {
  if (idx < 2 * SUB) return idx;
  const shift = Math.floor(idx / SUB) - 1;
  const low = ((idx % SUB) + SUB) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

/** Latency counts that add up across processes and seconds. */
export class Histogram {
  readonly counts: Float64Array = new Float64Array(BUCKETS);
  /** Echoes counted. */
  n = 0;
  /** Sum of their latencies, ns (for the mean). */
  sumNanos = 0;
  /** The largest, ns (exact, not bucketed). */
  maxNanos = 0;

  /** Adds the `h=IDX:COUNT,…` field of a stat line, with its n, sum and max. */
  addLine(h: string, n: number, sum: number, max: number): void {
    if (h !== "") {
      for (const pair of h.split(",")) {
        const colon = pair.indexOf(":");
        const idx = Number(pair.slice(0, colon));
        const count = Number(pair.slice(colon + 1));
        if (Number.isInteger(idx) && idx >= 0 && idx < BUCKETS && count > 0) this.counts[idx] += count;
      }
    }
    this.n += n;
    this.sumNanos += sum;
    if (max > this.maxNanos) this.maxNanos = max;
  }

  /** Adds another histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.n += other.n;
    this.sumNanos += other.sumNanos;
    this.maxNanos = Math.max(this.maxNanos, other.maxNanos);
  }

  /** The `q` quantile (0..1) in ms, or null when empty. */
  quantileMs(q: number): number | null {
    const total = this.counts.reduce((a, b) => a + b, 0);
    if (total === 0) return null;
    const rank = Math.min(total - 1, Math.floor(q * total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen > rank) return bucketNanos(i) / 1e6;
    }
    return bucketNanos(BUCKETS - 1) / 1e6;
  }

  /** p50, p99, p99.9, mean and max in ms (null when empty), for the JSON. */
  summary(): LatencySummary {
    const empty = this.n === 0;
    return {
      echoes: this.n,
      meanMs: empty ? null : this.sumNanos / this.n / 1e6,
      p50Ms: this.quantileMs(0.5),
      p99Ms: this.quantileMs(0.99),
      p999Ms: this.quantileMs(0.999),
      maxMs: empty ? null : this.maxNanos / 1e6,
    };
  }
}

/** A phase's echo latency, ms. */
export interface LatencySummary {
  echoes: number;
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}
