/**
 * The runner shared by `bench:echo` and `bench:reactor`: a server pinned to
 * CPU 0 against the C load client (`bench/stress/client.c`, which checks every
 * echoed byte) pinned to CPU 1. One run samples /proc exactly over the
 * client's measured window (user and system time apart), optionally
 * counts the server's syscalls by kind with `perf stat` over the same
 * window, and reads the poller's own counters that our servers print when
 * they stop. Runs are interleaved (A B C A B C …) so drift hits every server
 * alike, and a run disturbed by other load is redone.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { compileC, ROOT } from "./build.ts";
import * as report from "./report.ts";
import * as proc from "./proc.ts";

/** A server under test: `argv` (run from the root, `--port 0` appended) prints `listening on HOST:PORT`. */
export interface Server {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  /** One of ours: the targets apply to it. */
  ours?: boolean;
}

/** A load shape. Idle scenarios measure memory and CPU per open, quiet connection. */
export interface Scenario {
  name: string;
  conns: number;
  size: number;
  depth: number;
  idle?: boolean;
}

/** How every run is made. */
export interface RunConfig {
  loadgen: string;
  warmup: number;
  duration: number;
  /** Count the server's syscalls by kind with perf (costs the server a little per syscall). */
  syscalls: boolean;
  /** Extra attempts for a run disturbed by other load. */
  retries: number;
}

/**
 * What one run measured (null where it does not apply), per echoed message
 * where it says "PerMsg": throughput and latency from the load generator;
 * utime + stime of the server's process tree over the window, together and
 * apart; `loadgenCpu`, the load generator's CPU ÷ wall (at ≥ 0.9 it, not
 * the server, may be the limit); `otherCpu`, the share of CPUs 0-1 used by
 * anything else (a disturbed run); `kibPerConn` and `idleCpu`, RSS growth
 * per idle connection and the server's CPU ÷ wall while they sit idle.
 */
export const METRICS = [
  "msgsPerSec",
  "mbPerSec",
  "p50Us",
  "p99Us",
  "cpuUsPerMsg",
  "userUsPerMsg",
  "sysUsPerMsg",
  "loadgenCpu",
  "otherCpu",
  "kibPerConn",
  "idleCpu",
] as const;

/** One of {@linkcode METRICS}. */
export type Metric = (typeof METRICS)[number];

/** A run's metrics, plus syscalls by kind (perf) and the poller's counters, both per message. */
export type Sample = Record<Metric, number | null> & {
  syscalls: Record<string, number> | null;
  loop: Record<string, number> | null;
  errors: number;
};

/** One run of one server in one scenario. */
export interface RunRecord {
  scenario: string;
  server: string;
  run: number;
  attempts: number;
  sample: Sample | null;
  failure?: string;
}

/** Medians over the runs of one server in one scenario. */
export interface Summary {
  scenario: string;
  server: string;
  runs: number;
  /** Runs in which the load generator used ≥ 90% of its core. */
  saturated: number;
  median: Sample | null;
}

/** Above this share of CPUs 0-1 going elsewhere, a run counts as disturbed. */
export const NOISY = 0.1;
/** A load generator at this share of its core may be the limit. */
export const SATURATED = 0.9;

const { check, checkLines, machineLine, median, num, percent, rate, table, writeResults } = report;
const SERVER_CPU = 0;
const LOADGEN_CPU = 1;
const START_MS = 30_000; // a first `deno run` may compile
// Raise the fd limit for the server (idle-10k), then exec: the PID we hold is the server's own.
const RAISE_NOFILE = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

/** A started server and where it listens. */
export interface Running {
  child: proc.Child;
  host: string;
  port: number;
}

/** Starts a server and waits (30 s at most) for its `listening on HOST:PORT`; stops it if none comes. */
export async function startListening(
  name: string,
  argv: string[],
  opts: proc.SpawnOptions,
): Promise<Running> {
  const child = proc.spawn(name, argv, opts);
  const m = /listening on \[?([^\]\s]+?)\]?:(\d+)/.exec(
    await child.stdout.waitFor((l) => l.includes("listening on "), START_MS) ?? "",
  );
  if (!m) {
    await child.stop();
    throw new Error(`${name} ${argv.join(" ")}: no "listening on HOST:PORT"${child.describe()}`);
  }
  const host = m[1] === "0.0.0.0" ? "127.0.0.1" : m[1];
  return { child, host, port: Number(m[2]) };
}

/** The counters in a `poller: name value, …` line (examples/echo.ts and our bench servers print one at exit). */
export function pollerCounters(line: string): Record<string, number> {
  const pairs = line.slice("poller: ".length).split(", ").map((p) => p.split(" "));
  return Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]));
}

/** The client (bench/stress/client.c) on CPU 1, connected: all of `sc.conns` are up once this resolves. */
async function client(
  cfg: RunConfig,
  { host, port }: Running,
  { conns, size, depth }: Scenario,
  onLine?: (l: string) => void,
): Promise<proc.Child> {
  const flags = proc.flags({ host, port, conns, size, depth });
  const argv = ["taskset", "-c", String(LOADGEN_CPU), cfg.loadgen, ...flags];
  const c = proc.spawn("client", argv, { cwd: ROOT, stdin: true, onStdoutLine: onLine });
  if ((await c.stdout.waitFor((l) => l.startsWith("up "), START_MS)) === null || counters(c).up === 0) {
    await c.stop();
    throw new Error(`the client could not connect${c.describe()}`);
  }
  return c;
}

/** The client's last `stat` line: its counters so far. */
function counters(c: proc.Child): Record<string, number> {
  const line = c.stdout.tail.findLast((l) => l.startsWith("stat ")) ?? "stat";
  return Object.fromEntries(
    line.slice(5).split(" ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]),
  );
}

/** Runs a load on a connected client and waits for its `load {json}` line. */
async function load<T>(c: proc.Child, warmup: number, duration: number): Promise<T> {
  await c.send(`load ${warmup} ${duration}`);
  const line = await c.stdout.waitFor((l) => l.startsWith("load "), (warmup + duration) * 1000 + START_MS);
  if (line === null) throw new Error(`the client timed out${c.describe()}`);
  return JSON.parse(line.slice(5));
}

// ---------------------------------------------------------------- perf: syscalls by kind

const SYSCALLS =
  "read write recvfrom sendto readv writev epoll_wait epoll_pwait epoll_pwait2 epoll_ctl futex " +
  "timerfd_settime sched_yield nanosleep clock_nanosleep mprotect madvise";
const PERF_EVENTS = [
  "raw_syscalls:sys_enter",
  ...SYSCALLS.split(" ").map((s) => `syscalls:sys_enter_${s}`),
  "context-switches",
];
const PERF_INTERVAL_MS = 100;

/** Lines of `perf stat -x , -I` output, each with when it arrived. */
type PerfLine = { at: number; csv: string };

/** perf counting the server's syscalls in 100 ms intervals, each line stamped on arrival. */
async function attachPerf(pid: number): Promise<{ child: proc.Child; lines: PerfLine[] }> {
  const lines: PerfLine[] = [];
  const argv = ["perf", "stat", "-x", ",", "-I", String(PERF_INTERVAL_MS), "-e", PERF_EVENTS.join(",")];
  const onStderrLine = (csv: string): number => lines.push({ at: performance.now(), csv });
  const child = proc.spawn("perf", [...argv, "-p", String(pid)], { onStderrLine });
  // Attaching hundreds of counters takes a while: wait for the first interval.
  if ((await child.stderr.waitFor((l) => /^\s*[\d.]+,/.test(l), 10_000)) === null) {
    await child.stop();
    throw new Error(`perf did not start${child.describe()}`);
  }
  return { child, lines };
}

/** Per message, from the intervals wholly inside [from, to] (arrival times). */
function perMessage(lines: PerfLine[], from: number, to: number, msgsPerSec: number): Record<string, number> {
  const counts: Record<string, number> = {};
  const intervals = new Set<string>();
  for (const { at, csv } of lines) {
    const [time, count, , event] = csv.split(",");
    if (at - PERF_INTERVAL_MS < from || at > to || !Number.isFinite(Number(count))) continue;
    intervals.add(time);
    const name = event === "raw_syscalls:sys_enter" ? "all" : event.replace("syscalls:sys_enter_", "");
    counts[name] = (counts[name] ?? 0) + Number(count);
  }
  const msgs = msgsPerSec * intervals.size * PERF_INTERVAL_MS / 1000;
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => [k, n / msgs]));
}

// ---------------------------------------------------------------- one run

/** What the client's `load {json}` line holds. */
type LoadReport = Record<
  "messages" | "msgsPerSec" | "mbPerSec" | "p50Us" | "p99Us" | "cpuUserS" | "cpuSysS" | "wallS" | "errors",
  number
>;

/** A sample with nothing measured: what a run of one kind spreads its own metrics over. */
const EMPTY: Sample = {
  ...Object.fromEntries(METRICS.map((k) => [k, null])) as Record<Metric, null>,
  syscalls: null,
  loop: null,
  errors: 0,
};

async function driveLoad(cfg: RunConfig, srv: Running, sc: Scenario): Promise<Sample> {
  const marks: { at: number; cpu: proc.TreeStat; busy: number }[] = [];
  const mark = (l: string): void => {
    if (!l.startsWith("start ") && !l.startsWith("stop ")) return;
    const cpu = proc.treeStat(srv.child.pid);
    marks.push({ at: performance.now(), cpu, busy: proc.busySeconds([SERVER_CPU, LOADGEN_CPU]) });
  };
  const perf = cfg.syscalls ? await attachPerf(srv.child.pid) : null;
  const lg = await client(cfg, srv, sc, mark);
  try {
    const r = await load<LoadReport>(lg, cfg.warmup, cfg.duration);
    if (srv.child.exited) throw new Error(`${srv.child.name} exited during the run${srv.child.describe()}`);
    if (marks.length !== 2 || r.messages === 0) throw new Error(`no measured window${lg.describe()}`);
    const [a, b] = marks;
    const perMsg = (s: number): number => s * 1e6 / r.messages;
    const user = perMsg(b.cpu.user - a.cpu.user), sys = perMsg(b.cpu.sys - a.cpu.sys);
    const server = b.cpu.user + b.cpu.sys - a.cpu.user - a.cpu.sys;
    const loadgenCpu = r.cpuUserS + r.cpuSysS;
    return {
      ...EMPTY,
      msgsPerSec: r.msgsPerSec,
      mbPerSec: r.mbPerSec,
      p50Us: r.p50Us,
      p99Us: r.p99Us,
      cpuUsPerMsg: user + sys,
      userUsPerMsg: user,
      sysUsPerMsg: sys,
      loadgenCpu: loadgenCpu / r.wallS,
      otherCpu: Math.max(0, (b.busy - a.busy - server - loadgenCpu) / (2 * r.wallS)),
      syscalls: perf ? perMessage(perf.lines, a.at, b.at, r.msgsPerSec) : null,
      errors: r.errors,
    };
  } finally {
    await lg.stop();
    await perf?.child.stop();
  }
}

/** RSS once two readings 100 ms apart agree within 0.5% (at most ~3 s). */
async function settledRss(pid: number): Promise<number> {
  let last = proc.treeStat(pid).rssKiB;
  for (let i = 0; i < 30; i++) {
    await proc.delay(100);
    const now = proc.treeStat(pid).rssKiB;
    if (Math.abs(now - last) <= last * 0.005) return now;
    last = now;
  }
  return last;
}

async function driveIdle(cfg: RunConfig, srv: Running, sc: Scenario): Promise<Sample> {
  // One short load first, so one-time costs (JIT, lazy init) land in the baseline.
  const warm = await client(cfg, srv, { ...sc, conns: 16 });
  await load(warm, 0, 0.2).finally(() => warm.stop());
  const before = await settledRss(srv.child.pid);
  const lg = await client(cfg, srv, sc);
  try {
    const after = await settledRss(srv.child.pid);
    const cpu0 = proc.treeStat(srv.child.pid), t0 = performance.now();
    await proc.delay(1000);
    const cpu1 = proc.treeStat(srv.child.pid);
    const used = Math.max(0, cpu1.user - cpu0.user + (cpu1.sys - cpu0.sys)); // float sums can dip below 0 ("-0%")
    const idleCpu = used / ((performance.now() - t0) / 1000);
    const n = counters(lg);
    return { ...EMPTY, kibPerConn: (after - before) / n.up, idleCpu, errors: n.failed + n.dropped + n.bad };
  } finally {
    await lg.stop();
  }
}

/** The `poller:` line and `bytes echoed: … (N)` of a stopped server: its poller's counters per message. */
function loopStats(out: string[], size: number): Record<string, number> | null {
  const line = out.findLast((l) => l.startsWith("poller: "));
  const bytes = Number(/bytes echoed: (?:[^(\n]*\()?(\d+)/.exec(out.join("\n"))?.[1]);
  if (line === undefined || !(bytes > 0)) return null;
  return Object.fromEntries(Object.entries(pollerCounters(line)).map(([k, v]) => [k, v * size / bytes]));
}

async function runOnce(cfg: RunConfig, s: Server, sc: Scenario): Promise<Sample> {
  const pinned = ["taskset", "-c", String(SERVER_CPU), ...s.argv, "--port", "0"];
  const argv = ["sh", "-c", RAISE_NOFILE, "sh", ...pinned];
  const srv = await startListening(s.name, argv, { cwd: ROOT, env: s.env });
  const sample = await (sc.idle ? driveIdle : driveLoad)(cfg, srv, sc).finally(() => srv.child.stop());
  return sc.idle ? sample : { ...sample, loop: loopStats(srv.child.stdout.tail, sc.size) };
}

/** One run, redone (up to `cfg.retries` times) while other load disturbed it; keeps the least disturbed. */
async function measure(cfg: RunConfig, s: Server, sc: Scenario, run: number): Promise<RunRecord> {
  const record: RunRecord = { scenario: sc.name, server: s.name, run, attempts: 0, sample: null };
  while (
    record.attempts <= cfg.retries && (record.sample === null || (record.sample.otherCpu ?? 0) > NOISY)
  ) {
    record.attempts++;
    try {
      const sample = await runOnce(cfg, s, sc);
      if ((sample.otherCpu ?? 0) < (record.sample?.otherCpu ?? Infinity)) record.sample = sample;
      delete record.failure;
    } catch (e) {
      record.failure ??= e instanceof Error ? e.message : String(e);
      if (record.sample === null) break;
    }
  }
  return record;
}

function progress(r: RunRecord, i: number, total: number): string {
  const s = r.sample;
  const what = !s
    ? `FAILED: ${r.failure}`
    : s.kibPerConn !== null
    ? `${num(s.kibPerConn)} KiB/conn, idle CPU ${percent(s.idleCpu)}`
    : `${rate(s.msgsPerSec)} msgs/s, CPU ${num(s.cpuUsPerMsg)} µs/msg (user ${num(s.userUsPerMsg)}, ` +
      `sys ${num(s.sysUsPerMsg)}), other ${percent(s.otherCpu)}`;
  const attempt = r.attempts > 1 ? ` (attempt ${r.attempts})` : "";
  return `[${i}/${total}] ${r.scenario} ${r.server} #${r.run}${attempt}: ${what}`;
}

/** Every server through every scenario `runs` times, interleaved and rotated per run; progress on stderr. */
export async function runAll(
  cfg: RunConfig,
  servers: Server[],
  scenarios: Scenario[],
  runs: number,
): Promise<RunRecord[]> {
  // Run r starts at server r mod n: a slot's bias (the run right after
  // another server's burst measured 5-9% slower in streaming) falls on each
  // server in turn instead of always on the same one.
  const rotated = (r: number): Server[] => servers.map((_, i) => servers[(i + r) % servers.length]);
  const jobs = scenarios.flatMap((sc) =>
    Array.from({ length: runs }, (_, r) => rotated(r).map((s) => ({ s, sc, run: r + 1 }))).flat()
  );
  const records: RunRecord[] = [];
  for (const { s, sc, run } of jobs) {
    records.push(await measure(cfg, s, sc, run));
    console.error(progress(records.at(-1)!, records.length, jobs.length));
  }
  return records;
}

/** Each key's median over the records present (a key one lacks counts as 0 there); null if none. */
function medianOf(records: (Record<string, number> | null)[]): Record<string, number> | null {
  const rs = records.filter((r) => r !== null);
  const keys = [...new Set(rs.flatMap(Object.keys))];
  return rs.length ? Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r[k] ?? 0)) ?? 0])) : null;
}

/** The median of every field over the runs of each server in each scenario. */
export function summarize(records: RunRecord[], servers: Server[], scenarios: Scenario[]): Summary[] {
  return scenarios.flatMap((sc) =>
    servers.map((s): Summary => {
      const samples = records.filter((r) => r.scenario === sc.name && r.server === s.name && r.sample)
        .map((r) => r.sample!);
      const medians = METRICS.map((k) => [k, median(samples.map((x) => x[k]))]);
      const m: Sample = {
        ...Object.fromEntries(medians) as Record<Metric, number | null>,
        syscalls: medianOf(samples.map((x) => x.syscalls)),
        loop: medianOf(samples.map((x) => x.loop)),
        errors: samples.reduce((n, x) => n + x.errors, 0),
      };
      const saturated = samples.filter((x) => (x.loadgenCpu ?? 0) >= SATURATED).length;
      return {
        scenario: sc.name,
        server: s.name,
        runs: samples.length,
        saturated,
        median: samples.length ? m : null,
      };
    })
  );
}

/** The median `metric` of `server` in `scenario`, or null. */
export function value(sums: Summary[], server: string, scenario: string, metric: Metric): number | null {
  return sums.find((s) => s.server === server && s.scenario === scenario)?.median?.[metric] ?? null;
}

/** A column of a summary table: its header, and its cell from a median and its summary. */
export type Column = [header: string, cell: (m: Sample, s: Summary) => string];

/** A row per server and scenario whose median `keep` accepts: scenario, server, then `columns`; null if none. */
export function summaryTable(
  sums: Summary[],
  columns: Column[],
  keep: (m: Sample) => unknown,
): string | null {
  const rows = sums.filter((s) => s.median && keep(s.median))
    .map((s) => [s.scenario, s.server, ...columns.map(([, cell]) => cell(s.median!, s))]);
  return rows.length ? table(["scenario", "server", ...columns.map(([header]) => header)], rows) : null;
}

/** A cell: the median `metric` as a multiple of `ref`'s in the same scenario ("1.23×"). */
export const versusCell = (sums: Summary[], metric: Metric, ref: string) => (m: Sample, s: Summary): string =>
  report.times(report.ratio(m[metric], value(sums, ref, s.scenario, metric)));

/**
 * A target: in `scenario`, a server's `metric` held to a limit made from the same metric of other
 * servers there (at most the limit; at least, for throughputs); `goal` says it in words.
 */
export interface Goal {
  scenario: string;
  metric: Metric;
  goal: string;
  limit: (get: (server: string) => number | null) => number | null;
}

const LOWER_IS_BETTER: readonly Metric[] = ["p50Us", "p99Us", "cpuUsPerMsg", "kibPerConn", "idleCpu"];

/** The goal "`metric` ≤ (or ≥, for throughputs) `limit`", in words: `goal`. */
export function goal(scenario: string, metric: Metric, goal: string, limit: Goal["limit"]): Goal {
  return { scenario, metric, goal, limit };
}

/** The goal "`metric` ≤ (or ≥, for throughputs) `k` × `ref`'s". */
export function versus(scenario: string, metric: Metric, k: number, ref: string): Goal {
  const words = `${metric} ${LOWER_IS_BETTER.includes(metric) ? "≤" : "≥"} ${k}× ${ref}`;
  return goal(scenario, metric, words, (get) => (get(ref) ?? NaN) * k);
}

/** Every goal for every server in `ours` that ran the goal's scenario. */
export function checkGoals(sums: Summary[], ours: string[], goals: Goal[]): report.Check[] {
  return ours.flatMap((server) =>
    goals.filter((g) => sums.some((s) => s.scenario === g.scenario && s.server === server)).map((g) => {
      const get = (name: string): number | null => value(sums, name, g.scenario, g.metric);
      const limit = g.limit(get), atMost = LOWER_IS_BETTER.includes(g.metric);
      const name = `${server} ${g.scenario}: ${g.goal}`;
      return check(name, get(server), atMost, Number.isFinite(limit) ? limit : null);
    })
  );
}

/** What the runner needs from the machine, or why it cannot run here. */
async function preflight(): Promise<string | null> {
  if (navigator.hardwareConcurrency < 2) return "needs 2 CPUs (server on CPU 0, load generator on CPU 1)";
  const taskset = (await proc.runToEnd(["taskset", "-c", "0", "true"], {}, 10_000)).ok;
  return taskset ? null : "`taskset` (util-linux) is not usable";
}

/** A load benchmark: what differs between `bench:echo` and `bench:reactor`. */
export interface Bench {
  /** Its name, and that of its results (bench/results/`name`.json). */
  name: string;
  scenarios: Scenario[];
  /** The servers, and the ones that cannot run here (with why); `base` is `--base DIR`. */
  servers: (base: string | undefined) => Promise<{ servers: Server[]; skipped?: string[] }>;
  /** Targets, checked for the servers marked `ours`. */
  goals: Goal[];
  tables: (sums: Summary[]) => (string | null)[];
  chart?: (sums: Summary[], servers: string[], scenarios: Scenario[], subtitle: string[]) => string;
}

/**
 * Runs `b` as the command line asks, prints the tables and targets, writes
 * bench/results/`b.name`.json (and .svg with a chart); exit code 1 if a run failed.
 *
 *   [--quick] [--runs 3] [--duration 2] [--only NAME,…] [--syscalls] [--base DIR]
 *
 * --only takes server and/or scenario names; --syscalls counts each server's syscalls by kind with
 * `perf stat` (tracefs mounted) over the same window.
 */
async function main(b: Bench): Promise<number> {
  const f = parseArgs(Deno.args, {
    boolean: ["quick", "syscalls"],
    string: ["runs", "duration", "only", "base"],
  });
  const problem = await preflight();
  if (problem) return console.log(`${b.name} benchmark skipped: ${problem}`), 0;
  const cfg: RunConfig = {
    loadgen: await compileC("bench/stress/client.c", "client"),
    warmup: 0.5,
    duration: Number(f.duration ?? (f.quick ? 1.5 : 2)),
    // perf can count syscall tracepoints only with tracefs mounted.
    syscalls: f.syscalls &&
      (await proc.runToEnd(["perf", "stat", "-e", PERF_EVENTS[0], "true"], {}, 10_000)).ok,
    retries: 1,
  };
  if (f.syscalls && !cfg.syscalls) {
    console.error("note: perf cannot count syscalls here (installed? tracefs mounted?)");
  }
  const runs = Number(f.runs ?? (f.quick ? 1 : 3));
  const only = (f.only ?? "").split(",").filter(Boolean);
  const pick = <T extends { name: string }>(all: T[]): T[] =>
    all.some((x) => only.includes(x.name)) ? all.filter((x) => only.includes(x.name)) : all;
  const found = await b.servers(f.base);
  const [servers, scenarios] = [pick(found.servers), pick(b.scenarios)];
  const skipped = found.skipped ?? [];
  for (const s of skipped) console.error(`note: skipping ${s}`);
  const records = await runAll(cfg, servers, scenarios, runs);
  const sums = summarize(records, servers, scenarios);
  const targets = checkGoals(sums, servers.filter((s) => s.ours).map((s) => s.name), b.goals);
  const machine = await machineLine();
  const how = `server on CPU 0, load generator on CPU 1; ${runs} run(s) × ${cfg.duration} s ` +
    `(+${cfg.warmup} s warm-up), medians. SAT: load generator ≥ 90% of its core; NOISY: other load > 10%.`;
  const tables = b.tables(sums).flatMap((t) => t === null ? [] : [t, ""]);
  console.log([machine, how, "", ...tables, `Targets:\n${checkLines(targets)}`].join("\n"));
  const json = {
    machine,
    config: { ...cfg, runs },
    scenarios,
    servers,
    skipped,
    summaries: sums,
    targets,
    runs: records,
  };
  const svg = b.chart?.(sums, servers.map((s) => s.name), scenarios, [machine, how]);
  console.log(await writeResults(b.name, json, svg));
  return records.some((r) => !r.sample) ? 1 : 0;
}

/** `main(b)` as a program: children stopped by PID on every way out, Ctrl-C included; exits with its code. */
export async function run(b: Bench): Promise<never> {
  proc.stopChildrenOnSignal();
  let code = 1;
  try {
    code = await main(b);
  } catch (e) {
    console.error(`${b.name} benchmark failed: ${e instanceof Error ? e.stack : e}`);
  } finally {
    await proc.stopAll();
  }
  Deno.exit(code);
}
