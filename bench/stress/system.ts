/**
 * What the stress harness reads from /proc: CPU and RSS of a set of PIDs,
 * kernel socket memory (/proc/net/sockstat, in pages), slab (/proc/meminfo,
 * and /proc/slabinfo per cache when readable), open files, machine CPU split
 * (user, system, softirq), and the scheduler's view per thread
 * (/proc/PID/task/TID/schedstat: time run and time waiting on a run queue).
 *
 * @module
 */

import { allStats, readStat } from "../lib/proc.ts";

/** USER_HZ, the unit of /proc times: 100 by the Linux ABI. */
const CLK_TCK = 100;
const PAGE = 4096;

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** CPU seconds and RSS of one process. */
export interface ProcCpu {
  userS: number;
  sysS: number;
  rssKiB: number;
}

/** CPU seconds (user, system) and RSS of a set of processes, summed, and per PID. */
export interface ProcsSample extends ProcCpu {
  /** Each PID still alive. */
  each: Map<number, ProcCpu>;
}

/** Reads /proc/PID/stat of each PID (threads included: their times are folded in). */
export function sampleProcs(pids: number[]): ProcsSample {
  const out: ProcsSample = { userS: 0, sysS: 0, rssKiB: 0, each: new Map() };
  for (const p of pids.map(readStat)) {
    if (p === null) continue;
    out.userS += p.user;
    out.sysS += p.sys;
    out.rssKiB += p.rssKiB;
    out.each.set(p.pid, { userS: p.user, sysS: p.sys, rssKiB: p.rssKiB });
  }
  return out;
}

/** CPU used between two samples by the PIDs alive in both (an exited process takes its times along). */
export function cpuBetween(a: ProcsSample, b: ProcsSample): { userS: number; sysS: number } {
  let userS = 0, sysS = 0;
  for (const [pid, then] of a.each) {
    const now = b.each.get(pid);
    if (now === undefined) continue;
    userS += now.userS - then.userS;
    sysS += now.sysS - then.sysS;
  }
  return { userS, sysS };
}

/** CPU seconds so far of every process on the machine, with its name (threads folded in). */
export function sampleAllProcs(): Map<number, { comm: string; cpuS: number }> {
  return new Map(allStats().map((p) => [p.pid, { comm: p.comm, cpuS: p.user + p.sys }]));
}

/**
 * The processes outside `exclude` that used the most CPU between two
 * samples: the noise on a shared machine, named (e.g. a supervisor that
 * walks /proc/PID/fd of every process costs more the more sockets are open).
 */
export function busiestOthers(
  a: Map<number, { comm: string; cpuS: number }>,
  b: Map<number, { comm: string; cpuS: number }>,
  exclude: Set<number>,
  top = 4,
): [string, number][] {
  const byName = new Map<string, number>();
  for (const [pid, now] of b) {
    if (exclude.has(pid)) continue;
    const used = now.cpuS - (a.get(pid)?.cpuS ?? 0);
    if (used > 0) byName.set(`${now.comm}[${pid}]`, used);
  }
  return [...byName].sort((x, y) => y[1] - x[1]).slice(0, top);
}

/** Kernel-side memory and socket counts. */
export interface KernelSample {
  /** /proc/net/sockstat "TCP: mem", in bytes (it is in pages there): socket buffers. */
  tcpMemBytes: number;
  tcpInUse: number;
  tcpTimeWait: number;
  /** "sockets: used". */
  sockets: number;
  /** /proc/meminfo Slab, SUnreclaim, PageTables, MemAvailable, in bytes. */
  slabBytes: number;
  slabUnreclaimBytes: number;
  pageTablesBytes: number;
  memAvailableBytes: number;
  /** /proc/sys/fs/file-nr: file handles allocated machine-wide. */
  files: number;
}

function field(text: string | null, re: RegExp): number {
  const m = text === null ? null : re.exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** One read each of sockstat, meminfo and file-nr. */
export function sampleKernel(): KernelSample {
  const sockstat = readText("/proc/net/sockstat");
  const meminfo = readText("/proc/meminfo");
  const kB = (name: string): number => field(meminfo, new RegExp(`^${name}:\\s+(\\d+) kB`, "m")) * 1024;
  return {
    tcpMemBytes: field(sockstat, /^TCP:.* mem (\d+)/m) * PAGE,
    tcpInUse: field(sockstat, /^TCP: inuse (\d+)/m),
    tcpTimeWait: field(sockstat, /^TCP:.* tw (\d+)/m),
    sockets: field(sockstat, /^sockets: used (\d+)/m),
    slabBytes: kB("Slab"),
    slabUnreclaimBytes: kB("SUnreclaim"),
    pageTablesBytes: kB("PageTables"),
    memAvailableBytes: kB("MemAvailable"),
    files: Number((readText("/proc/sys/fs/file-nr") ?? "0").split(/\s+/)[0]) || 0,
  };
}

/** Bytes per slab cache (num_objs × objsize), from /proc/slabinfo; empty when it is not readable. */
export function sampleSlabCaches(): Map<string, number> {
  const out = new Map<string, number>();
  const text = readText("/proc/slabinfo");
  if (text === null) return out;
  for (const line of text.split("\n").slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3) out.set(f[0], Number(f[2]) * Number(f[3]));
  }
  return out;
}

/** The caches that grew most between two samples, bytes, largest first. */
export function slabGrowth(
  before: Map<string, number>,
  after: Map<string, number>,
  top = 8,
): [string, number][] {
  return [...after].map(([name, bytes]): [string, number] => [name, bytes - (before.get(name) ?? 0)])
    .filter(([, grew]) => grew > 0).sort((a, b) => b[1] - a[1]).slice(0, top);
}

/**
 * Slab growth between two samples, bytes, all caches but proc_inode_cache:
 * something on this machine lists /proc/PID/fd of busy processes (one proc
 * inode per fd listed), which is not what a connection costs. Null when
 * /proc/slabinfo is not readable.
 */
export function slabGrowthBytes(before: Map<string, number>, after: Map<string, number>): number | null {
  if (after.size === 0) return null;
  let sum = 0;
  for (const [name, bytes] of after) if (name !== "proc_inode_cache") sum += bytes - (before.get(name) ?? 0);
  return sum;
}

/** Machine-wide CPU seconds by kind, from the first line of /proc/stat. */
export interface CpuSample {
  user: number;
  system: number;
  softirq: number;
  idle: number;
  /** Everything: user+nice+system+idle+iowait+irq+softirq+steal. */
  total: number;
  /** Processes started since boot ("processes" in /proc/stat): short-lived ones show only here. */
  forks: number;
}

/** The "cpu" line of /proc/stat, in seconds. */
export function sampleCpu(): CpuSample {
  const text = readText("/proc/stat") ?? "";
  const line = text.split("\n")[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const s = (t: number): number => (t || 0) / CLK_TCK;
  return {
    user: s(user + nice),
    system: s(system + irq),
    softirq: s(softirq),
    idle: s(idle + iowait),
    total: s(user + nice + system + idle + iowait + irq + softirq + steal),
    forks: field(text, /^processes (\d+)/m),
  };
}

/** The scheduler's account of a set of processes, all their threads summed. */
export interface SchedSample {
  /** Seconds on a CPU. */
  runS: number;
  /** Seconds runnable but waiting for a CPU. */
  waitS: number;
  /** Context switches, voluntary (it waited for I/O) and not (it was preempted). */
  voluntary: number;
  involuntary: number;
  threads: number;
}

/** Reads /proc/PID/task/TID/schedstat and status for every thread of every PID. */
export function sampleSched(pids: number[]): SchedSample {
  const out: SchedSample = { runS: 0, waitS: 0, voluntary: 0, involuntary: 0, threads: 0 };
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const sched = readText(`/proc/${pid}/task/${tid}/schedstat`);
      if (sched === null) continue;
      const [run, wait] = sched.trim().split(/\s+/).map(Number);
      const status = readText(`/proc/${pid}/task/${tid}/status`);
      out.runS += run / 1e9;
      out.waitS += wait / 1e9;
      out.voluntary += field(status, /^voluntary_ctxt_switches:\s+(\d+)/m);
      out.involuntary += field(status, /^nonvoluntary_ctxt_switches:\s+(\d+)/m);
      out.threads++;
    }
  }
  return out;
}

/** The difference of two scheduler samples (0 where threads exited in between and took their sums along). */
export function schedDelta(a: SchedSample, b: SchedSample): SchedSample {
  return {
    runS: Math.max(0, b.runS - a.runS),
    waitS: Math.max(0, b.waitS - a.waitS),
    voluntary: Math.max(0, b.voluntary - a.voluntary),
    involuntary: Math.max(0, b.involuntary - a.involuntary),
    threads: b.threads,
  };
}

/** Kernel network counters that explain stalls: drops, retransmits, memory pressure. */
export interface NetCounters {
  /** /proc/net/softnet_stat, summed over CPUs: packets dropped because a CPU's backlog was full. */
  softnetDropped: number;
  /** …and times net_rx_action ran out of budget with packets left (handed to ksoftirqd). */
  timeSqueeze: number;
  /** /proc/net/snmp Tcp: RetransSegs. */
  retransSegs: number;
  /** /proc/net/netstat TcpExt: */
  timeouts: number;
  lossProbes: number;
  listenOverflows: number;
  memoryPressures: number;
  /** ms spent under TCP memory pressure (net.ipv4.tcp_mem). */
  memoryPressureMs: number;
  zeroWindowAdv: number;
  fromZeroWindowAdv: number;
  rcvQDrop: number;
  backlogDrop: number;
}

function keyed(text: string | null, prefix: string): Map<string, number> {
  const lines = (text ?? "").split("\n").filter((l) => l.startsWith(prefix));
  const out = new Map<string, number>();
  if (lines.length < 2) return out;
  const names = lines[0].split(/\s+/), values = lines[1].split(/\s+/);
  names.forEach((n, i) => out.set(n, Number(values[i])));
  return out;
}

/** Reads softnet_stat, snmp and netstat. */
export function sampleNet(): NetCounters {
  const tcp = keyed(readText("/proc/net/snmp"), "Tcp:");
  const ext = keyed(readText("/proc/net/netstat"), "TcpExt:");
  let softnetDropped = 0, timeSqueeze = 0;
  for (const line of (readText("/proc/net/softnet_stat") ?? "").trim().split("\n")) {
    const f = line.split(/\s+/);
    softnetDropped += parseInt(f[1] ?? "0", 16) || 0;
    timeSqueeze += parseInt(f[2] ?? "0", 16) || 0;
  }
  const x = (name: string): number => ext.get(name) ?? 0;
  return {
    softnetDropped,
    timeSqueeze,
    retransSegs: tcp.get("RetransSegs") ?? 0,
    timeouts: x("TCPTimeouts"),
    lossProbes: x("TCPLossProbes"),
    listenOverflows: x("ListenOverflows"),
    memoryPressures: x("TCPMemoryPressures"),
    memoryPressureMs: x("TCPMemoryPressuresChrono"),
    zeroWindowAdv: x("TCPToZeroWindowAdv"),
    fromZeroWindowAdv: x("TCPFromZeroWindowAdv"),
    rcvQDrop: x("TCPRcvQDrop"),
    backlogDrop: x("TCPBacklogDrop"),
  };
}

/** b − a, counter by counter. */
export function netDelta(a: NetCounters, b: NetCounters): NetCounters {
  return Object.fromEntries(
    Object.keys(a).map((k) => [k, b[k as keyof NetCounters] - a[k as keyof NetCounters]]),
  ) as unknown as NetCounters;
}

/** The PIDs of the ksoftirqd threads: loopback packets wait for them when softirqs are deferred. */
export function softirqThreads(): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    if ((readText(`/proc/${e.name}/comm`) ?? "").startsWith("ksoftirqd/")) out.push(Number(e.name));
  }
  return out;
}

/** Open fds of one process (a directory listing of /proc/PID/fd), or null when it is gone. */
export function openFds(pid: number): number | null {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
    return n;
  } catch {
    return null;
  }
}
