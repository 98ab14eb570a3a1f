/**
 * The order of runs: servers interleaved within each scenario (A B C A B C …) so that slow drift
 * (thermal, page cache, a neighbour's build) hits all of them alike; disturbed runs are redone.
 */
import { percent, rate } from "./format.ts";
import { type RunConfig, runOnce } from "./run.ts";
import { NOISY } from "./stats.ts";
import type { RunRecord, Sample, Scenario, ServerSpec } from "./types.ts";

export interface Plan {
  servers: ServerSpec[];
  scenarios: Scenario[];
  runs: number;
  /** Extra attempts for a run disturbed by other load (other CPU > NOISY). */
  retries: number;
  /** Retries are only started while the whole schedule is predicted to end within this. */
  budgetMs: number;
}

/** Predicts the end of the schedule from the time first attempts take, to decide if a retry fits. */
class Clock {
  #start = Date.now();
  #firstMs = 0;
  #firsts = 0;

  constructor(readonly total: number, readonly budgetMs: number) {}

  attempted(ms: number, first: boolean): void {
    if (!first) return;
    this.#firstMs += ms;
    this.#firsts++;
  }

  /** A retry may run if it and the `remaining` first attempts still fit the budget. */
  retryFits(remaining: number): boolean {
    const avg = this.#firsts ? this.#firstMs / this.#firsts : 0;
    // Runs asked to be long (--runs/--duration) get a third more than their base time for retries.
    const budget = Math.max(this.budgetMs, 1.3 * avg * this.total);
    return Date.now() - this.#start + (remaining + 1) * avg <= budget;
  }
}

function progress(i: number, total: number, r: RunRecord): void {
  const s = r.sample;
  const what = r.failure
    ? `FAILED: ${r.failure}`
    : s?.bytesPerConn != null
    ? `${(s.bytesPerConn / 1024).toFixed(1)} KiB/conn`
    : `${rate(s?.msgsPerSec ?? null)} msgs/s, ${s?.serverCpuUsPerMsg?.toFixed(2) ?? "—"} µs CPU/msg, ` +
      `loadgen ${percent(s?.loadgenCpu ?? null)}, other ${percent(s?.otherCpu ?? null)}`;
  const retried = r.attempts > 1 ? ` (attempt ${r.attempts})` : "";
  console.error(`[${i}/${total}] ${r.scenario} ${r.server} #${r.run}${retried}: ${what}`);
}

const noisy = (s: Sample | null): boolean => (s?.otherCpu ?? 0) > NOISY;

/** One run, redone while other load disturbed it and time allows; keeps the least disturbed sample. */
async function measure(cfg: RunConfig, plan: Plan, clock: Clock, job: Job): Promise<RunRecord> {
  const { spec, sc, run, remaining } = job;
  const record: RunRecord = { scenario: sc.name, server: spec.name, run, sample: null, attempts: 0 };
  for (let i = 0; i <= plan.retries; i++) {
    if (i > 0 && (!noisy(record.sample) || !clock.retryFits(remaining))) break;
    record.attempts++;
    const t0 = Date.now();
    try {
      const sample = await runOnce(cfg, spec, sc);
      if (!record.sample || (sample.otherCpu ?? 0) < (record.sample.otherCpu ?? 0)) record.sample = sample;
      delete record.failure;
    } catch (e) {
      if (!record.sample) record.failure = e instanceof Error ? e.message : String(e);
      break;
    } finally {
      clock.attempted(Date.now() - t0, i === 0);
    }
  }
  return record;
}

interface Job {
  spec: ServerSpec;
  sc: Scenario;
  run: number;
  /** First attempts still to come after this one. */
  remaining: number;
}

function jobs(plan: Plan): Job[] {
  const out: Job[] = [];
  for (const sc of plan.scenarios) {
    for (let run = 1; run <= plan.runs; run++) {
      for (const spec of plan.servers) out.push({ spec, sc, run, remaining: 0 });
    }
  }
  return out.map((j, i) => ({ ...j, remaining: out.length - i - 1 }));
}

export async function runAll(cfg: RunConfig, plan: Plan): Promise<RunRecord[]> {
  const todo = jobs(plan);
  const clock = new Clock(todo.length, plan.budgetMs);
  const records: RunRecord[] = [];
  for (const job of todo) {
    records.push(await measure(cfg, plan, clock, job));
    progress(records.length, todo.length, records[records.length - 1]);
  }
  return records;
}
