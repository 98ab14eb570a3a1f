/** Shared shapes of the echo benchmark: what is run, and what one run measures. */

/** A server under test. `argv` is run from the repository root, pinned to CPU 0. */
export interface ServerSpec {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  /** One of the `@libc/epoll` servers, i.e. the ones the targets apply to. */
  ours: boolean;
}

/** A server that cannot run on this machine, and why. */
export interface Skipped {
  name: string;
  reason: string;
}

export interface Scenario {
  name: string;
  conns: number;
  size: number;
  depth: number;
  /** Idle scenarios measure memory per connection instead of throughput. */
  idle: boolean;
}

/** The JSON line `bench/.build/loadgen` prints at the end of a load run. */
export interface LoadgenReport {
  messages: number;
  msgs_per_sec: number;
  mb_per_sec: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  errors: number;
  cpu_user_s: number;
  cpu_sys_s: number;
  wall_s: number;
  connected: number;
}

/** What one run of one server in one scenario measured; null where it does not apply. */
export interface Sample {
  msgsPerSec: number | null;
  mbPerSec: number | null;
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  /** utime+stime of the server's process tree over the measured window, per message. */
  serverCpuUsPerMsg: number | null;
  /** The load generator's CPU time / wall time over the window (1.0 = one full core). */
  loadgenCpu: number | null;
  /**
   * Share of the two benchmark CPUs used by anything but the server and the load generator during
   * the window (other processes, the harness): high values mean a disturbed run.
   */
  otherCpu: number | null;
  /** Server tree VmRSS growth per idle connection, in bytes. */
  bytesPerConn: number | null;
  errors: number;
  connected: number;
}

export type Metric = Exclude<keyof Sample, "errors" | "connected">;

export interface RunRecord {
  scenario: string;
  server: string;
  run: number;
  sample: Sample | null;
  /** Why the run produced no sample (server did not start, load generator failed, ...). */
  failure?: string;
  /** 1, or more when a run disturbed by other load was redone. */
  attempts: number;
}

/** Medians over the runs of one server in one scenario. */
export interface Summary {
  scenario: string;
  server: string;
  runs: number;
  median: Sample | null;
  /** Runs in which the load generator used ≥ 90% of its core (its numbers are a floor). */
  saturatedRuns: number;
}
