/**
 * One stress run, start to end: K server processes (or a given target),
 * the client fleet, and the phases establish → sweep(s) → paced heartbeats →
 * close, each measured (wall time, CPU of servers and clients split user/system,
 * the scheduler's run and wait time, machine CPU split, echo latency), with
 * memory sampled at rest, with every connection up, and after they closed.
 *
 * @module
 */

import { pollerCounters, startListening } from "../lib/load.ts";
import { type Child, delay } from "../lib/proc.ts";
import { type ClientDone, type Counters, Fleet } from "./fleet.ts";
import type { LatencySummary } from "./hist.ts";
import { Monitor } from "./monitor.ts";
import type { ServerPlan, Spread } from "./servers.ts";
import {
  busiestOthers,
  cpuBetween,
  type CpuSample,
  type KernelSample,
  type NetCounters,
  netDelta,
  openFds,
  sampleAllProcs,
  sampleCpu,
  sampleKernel,
  sampleNet,
  sampleProcs,
  sampleSched,
  sampleSlabCaches,
  schedDelta,
  type SchedSample,
  slabGrowth,
  slabGrowthBytes,
  softirqThreads,
} from "./system.ts";

/** Most connections one client process opens (the fd limit is 20,000, hard). */
export const PER_CLIENT = 19_900;

/** The load: how many connections, and what each one does. */
export interface Load {
  conns: number;
  /** Seconds between two heartbeats on one connection, and how many each gets. */
  interval: number;
  beats: number;
  sweeps: number;
  size: number;
  parallel: number;
  /** Sweep beats in flight per client process at most. */
  window: number;
  /** Connect-and-echo rounds against the same servers (memory returned after each close). */
  rounds: number;
  /** Seconds to let memory settle before a sample. */
  settle: number;
  port: number;
}

/** An already running server: host and ports (clients are spread over them), and PIDs to watch. */
export interface Target {
  host: string;
  ports: number[];
  pids: number[];
}

/** What to run. */
export interface RunConfig extends Load {
  /** Where the servers' code is (cwd of every server process). */
  root: string;
  clientBin: string;
  /** The server to start, or null with `target`. */
  plan: ServerPlan | null;
  target: Target | null;
  spread: Spread;
  procs: number;
  print: boolean;
}

/** Time and CPU of one phase. */
export interface PhaseStats {
  wallS: number;
  server: { userS: number; sysS: number };
  clients: { userS: number; sysS: number };
  /** Machine-wide seconds by kind over the phase (all cores). */
  machine: { user: number; system: number; softirq: number; idle: number; total: number; forks: number };
  /** Servers' threads: run vs run-queue wait, context switches. */
  serverSched: SchedSample;
  clientSched: SchedSample;
  /** The ksoftirqd threads: how long they ran, and waited for a CPU. */
  softirqSched: SchedSample;
  /** Drops, retransmits, TCP memory pressure over the phase (machine-wide). */
  net: NetCounters;
  /** The other processes that used the most CPU over the phase: name[pid], seconds. */
  others: [string, number][];
  latency: LatencySummary | null;
}

/** Memory at one point. */
export interface MemorySample {
  at: string;
  serverRssKiB: number;
  /** Live JS heap + external of the servers after a full GC (servers that report it; see net_echo.ts). */
  serverHeapBytes: number | null;
  clientRssKiB: number;
  kernel: KernelSample;
}

/** One round of clients: establish, sweeps, beats, close. */
export interface RoundResult {
  establishS: number | null;
  /** The slowest client's own view of establishing (from its start), ms. */
  establishClientMs: number | null;
  sweepS: (number | null)[];
  beatsS: number | null;
  phases: Record<string, PhaseStats>;
  memory: MemorySample[];
  slabTop: [string, number][];
  /** Kernel memory the connections took: slab growth (see slabGrowthBytes) + TCP buffer pages, bytes. */
  kernelBytes: number;
  /** Connections per server process (open fds minus those at rest), when every connection was up. */
  perServer: { min: number; max: number } | null;
  totals: Counters;
  done: ClientDone[];
  clientErrors: string[];
  /** Every client's last counters and events. */
  clients: ReturnType<Fleet["perClient"]>;
}

/** Everything a run measured. */
export interface RunResult {
  serverStartMs: number[];
  serverStopMs: number[];
  /** Server RSS with nothing connected, and the kernel before any server started. */
  rest: MemorySample;
  before: KernelSample;
  rounds: RoundResult[];
  peakEstablishRate: number;
  peakServerRssKiB: number;
  ports: number[];
  /** examples/echo.ts's poller counters at exit, summed over the servers (waits, events, parks, syscalls…). */
  poller: Record<string, number> | null;
}

/** The `poller: name value, …` line each server prints at exit (examples/echo.ts), by PID. */
const pollerLines = new Map<number, Record<string, number>>();

/** The poller counters summed over every server that printed them, or null. */
function pollerTotals(pids: number[]): Record<string, number> | null {
  const lines = pids.map((pid) => pollerLines.get(pid)).filter((l) => l !== undefined);
  if (lines.length === 0) return null;
  const sum: Record<string, number> = {};
  for (const l of lines) for (const [k, v] of Object.entries(l)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

/** The last `heap {…}` line of each server that prints them, and how many it printed. */
const heaps = new Map<number, { heapUsed: number; external: number; count: number }>();

/**
 * Asks every server for its live heap (SIGUSR2: a full GC, then `heap
 * {Deno.memoryUsage()}`), waits up to 5 s for all, and sums heapUsed +
 * external; null for servers that do not report it.
 */
async function heapOf(pids: number[], plan: ServerPlan | null): Promise<number | null> {
  if (!plan?.heap || pids.length === 0) return null;
  const before = pids.map((pid) => heaps.get(pid)?.count ?? 0);
  for (const pid of pids) Deno.kill(pid, "SIGUSR2");
  const end = performance.now() + 5_000;
  while (pids.some((pid, i) => (heaps.get(pid)?.count ?? 0) <= before[i])) {
    if (performance.now() > end) return null;
    await delay(20);
  }
  return pids.reduce((sum, pid) => sum + heaps.get(pid)!.heapUsed + heaps.get(pid)!.external, 0);
}

async function startServer(
  plan: ServerPlan,
  port: number,
  share: boolean,
  root: string,
): Promise<[Child, number]> {
  let pid = 0; // known before either line can come: both answer a signal (exit, SIGUSR2)
  const onStdoutLine = (line: string): void => {
    if (line.startsWith("poller: ")) pollerLines.set(pid, pollerCounters(line));
    if (line.startsWith("heap ")) {
      const { heapUsed, external } = JSON.parse(line.slice(5));
      heaps.set(pid, { heapUsed, external, count: (heaps.get(pid)?.count ?? 0) + 1 });
    }
  };
  const srv = await startListening(plan.name, plan.argv(port, share), {
    cwd: root,
    env: plan.env,
    onStdoutLine,
  });
  pid = srv.child.pid;
  return [srv.child, srv.port];
}

/** Starts K processes: on one shared port, or each on its own; in batches so that start-up is timed fairly. */
async function startServers(
  cfg: RunConfig,
  plan: ServerPlan,
): Promise<{ procs: Child[]; ports: number[]; ms: number[] }> {
  const share = cfg.spread === "reuseport";
  const procs: Child[] = [];
  const ports: number[] = [];
  const ms: number[] = [];
  const one = async (port: number): Promise<void> => {
    const t0 = performance.now();
    const [proc, got] = await startServer(plan, port, share, cfg.root);
    procs.push(proc), ports.push(got), ms.push(performance.now() - t0);
  };
  await one(cfg.port);
  const port = share ? ports[0] : 0;
  for (let i = 1; i < cfg.procs; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, cfg.procs - i) }, () => one(port)));
  }
  return { procs, ports: share ? [ports[0]] : ports, ms };
}

/** Splits N connections into client processes of at most PER_CLIENT, each aimed at one port. */
export function splitClients(conns: number, ports: number[]): { ports: number[]; conns: number[] } {
  const clients = Math.max(ports.length, Math.ceil(conns / PER_CLIENT));
  // With one port per server, every server gets the same number of clients.
  const count = Math.ceil(clients / ports.length) * ports.length;
  const each = Array.from(
    { length: count },
    (_, i) => Math.floor(conns / count) + (i < conns % count ? 1 : 0),
  );
  return { ports: each.map((_, i) => ports[i % ports.length]), conns: each };
}

const KSOFTIRQD = softirqThreads();

class PhaseClock {
  #t = performance.now();
  #server: ReturnType<typeof sampleProcs>;
  #clients: ReturnType<typeof sampleProcs>;
  #cpu: CpuSample = sampleCpu();
  #ss: SchedSample;
  #cs: SchedSample;
  #ks: SchedSample = sampleSched(KSOFTIRQD);
  #net: NetCounters = sampleNet();
  #all = sampleAllProcs();

  constructor(readonly serverPids: number[], readonly clientPids: number[]) {
    this.#server = sampleProcs(serverPids);
    this.#clients = sampleProcs(clientPids);
    this.#ss = sampleSched(serverPids);
    this.#cs = sampleSched(clientPids);
  }

  end(latency: LatencySummary | null): PhaseStats {
    const server = sampleProcs(this.serverPids), clients = sampleProcs(this.clientPids), cpu = sampleCpu();
    return {
      wallS: (performance.now() - this.#t) / 1000,
      server: cpuBetween(this.#server, server),
      clients: cpuBetween(this.#clients, clients),
      machine: {
        user: cpu.user - this.#cpu.user,
        system: cpu.system - this.#cpu.system,
        softirq: cpu.softirq - this.#cpu.softirq,
        idle: cpu.idle - this.#cpu.idle,
        total: cpu.total - this.#cpu.total,
        forks: cpu.forks - this.#cpu.forks,
      },
      serverSched: schedDelta(this.#ss, sampleSched(this.serverPids)),
      clientSched: schedDelta(this.#cs, sampleSched(this.clientPids)),
      softirqSched: schedDelta(this.#ks, sampleSched(KSOFTIRQD)),
      net: netDelta(this.#net, sampleNet()),
      others: busiestOthers(
        this.#all,
        sampleAllProcs(),
        new Set([...this.serverPids, ...this.clientPids, Deno.pid]),
      ),
      latency,
    };
  }
}

async function memoryAt(
  at: string,
  serverPids: number[],
  clientPids: number[],
  plan: ServerPlan | null,
): Promise<MemorySample> {
  return {
    at,
    serverHeapBytes: await heapOf(serverPids, plan),
    serverRssKiB: sampleProcs(serverPids).rssKiB,
    clientRssKiB: sampleProcs(clientPids).rssKiB,
    kernel: sampleKernel(),
  };
}

/** Per-phase time bounds, s: generous, scaled with N; the clients' own deadline is their sum. */
export function phaseTimeouts(
  cfg: RunConfig,
): { establish: number; sweep: number; beats: number; total: number } {
  const establish = 60 + cfg.conns / 1_000;
  const sweep = 60 + cfg.conns / 2_000;
  const beats = cfg.interval * cfg.beats + 60 + cfg.conns / 10_000;
  return { establish, sweep, beats, total: establish + sweep * cfg.sweeps + beats + 2 * cfg.settle + 60 };
}

async function phase<T>(
  name: string,
  mon: Monitor,
  pids: [number[], number[]],
  phases: Record<string, PhaseStats>,
  body: () => Promise<T>,
): Promise<T> {
  mon.phase = name;
  const clock = new PhaseClock(...pids);
  const out = await body();
  phases[name] = clock.end(mon.latency.get(name)?.summary() ?? null);
  return out;
}

function perServerConns(
  serverPids: number[],
  restFds: (number | null)[],
): { min: number; max: number } | null {
  const counts = serverPids.map((pid, i) => (openFds(pid) ?? 0) - (restFds[i] ?? 0));
  return counts.length ? { min: Math.min(...counts), max: Math.max(...counts) } : null;
}

async function round(
  cfg: RunConfig,
  mon: Monitor,
  serverPids: number[],
  ports: number[],
  restFds: (number | null)[],
): Promise<RoundResult> {
  const limits = phaseTimeouts(cfg);
  const split = splitClients(cfg.conns, ports);
  const slab0 = sampleSlabCaches();
  const start = await memoryAt("start", serverPids, [], null);
  const phases: Record<string, PhaseStats> = {};
  const memory: MemorySample[] = [];
  for (const k of mon.latency.keys()) mon.latency.delete(k);
  const t0 = performance.now();
  mon.phase = "establish";
  const fleet = new Fleet({
    client: cfg.clientBin,
    host: cfg.target?.host ?? "127.0.0.1",
    ports: split.ports,
    conns: split.conns,
    parallel: cfg.parallel,
    window: cfg.window,
    size: cfg.size,
    deadline: limits.total,
    setupTimeout: Math.min(120, limits.establish),
  }, mon.onLatency);
  mon.fleet = fleet;
  const pids: [number[], number[]] = [serverPids, fleet.pids];
  const clock = new PhaseClock(...pids);
  try {
    const allUp = await fleet.waitAll("up", 1, limits.establish * 1000);
    const establishS = allUp ? (performance.now() - t0) / 1000 : null;
    phases.establish = clock.end(mon.latency.get("establish")?.summary() ?? null);
    await delay(cfg.settle * 1000);
    memory.push(await memoryAt("up", serverPids, fleet.pids, cfg.plan));
    const slabUp = sampleSlabCaches();
    const slabTop = slabGrowth(slab0, slabUp);
    const upK = memory[0].kernel;
    const kernelBytes = (slabGrowthBytes(slab0, slabUp) ?? upK.slabBytes - start.kernel.slabBytes) +
      upK.tcpMemBytes - start.kernel.tcpMemBytes;
    const perServer = cfg.spread === "reuseport" ? perServerConns(serverPids, restFds) : null;
    const sweepS: (number | null)[] = [];
    for (let s = 1; s <= cfg.sweeps; s++) {
      sweepS.push(
        await phase(`sweep${s}`, mon, pids, phases, async () => {
          const st = performance.now();
          await fleet.send("sweep");
          return (await fleet.waitAll("sweep", s, limits.sweep * 1000))
            ? (performance.now() - st) / 1000
            : null;
        }),
      );
    }
    const beatsS = await phase("beats", mon, pids, phases, async () => {
      const st = performance.now();
      await fleet.send(`beat ${cfg.interval} ${cfg.beats}`);
      return (await fleet.waitAll("beaten", 1, limits.beats * 1000)) ? (performance.now() - st) / 1000 : null;
    });
    memory.push(await memoryAt("beats", serverPids, fleet.pids, null));
    const totals = fleet.totals();
    // Closing 19,990 sockets takes a client seconds on a busy machine: wait for its totals.
    const done = await phase("close", mon, pids, phases, () => fleet.close(60_000 + cfg.conns / 10));
    await delay(cfg.settle * 1000);
    memory.push(await memoryAt("closed", serverPids, [], cfg.plan));
    const establishClientMs = fleet.slowest("up", 1);
    return {
      establishS,
      establishClientMs,
      sweepS,
      beatsS,
      phases,
      memory,
      slabTop,
      kernelBytes,
      perServer,
      totals,
      done,
      clientErrors: fleet.errors(),
      clients: fleet.perClient(),
    };
  } finally {
    await fleet.close(5_000);
    mon.fleet = null;
    mon.phase = "idle";
  }
}

/** Runs the whole thing; `started` gets every server process as soon as it is up (for cleanup). */
export async function runStress(cfg: RunConfig): Promise<RunResult> {
  const before = sampleKernel();
  let servers: Child[] = [];
  let ports: number[];
  let startMs: number[] = [];
  if (cfg.plan !== null) {
    const s = await startServers(cfg, cfg.plan);
    servers = s.procs, ports = s.ports, startMs = s.ms;
  } else {
    ports = cfg.target!.ports;
  }
  const serverPids = cfg.plan ? servers.map((p) => p.pid) : cfg.target!.pids;
  const mon = new Monitor(serverPids, before, cfg.print);
  try {
    await delay(cfg.settle * 1000);
    const rest = await memoryAt("rest", serverPids, [], cfg.plan);
    const restFds = serverPids.map(openFds);
    mon.start();
    const rounds: RoundResult[] = [];
    for (let r = 0; r < cfg.rounds; r++) rounds.push(await round(cfg, mon, serverPids, ports, restFds));
    mon.stop();
    mon.phase = "stop";
    const serverStopMs = await Promise.all(servers.map((p) => p.stop(5_000)));
    return {
      serverStartMs: startMs,
      serverStopMs,
      rest,
      before,
      rounds,
      peakEstablishRate: mon.peakEstablishRate,
      peakServerRssKiB: mon.peakServerRssKiB,
      ports,
      poller: pollerTotals(serverPids),
    };
  } finally {
    mon.stop();
    await Promise.all(servers.map((p) => p.stop(5_000)));
  }
}
