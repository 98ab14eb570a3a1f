/**
 * Reactor benchmark: what dispatch through the {@linkcode Reactor} costs per
 * event next to the same loop in C and the bare FFI calls it makes, and how
 * fast (and how cheaply) a parked reactor wakes, per poll-worker strategy.
 *
 *   deno run -A bench/reactor_bench.ts [--quick]
 *
 * 1. Throughput: 100 AF_UNIX stream connections (socketpair-equivalent)
 *    driven by a separate C process (`reactor_c drive`, CPU 1) that keeps
 *    sixteen 64-byte messages in flight on each, so every server always has
 *    one to read and sets the pace itself. The server (CPU 0) does the same work
 *    per event in all three forms: one 64-byte read, one write of what was
 *    read (level-triggered, so an fd with more queued is reported again).
 *    - c: `reactor_c server`, the classic level-triggered epoll_wait(-1) loop;
 *    - bare FFI: epoll_wait(0) + read + write through ffi/calls.ts, no reactor;
 *    - reactor: the same read + write as handlers of a Reactor with default
 *      options.
 *    Reported: server CPU ns per event (user+sys over the measured window)
 *    and events/s; empty polls per 1,000 events (a spinning epoll_wait(0)
 *    would inflate CPU per event; the C loop blocks, the reactor never counts
 *    one) and the driver's CPU share show that the server set the pace.
 *    Target: reactor ≤ 1.5× the bare FFI loop.
 * 2. Wake latency: for each strategy (nonblocking, worker) × busyWaitMicros
 *    (0, 50) × placement (same core, cross core): 2,000 one-byte round trips
 *    to a C echo peer (`reactor_c echo`) in another process, each awaited
 *    with `readable()`: p50/p99 µs, CPU µs per wake (process.cpuUsage of the
 *    Deno process, all threads), and which poller step served each wake.
 *    Two patterns: ping-pong (the peer answers at once; a same-core peer
 *    usually answers before the loop even looks, so few wakes park) and
 *    parked (the peer holds each message 200 µs, so the loop has surely
 *    parked, and reports the exact hold, which is subtracted).
 *
 * Builds bench/reactor_c.c with `cc -O2` into bench/.build/ (skipped with a
 * message if there is no C compiler), pins with taskset when present, prints
 * tables and writes bench/results/reactor.json. About 40 s (--quick: 8 s).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { green, red } from "@std/fmt/colors";
import { findCc } from "./lib/build.ts";
import { type Child, exitsWithin, runToEnd, spawn, stop, stopAll } from "./lib/child.ts";
import { describeMachine, machineLine } from "./lib/machine.ts";
import { busySeconds } from "./lib/proc.ts";
import { renderTable } from "./lib/table.ts";
import type { LatencyResult, ServeResult, SleepCostResult } from "./reactor_child.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const BIN = `${ROOT}/bench/.build/reactor_c`;
const CHILD = `${ROOT}/bench/reactor_child.ts`;
const RESULTS = `${ROOT}/bench/results/reactor.json`;

const CONNS = 100;
const SIZE = 64;
const DEPTH = 16; // messages in flight per connection: more than the driver's 1 ms nap consumes
const TARGET_RATIO = 1.5;
const STRATEGIES = ["nonblocking", "worker"] as const;
const BUSY = [0, 50] as const;

interface Settings {
  rounds: number;
  latencyRounds: number;
  warmupMs: number;
  measureMs: number;
  wakes: number;
  warmupWakes: number;
}

// Warm-up wakes let V8 finish optimizing first: its compiler threads count in the process's CPU time.
const FULL: Settings = {
  rounds: 3,
  latencyRounds: 2,
  warmupMs: 500,
  measureMs: 1000,
  wakes: 2000,
  warmupWakes: 1000,
};
const QUICK: Settings = {
  rounds: 1,
  latencyRounds: 1,
  warmupMs: 300,
  measureMs: 500,
  wakes: 500,
  warmupWakes: 500,
};

/** Whether taskset can pin processes, and to how many cores. */
interface Pinning {
  taskset: boolean;
  cores: number;
}

type ServerKind = "c" | "bare FFI" | "reactor";

interface ThroughputRun {
  server: ServerKind;
  round: number;
  result: ServeResult;
  /** The driver's CPU time over its lifetime: well under 1 means the server set the pace. */
  driverCpuShare: number;
}

/** The driver's own RESULT line. */
interface DriverResult {
  roundTrips: number;
  cpuNs: number;
  wallNs: number;
}

/** How long the echo peer holds each message: 0 for ping-pong, or long enough that the loop parks. */
const HOLDS = [0, 200] as const;

interface LatencyRun {
  pattern: "ping-pong" | "parked";
  strategy: (typeof STRATEGIES)[number];
  busyWaitMicros: number;
  placement: "same core" | "cross core" | "unpinned";
  result: LatencyResult;
}

// ------------------------------------------------------------------ processes

function pinned(pin: Pinning, cpu: number, argv: string[]): string[] {
  return pin.taskset && cpu < pin.cores ? ["taskset", "-c", String(cpu), ...argv] : argv;
}

function socketPath(tag: string): string {
  return `/tmp/reactor_bench_${Deno.pid}_${tag}.sock`;
}

/** Waits for the `RESULT <json>` line of `child`; throws with its output on timeout or exit. */
async function resultOf<T>(child: Child, timeoutMs: number): Promise<T> {
  const line = await child.stdout.waitFor((l) => l.startsWith("RESULT "), timeoutMs);
  if (line === null) throw new Error(`${child.name} gave no result${child.describeOutput()}`);
  return JSON.parse(line.slice("RESULT ".length)) as T;
}

async function ready(child: Child): Promise<void> {
  if ((await child.stdout.waitFor((l) => l === "ready", 15_000)) === null) {
    throw new Error(`${child.name} did not start${child.describeOutput()}`);
  }
}

/** Lets the children end by themselves (they do once the work is over), else stops them by PID. */
async function finish(path: string | null, ...children: Child[]): Promise<void> {
  for (const child of children) if (!(await exitsWithin(child, 3000))) await stop(child);
  if (path === null) return;
  try {
    await Deno.remove(path); // the listener removes it itself, unless it died first
  } catch { /* already gone */ }
}

// ------------------------------------------------------------------ throughput

function serverArgv(kind: ServerKind, path: string, s: Settings): string[] {
  const tail = [path, String(CONNS), String(SIZE), String(s.warmupMs), String(s.measureMs)];
  if (kind === "c") return [BIN, "server", ...tail];
  const mode = kind === "reactor" ? "serve-reactor" : "serve-ffi";
  return [Deno.execPath(), "run", "--allow-ffi", "--allow-read", "--allow-write=/tmp", CHILD, mode, ...tail];
}

async function throughputRun(
  kind: ServerKind,
  round: number,
  s: Settings,
  pin: Pinning,
): Promise<ThroughputRun> {
  const path = socketPath(`tp${round}`);
  const server = spawn(`${kind} server`, pinned(pin, 0, serverArgv(kind, path, s)));
  await ready(server);
  const driverMs = s.warmupMs + s.measureMs + 10_000; // a hard stop if the server never closes
  const load = [String(CONNS), String(SIZE), String(DEPTH), String(driverMs)];
  const driver = spawn("driver", pinned(pin, 1, [BIN, "drive", path, ...load]));
  try {
    const result = await resultOf<ServeResult>(server, s.warmupMs + s.measureMs + 15_000);
    const drove = await resultOf<DriverResult>(driver, 5000); // it stops once the server closes
    return { server: kind, round, result, driverCpuShare: drove.cpuNs / drove.wallNs };
  } finally {
    await finish(path, server, driver);
  }
}

async function throughput(s: Settings, pin: Pinning): Promise<ThroughputRun[]> {
  const runs: ThroughputRun[] = [];
  for (let round = 0; round < s.rounds; round++) {
    // Interleaved, so a noisy moment hurts every server alike.
    for (const kind of ["c", "bare FFI", "reactor"] as const) {
      runs.push(await throughputRun(kind, round, s, pin));
      console.error(`  throughput ${kind} round ${round + 1}/${s.rounds} done`);
    }
  }
  return runs;
}

// ------------------------------------------------------------------ latency

interface LatencyConfig {
  strategy: (typeof STRATEGIES)[number];
  busy: number;
  holdUs: number;
  peerCpu: number;
}

function latencyArgv(c: LatencyConfig, path: string, s: Settings): string[] {
  const deno = [Deno.execPath(), "run", "--allow-ffi", "--allow-read", "--allow-write=/tmp", CHILD];
  const args = [c.strategy, c.busy, c.holdUs, s.wakes, s.warmupWakes].map(String);
  return [...deno, "latency", path, ...args];
}

async function latencyRun(c: LatencyConfig, s: Settings, pin: Pinning): Promise<LatencyRun> {
  const path = socketPath(`lat_${c.strategy}_${c.busy}_${c.holdUs}_${c.peerCpu}`);
  const deno = spawn(`latency ${c.strategy}`, pinned(pin, 0, latencyArgv(c, path, s)));
  await ready(deno);
  const hold = c.holdUs > 0 ? [String(c.holdUs)] : [];
  const peer = spawn("echo peer", pinned(pin, c.peerCpu, [BIN, "echo", path, ...hold]));
  try {
    const result = await resultOf<LatencyResult>(deno, 60_000);
    const placement = !pin.taskset ? "unpinned" : c.peerCpu === 0 ? "same core" : "cross core";
    const pattern = c.holdUs > 0 ? "parked" : "ping-pong";
    return { pattern, strategy: c.strategy, busyWaitMicros: c.busy, placement, result };
  } finally {
    await finish(path, deno, peer);
  }
}

async function latencies(s: Settings, pin: Pinning): Promise<LatencyRun[]> {
  const peerCpus = pin.taskset && pin.cores >= 2 ? [0, 1] : [0];
  const configs: LatencyConfig[] = [];
  for (const holdUs of HOLDS) {
    for (const peerCpu of peerCpus) {
      for (const strategy of STRATEGIES) {
        for (const busy of BUSY) configs.push({ strategy, busy, holdUs, peerCpu });
      }
    }
  }
  const runs: LatencyRun[] = [];
  for (let round = 0; round < s.latencyRounds; round++) {
    for (const c of configs) runs.push(await latencyRun(c, s, pin)); // interleaved rounds, as above
    console.error(`  latency round ${round + 1}/${s.latencyRounds} done`);
  }
  return runs;
}

/** One row per configuration: the median of each number over the rounds. */
function mergeLatency(runs: LatencyRun[]): LatencyRun[] {
  const key = (r: LatencyRun): string => `${r.pattern}|${r.strategy}|${r.busyWaitMicros}|${r.placement}`;
  const groups = new Map<string, LatencyRun[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return [...groups.values()].map((group) => {
    const result = { ...group[0].result };
    for (const field of Object.keys(result) as (keyof LatencyResult)[]) {
      result[field] = median(group.map((r) => r.result[field]));
    }
    return { ...group[0], result };
  });
}

/** A timed-out bounded sleep, on the cores the latency runs use: it explains the busy-50 CPU column. */
async function sleepCost(pin: Pinning): Promise<SleepCostResult> {
  const deno = [Deno.execPath(), "run", "--allow-ffi", "--allow-read", CHILD, "sleep-cost"];
  const child = spawn("sleep-cost", pinned(pin, 0, [...deno, String(BUSY[1]), "2000"]));
  try {
    return await resultOf<SleepCostResult>(child, 30_000);
  } finally {
    await finish(null, child);
  }
}

// ------------------------------------------------------------------ summary

interface ServerSummary {
  server: ServerKind;
  nsPerEvent: number;
  eventsPerSec: number;
  eventsPerPoll: number;
  emptyPollsPerKEvent: number;
  driverCpuShare: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(runs: ThroughputRun[]): ServerSummary[] {
  return (["c", "bare FFI", "reactor"] as const).map((server) => {
    const mine = runs.filter((r) => r.server === server);
    const rs = mine.map((r) => r.result);
    return {
      driverCpuShare: median(mine.map((r) => r.driverCpuShare)),
      server,
      nsPerEvent: median(rs.map((r) => r.cpuNs / r.events)),
      eventsPerSec: median(rs.map((r) => r.events / (r.wallNs / 1e9))),
      eventsPerPoll: median(rs.map((r) => r.events / Math.max(1, r.polls))),
      emptyPollsPerKEvent: median(rs.map((r) => r.emptyPolls / Math.max(1, r.events) * 1000)),
    };
  });
}

const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits });

function throughputTable(sums: ServerSummary[]): string {
  const c = sums[0].nsPerEvent;
  const ffi = sums[1].nsPerEvent;
  const rows = sums.map((s) => [
    s.server,
    "",
    fmt(s.nsPerEvent),
    `${(s.nsPerEvent / c).toFixed(2)}×`,
    `${(s.nsPerEvent / ffi).toFixed(2)}×`,
    fmt(s.eventsPerSec),
    s.eventsPerPoll.toFixed(1),
    s.emptyPollsPerKEvent.toFixed(1),
    `${(s.driverCpuShare * 100).toFixed(0)}%`,
  ]);
  const headers = [
    "server",
    "",
    "CPU ns/event",
    "vs C",
    "vs bare FFI",
    "events/s",
    "events/poll",
    "empty polls/1k ev",
    "driver CPU",
  ];
  return renderTable(headers, rows);
}

/** p50 of `run` over the same strategy and placement parked at once (busy 0): what the bounded sleep buys. */
function vsPark(run: LatencyRun, runs: LatencyRun[]): string {
  const park = runs.find((r) =>
    r.pattern === run.pattern && r.strategy === run.strategy && r.placement === run.placement &&
    r.busyWaitMicros === 0
  );
  return park === undefined ? "" : `${(run.result.p50Us / park.result.p50Us).toFixed(2)}×`;
}

function latencyTable(runs: LatencyRun[]): string {
  const rows = runs.map((r) => [
    r.pattern,
    r.strategy,
    `${r.busyWaitMicros} µs`,
    r.placement,
    r.result.p50Us.toFixed(1),
    vsPark(r, runs),
    r.result.p99Us.toFixed(1),
    r.result.cpuUsPerWake.toFixed(1),
    r.result.parksPerWake.toFixed(2),
    r.result.busyWaitsPerWake.toFixed(2),
    r.result.drainsPerWake.toFixed(2),
  ]);
  const headers = [
    "pattern",
    "strategy",
    "busy wait",
    "peer",
    "p50 µs",
    "vs busy 0",
    "p99 µs",
    "CPU µs/wake",
    "parks/wake",
    "sleeps/wake",
    "drains/wake",
  ];
  return renderTable(headers, rows);
}

interface TargetCheck {
  name: string;
  value: string;
  met: boolean;
}

function targets(sums: ServerSummary[]): TargetCheck[] {
  const ratio = sums[2].nsPerEvent / sums[1].nsPerEvent;
  return [{
    name: `reactor CPU per event ≤ ${TARGET_RATIO}× the bare FFI loop`,
    value: `${ratio.toFixed(2)}×`,
    met: ratio <= TARGET_RATIO,
  }];
}

function targetLines(checks: TargetCheck[]): string {
  return checks.map((c) => `  ${c.met ? green("met   ") : red("MISSED")} ${c.name}: ${c.value}`).join("\n");
}

// ------------------------------------------------------------------ main

async function build(): Promise<boolean> {
  const cc = await findCc();
  if (cc === null) {
    console.log("reactor bench skipped: no C compiler (cc, gcc or clang); the C peer and driver need one.");
    return false;
  }
  await Deno.mkdir(`${ROOT}/bench/.build`, { recursive: true });
  const r = await runToEnd(
    [cc, "-O2", "-Wall", "-Wextra", "-o", BIN, `${ROOT}/bench/reactor_c.c`],
    {},
    60_000,
  );
  if (!r.ok) throw new Error(`${cc} failed on bench/reactor_c.c:\n${r.output}`);
  return true;
}

/** Above this share of busy CPU before the start (this process is idle then), the machine is not quiet. */
const NOISY_SHARE = 0.1;

/** The share of all cores busy over one second, from /proc/stat (tick-sampled: a few % of precision). */
async function machineBusy(cores: number): Promise<number> {
  const cpus = Array.from({ length: cores }, (_, i) => i);
  const before = busySeconds(cpus);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return (busySeconds(cpus) - before) / cores;
}

async function pinning(): Promise<Pinning> {
  const taskset = (await runToEnd(["taskset", "-c", "0", "true"], {}, 5000)).ok;
  return { taskset, cores: navigator.hardwareConcurrency };
}

async function run(settings: Settings): Promise<void> {
  if (!(await build())) return;
  const pin = await pinning();
  const machine = await describeMachine();
  console.log(machineLine(machine));
  const busyBefore = await machineBusy(pin.cores);
  const noisy = busyBefore > NOISY_SHARE ? " (NOISY: other work is running; numbers will wander)" : "";
  console.log(`CPU busy before start: ${(busyBefore * 100).toFixed(0)}% of ${pin.cores} cores${noisy}`);
  if (!pin.taskset) console.log("taskset not found: processes run unpinned");
  const t0 = performance.now();
  const tp = await throughput(settings, pin);
  const latRuns = await latencies(settings, pin);
  const lat = mergeLatency(latRuns);
  const sleep = await sleepCost(pin);
  const sums = summarize(tp);
  const checks = targets(sums);
  console.log(
    `\nThroughput: ${CONNS} connections, ${SIZE}-byte messages, ${DEPTH} in flight each; server on CPU 0`,
  );
  console.log(throughputTable(sums));
  console.log(
    `\nWake latency: ${settings.wakes} one-byte round trips to a C echo peer (Deno on CPU 0); ` +
      `"parked": the peer holds each 200 µs (subtracted)`,
  );
  console.log(latencyTable(lat));
  console.log(
    `A ${sleep.timeoutUs} µs bounded sleep that times out (epoll_pwait2) takes ${
      sleep.wallUs.toFixed(0)
    } µs ` +
      `and ${
        sleep.cpuUs.toFixed(1)
      } µs of CPU here: the price of busy ${sleep.timeoutUs} on a wake that parks anyway.`,
  );
  console.log(`\nTargets:\n${targetLines(checks)}`);
  const record = {
    date: new Date().toISOString(),
    machine,
    pinning: pin,
    settings,
    conns: CONNS,
    size: SIZE,
    depth: DEPTH,
    busyBefore,
  };
  const json = {
    ...record,
    throughput: { runs: tp, summary: sums },
    latency: { runs: latRuns, summary: lat, boundedSleep: sleep },
    targets: checks,
  };
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  await Deno.writeTextFile(RESULTS, JSON.stringify(json, null, 2) + "\n");
  console.log(
    `\nwrote ${RESULTS.slice(ROOT.length + 1)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, { boolean: ["quick"] });
  const onSignal = (): void => void stopAll().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await run(flags.quick ? QUICK : FULL);
  } finally {
    await stopAll();
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
