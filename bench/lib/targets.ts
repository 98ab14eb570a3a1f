/** The goals `@libc/epoll` is held to, checked against the medians. */
import { PEERS } from "./servers.ts";
import { NOISY } from "./stats.ts";
import type { Metric, Summary } from "./types.ts";

export interface TargetCheck {
  server: string;
  scenario: string;
  /** Human-readable goal, e.g. "msgs/s ≥ 0.9× c". */
  goal: string;
  metric: Metric;
  value: number | null;
  limit: number | null;
  /** null when a reference (c, or every peer) is missing. */
  met: boolean | null;
  /** Some server's median run in this scenario was disturbed by other load: the verdict is shaky. */
  noisy: boolean;
}

type Lookup = (server: string, scenario: string, metric: Metric) => number | null;

function lookupIn(summaries: Summary[]): Lookup {
  return (server, scenario, metric) =>
    summaries.find((s) => s.server === server && s.scenario === scenario)?.median?.[metric] ?? null;
}

function cheapestPeer(get: Lookup, scenario: string): number | null {
  const costs = PEERS.map((p) => get(p, scenario, "serverCpuUsPerMsg")).filter((v): v is number =>
    v !== null
  );
  return costs.length ? Math.min(...costs) : null;
}

interface Goal {
  scenario: string;
  goal: string;
  metric: Metric;
  limit: (get: Lookup) => number | null;
  /** "≥" goals are throughputs, "≤" goals are costs. */
  atLeast: boolean;
}

const times = (x: number | null, k: number): number | null => x === null ? null : x * k;

const GOALS: Goal[] = [
  ...["pingpong-1", "pingpong-100", "pingpong-1000"].map((scenario): Goal => ({
    scenario,
    goal: "msgs/s ≥ 0.9× c",
    metric: "msgsPerSec",
    limit: (get) => times(get("c", scenario, "msgsPerSec"), 0.9),
    atLeast: true,
  })),
  {
    scenario: "pingpong-100",
    goal: "CPU/msg ≤ 1.1× c",
    metric: "serverCpuUsPerMsg",
    limit: (get) => times(get("c", "pingpong-100", "serverCpuUsPerMsg"), 1.1),
    atLeast: false,
  },
  {
    scenario: "pingpong-100",
    goal: "CPU/msg ≤ 0.85× cheapest peer",
    metric: "serverCpuUsPerMsg",
    limit: (get) => times(cheapestPeer(get, "pingpong-100"), 0.85),
    atLeast: false,
  },
  {
    scenario: "pingpong-1",
    goal: "CPU/msg ≤ 1.2× cheapest peer",
    metric: "serverCpuUsPerMsg",
    limit: (get) => times(cheapestPeer(get, "pingpong-1"), 1.2),
    atLeast: false,
  },
  {
    scenario: "pingpong-1",
    goal: "p50 ≤ 1.2× c",
    metric: "p50Us",
    limit: (get) => times(get("c", "pingpong-1", "p50Us"), 1.2),
    atLeast: false,
  },
  {
    scenario: "stream-16k",
    goal: "MB/s ≥ 0.9× c",
    metric: "mbPerSec",
    limit: (get) => times(get("c", "stream-16k", "mbPerSec"), 0.9),
    atLeast: true,
  },
  {
    scenario: "idle-10k",
    goal: "bytes/conn ≤ c + 2 KiB",
    metric: "bytesPerConn",
    limit: (get) => {
      const c = get("c", "idle-10k", "bytesPerConn");
      return c === null ? null : c + 2048;
    },
    atLeast: false,
  },
];

/** Checks every goal for every one of our servers that ran the goal's scenario. */
export function checkTargets(summaries: Summary[], ours: string[]): TargetCheck[] {
  const get = lookupIn(summaries);
  const noisy = (scenario: string): boolean =>
    summaries.some((s) => s.scenario === scenario && (s.median?.otherCpu ?? 0) > NOISY);
  const ran = (server: string, scenario: string): boolean =>
    summaries.some((s) => s.server === server && s.scenario === scenario);
  return ours.flatMap((server) =>
    GOALS.filter((g) => ran(server, g.scenario)).map((g): TargetCheck => {
      const value = get(server, g.scenario, g.metric);
      const limit = g.limit(get);
      const met = value === null || limit === null ? null : g.atLeast ? value >= limit : value <= limit;
      const base = { server, scenario: g.scenario, goal: g.goal, metric: g.metric };
      return { ...base, value, limit, met, noisy: noisy(g.scenario) };
    })
  );
}
