/**
 * From a stress run to what people read: the derived numbers (memory per
 * connection, CPU share, where time went), the table in the article's shape
 * (connections | avg latency ms | memory MB | CPU %), bench/results/stress.json
 * (one record per server, size and interval; a rerun replaces its record),
 * stress.md and the stress.svg chart.
 *
 * @module
 */

import { barChart, type Panel } from "../lib/chart.ts";
import { median, table } from "../lib/report.ts";
import type { LatencySummary } from "./hist.ts";
import type { PhaseStats, RunConfig, RunResult } from "./run.ts";
import type { SysctlChange, SysctlCheck } from "./sysctl.ts";
import type { NetCounters } from "./system.ts";

const KiB = 1024;
const MiB = 1024 * 1024;

/** Where the time of one phase went, per connection or echo. */
export interface TimeSplit {
  wallS: number;
  /** Server CPU per connection (establish) or per echo (sweep, beats), µs, user and system. */
  serverUserUs: number;
  serverSysUs: number;
  clientUs: number;
  /** Servers' threads: seconds waiting on a run queue per second run (scheduler pressure). */
  serverWaitPerRun: number | null;
  /** Machine CPU busy over the phase, share of all cores; and how much of it was softirq. */
  machineBusy: number;
  softirq: number;
  /** Busy CPU that was neither the servers nor the clients (other engineers' work): noise. */
  other: number;
  /** The kernel's drops, retransmits and TCP memory pressure over the phase. */
  net: NetCounters;
  /** ksoftirqd: CPU s run and s waited for a CPU over the phase. */
  ksoftirqdRunS: number;
  ksoftirqdWaitS: number;
  /** The busiest other processes: name[pid], CPU seconds over the phase. */
  others: [string, number][];
  /** Processes started on the machine during the phase (others' short-lived work shows only here). */
  forks: number;
}

/** One stress run, as stored in bench/results/stress.json. */
export interface StressRecord {
  key: string;
  date: string;
  machine: string;
  server: string;
  ours: boolean;
  spread: string;
  sharing: string | null;
  procs: number;
  clients: number;
  conns: number;
  interval: number;
  beats: number;
  size: number;
  ok: boolean;
  up: number;
  failed: number;
  dropped: number;
  lost: number;
  bad: number;
  late: number;
  /** Echoes verified byte for byte, every phase. */
  verified: number;
  establishS: number | null;
  sweepS: (number | null)[];
  beatsS: number | null;
  beatLatency: LatencySummary | null;
  sweepLatency: LatencySummary | null;
  serverRssRestMB: number;
  serverRssUpMB: number;
  serverBytesPerConn: number;
  kernelUpMB: number;
  kernelBytesPerConn: number;
  totalMB: number;
  /** Server RSS after each round's connections closed. */
  serverRssClosedMB: number[];
  /** Live JS heap + external per connection after a full GC (servers that report it), and after close, MB. */
  serverHeapBytesPerConn: number | null;
  serverHeapClosedMB: (number | null)[];
  clientRssMB: number;
  /** Servers' CPU over the paced heartbeats, share of the whole machine (all cores), %. */
  cpuPercent: number | null;
  machinePercent: number | null;
  peakEstablishRate: number;
  perServer: { min: number; max: number } | null;
  serverStartMs: { median: number | null; max: number | null; sum: number };
  serverStopMs: { median: number | null; max: number | null };
  time: Record<string, TimeSplit>;
  /** The servers' poller counters over the whole run (examples/echo.ts prints them at exit). */
  poller: Record<string, number> | null;
  slabTopMB: [string, number][];
  sysctls: { checks: SysctlCheck[]; changed: SysctlChange[] };
  notes: string[];
}

function split(p: PhaseStats, per: number, cores: number): TimeSplit {
  const busy = p.machine.total - p.machine.idle;
  const ours = p.server.userS + p.server.sysS + p.clients.userS + p.clients.sysS;
  return {
    wallS: p.wallS,
    serverUserUs: (p.server.userS / per) * 1e6,
    serverSysUs: (p.server.sysS / per) * 1e6,
    clientUs: ((p.clients.userS + p.clients.sysS) / per) * 1e6,
    serverWaitPerRun: p.serverSched.runS > 0 ? p.serverSched.waitS / p.serverSched.runS : null,
    machineBusy: p.machine.total > 0 ? busy / p.machine.total : 0,
    softirq: p.machine.total > 0 ? p.machine.softirq / p.machine.total : 0,
    other: Math.max(0, busy - ours) / Math.max(1e-9, p.wallS * cores),
    net: p.net,
    ksoftirqdRunS: p.softirqSched.runS,
    ksoftirqdWaitS: p.softirqSched.waitS,
    others: p.others,
    forks: p.machine.forks,
  };
}

/** Derives the record of a run. */
export function toRecord(
  cfg: RunConfig,
  name: string,
  machine: string,
  res: RunResult,
  sysctls: StressRecord["sysctls"],
  notes: string[],
): StressRecord {
  const r = res.rounds[0];
  const done = r.done;
  // A client killed before its `done` line still told its counters once a second.
  const finals = (r.clients ?? []).map((c) => done.find((d) => d.id === c.id) ?? c.counters);
  const sum = (k: "failed" | "dropped" | "lost" | "bad" | "late" | "ok" | "up"): number =>
    finals.reduce((a, d) => a + d[k], 0);
  const up = r.memory.find((m) => m.at === "up")!;
  const cores = navigator.hardwareConcurrency;
  const kernelUp = up.kernel.slabBytes - res.before.slabBytes + up.kernel.tcpMemBytes -
    res.before.tcpMemBytes;
  const beats = r.phases.beats;
  const time: Record<string, TimeSplit> = {};
  for (const [phase, p] of Object.entries(r.phases)) {
    const per = phase === "beats" ? Math.max(1, beats.latency?.echoes ?? cfg.conns * cfg.beats) : cfg.conns;
    time[phase] = split(p, per, cores);
  }
  const lost = sum("lost"), failed = sum("failed"), dropped = sum("dropped"), bad = sum("bad");
  const allDone = done.length === finals.length && done.length > 0 && done.every((d) => !d.deadline);
  return {
    key: `${name} ${cfg.conns} @${cfg.interval}s×${cfg.beats}`,
    date: new Date().toISOString(),
    machine,
    server: name,
    ours: cfg.plan?.ours ?? false,
    spread: cfg.spread,
    sharing: cfg.spread === "reuseport" ? cfg.plan?.sharing ?? null : null,
    procs: cfg.plan ? cfg.procs : 0,
    clients: finals.length,
    conns: cfg.conns,
    interval: cfg.interval,
    beats: cfg.beats,
    size: cfg.size,
    ok: allDone && sum("up") === cfg.conns && lost + failed + dropped + bad === 0 && r.establishS !== null &&
      r.beatsS !== null && r.sweepS.every((s) => s !== null),
    up: sum("up"),
    failed,
    dropped,
    lost,
    bad,
    late: sum("late"),
    verified: sum("ok"),
    establishS: r.establishS,
    sweepS: r.sweepS,
    beatsS: r.beatsS,
    beatLatency: beats?.latency ?? null,
    sweepLatency: r.phases.sweep1?.latency ?? null,
    serverRssRestMB: res.rest.serverRssKiB / KiB,
    serverRssUpMB: up.serverRssKiB / KiB,
    serverBytesPerConn: ((up.serverRssKiB - res.rest.serverRssKiB) * KiB) / cfg.conns,
    kernelUpMB: kernelUp / MiB,
    kernelBytesPerConn: kernelUp / cfg.conns,
    totalMB: up.serverRssKiB / KiB + kernelUp / MiB,
    serverRssClosedMB: res.rounds.map((x) =>
      (x.memory.find((m) => m.at === "closed")?.serverRssKiB ?? 0) / KiB
    ),
    clientRssMB: up.clientRssKiB / KiB,
    serverHeapBytesPerConn: up.serverHeapBytes === null || res.rest.serverHeapBytes === null
      ? null
      : (up.serverHeapBytes - res.rest.serverHeapBytes) / cfg.conns,
    serverHeapClosedMB: res.rounds.map((x) => {
      const b = x.memory.find((m) => m.at === "closed")?.serverHeapBytes;
      return b == null ? null : b / MiB;
    }),
    cpuPercent: beats ? ((beats.server.userS + beats.server.sysS) / beats.wallS / cores) * 100 : null,
    machinePercent: beats ? ((beats.machine.total - beats.machine.idle) / beats.machine.total) * 100 : null,
    peakEstablishRate: res.peakEstablishRate,
    perServer: r.perServer,
    serverStartMs: {
      median: median(res.serverStartMs),
      max: res.serverStartMs.length ? Math.max(...res.serverStartMs) : null,
      sum: res.serverStartMs.reduce((a, b) => a + b, 0),
    },
    serverStopMs: {
      median: median(res.serverStopMs),
      max: res.serverStopMs.length ? Math.max(...res.serverStopMs) : null,
    },
    time,
    poller: res.poller,
    slabTopMB: r.slabTop.map(([n, b]) => [n, Math.round((b / MiB) * 10) / 10]),
    sysctls,
    notes,
  };
}

const DASH = "—";
const f1 = (
  v: number | null | undefined,
): string => (v == null ? DASH : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const f2 = (
  v: number | null | undefined,
): string => (v == null ? DASH : v >= 100 ? v.toFixed(0) : v.toFixed(2));
/** 12345.6 → "12,346"; "—" for null. */
export const int = (
  v: number | null | undefined,
): string => (v == null ? DASH : Math.round(v).toLocaleString("en-US"));

/** Columns of the summary table: the article's four first. */
export const HEADERS = [
  "connections",
  "server",
  "avg latency ms",
  "memory MB",
  "CPU %",
  "p99 ms",
  "establish s",
  "sweep s",
  "srv B/conn",
  "kernel B/conn",
  "lost",
  "late",
  "other CPU",
];

/** One row per record. */
export function tableRows(records: StressRecord[]): string[][] {
  return records.map((r) => {
    const lost = r.lost + r.failed + r.dropped + r.bad;
    const other = r.time.beats?.other ?? null;
    const otherText = other === null ? DASH : `${(other * 100).toFixed(0)}%`;
    return [
      `${int(r.conns)} @${r.interval}s`,
      r.server,
      f2(r.beatLatency?.meanMs),
      int(r.totalMB),
      f1(r.cpuPercent),
      f2(r.beatLatency?.p99Ms),
      f1(r.establishS),
      f1(r.sweepS[0]),
      int(r.serverBytesPerConn),
      int(r.kernelBytesPerConn),
      String(lost),
      int(r.late),
      otherText,
    ];
  });
}

/** The table of `records` (Markdown, aligned: it reads as well in a terminal). */
export function renderStressTable(records: StressRecord[]): string {
  return table(HEADERS, tableRows(records));
}

/** The non-zero network counters of a phase, e.g. "softnetDropped 21007, retransSegs 8142". */
function netText(n: NetCounters | undefined): string {
  const parts = Object.entries(n ?? {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${int(v)}`);
  return parts.length ? `; kernel: ${parts.join(", ")}` : "";
}

/** Where the time of each phase went, as text lines. */
export function timeLines(r: StressRecord): string[] {
  return Object.entries(r.time).map(([phase, t]) => {
    const per = phase === "beats" ? "echo" : "conn";
    const wait = t.serverWaitPerRun === null ? DASH : t.serverWaitPerRun.toFixed(2);
    return `  ${phase.padEnd(9)} ${f1(t.wallS)} s; server ${f1(t.serverUserUs)} µs user + ${
      f1(t.serverSysUs)
    } µs sys ` +
      `per ${per}, clients ${f1(t.clientUs)} µs; server run-queue wait ${wait} s per s run; machine ` +
      `${(t.machineBusy * 100).toFixed(0)}% busy (softirq ${(t.softirq * 100).toFixed(0)}%), other ${
        (t.other * 100).toFixed(0)
      }%; ksoftirqd ran ${f1(t.ksoftirqdRunS)} s, waited ${f1(t.ksoftirqdWaitS)} s${netText(t.net)}${
        t.others?.length
          ? `; busiest others: ${t.others.map(([n, cpu]) => `${n} ${f1(cpu)} s`).join(", ")}`
          : ""
      }`;
  });
}

/** Reads bench/results/stress.json (or an empty list). */
export function loadRecords(path: string): StressRecord[] {
  try {
    return JSON.parse(Deno.readTextFileSync(path)).runs ?? [];
  } catch {
    return [];
  }
}

/** Stores `record` (replacing the one with its key) and rewrites stress.json, .md and .svg. */
export function saveRecord(dir: string, record: StressRecord): StressRecord[] {
  const records = loadRecords(`${dir}/stress.json`).filter((r) => r.key !== record.key);
  records.push(record);
  records.sort((a, b) => a.conns - b.conns || a.interval - b.interval || a.server.localeCompare(b.server));
  Deno.writeTextFileSync(
    `${dir}/stress.json`,
    JSON.stringify({ updated: record.date, runs: records }, null, 2) + "\n",
  );
  Deno.writeTextFileSync(`${dir}/stress.md`, renderStressTable(records) + "\n");
  Deno.writeTextFileSync(`${dir}/stress.svg`, stressChart(records));
  return records;
}

function groupLabel(r: StressRecord): string {
  const n = r.conns >= 1e6 ? `${r.conns / 1e6}M` : r.conns >= 1e3 ? `${r.conns / 1e3}k` : String(r.conns);
  return `${n} conns, beat ${r.interval} s`;
}

/** Bars per server for each size (100,000 connections and up): establish, sweep, memory, p99. */
export function stressChart(all: StressRecord[]): string {
  const records = all.filter((r) => r.conns >= 100_000);
  const servers = [...new Set(records.map((r) => r.server))];
  const groups = [...new Set(records.map(groupLabel))];
  const panel = (title: string, value: (r: StressRecord) => number | null | undefined): Panel => ({
    title,
    groups,
    values: servers.map((s) =>
      groups.map((label) => {
        const r = records.find((x) => x.server === s && groupLabel(x) === label);
        return r ? value(r) ?? null : null;
      })
    ),
    log: true,
  });
  return barChart(
    "Stress: long-lived connections with heartbeats, one 2-core machine",
    [
      "Every echo verified byte for byte; memory = server RSS + kernel slab and socket buffers (both ends).",
      "Lower is better in every panel (log scale). Other engineers' work ran on the same machine (see 'other CPU').",
    ],
    servers,
    [
      panel("Time to establish every connection, s", (r) => r.establishS),
      panel("Heartbeat sweep (one echo on every connection), s", (r) => r.sweepS[0]),
      panel("Memory, MB (server RSS + kernel)", (r) => r.totalMB),
      panel("Heartbeat echo latency p99, ms", (r) => r.beatLatency?.p99Ms),
    ],
  );
}
