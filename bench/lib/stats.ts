/** Medians across runs: robust to the one run that a noisy neighbour or a GC pause spoiled. */
import type { Metric, RunRecord, Sample, Summary } from "./types.ts";

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const METRICS: Metric[] = [
  "msgsPerSec",
  "mbPerSec",
  "p50Us",
  "p99Us",
  "p999Us",
  "serverCpuUsPerMsg",
  "loadgenCpu",
  "otherCpu",
  "bytesPerConn",
];

/** A load generator above this share of its core is the bottleneck, not the server. */
export const SATURATION = 0.9;

/** Above this share of the two benchmark CPUs going to other processes, a run counts as disturbed. */
export const NOISY = 0.1;

function medianSample(samples: Sample[]): Sample {
  const out = {
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    connected: Math.min(...samples.map((s) => s.connected)),
  } as Sample;
  for (const m of METRICS) {
    out[m] = median(samples.map((s) => s[m]).filter((v): v is number => v !== null));
  }
  return out;
}

export function summarize(scenario: string, server: string, records: RunRecord[]): Summary {
  const samples = records.filter((r) => r.scenario === scenario && r.server === server && r.sample)
    .map((r) => r.sample as Sample);
  return {
    scenario,
    server,
    runs: samples.length,
    median: samples.length ? medianSample(samples) : null,
    saturatedRuns: samples.filter((s) => (s.loadgenCpu ?? 0) >= SATURATION).length,
  };
}
