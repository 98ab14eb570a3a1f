/**
 * Sampling of /proc: CPU time and RSS of a whole process tree, and per-core busy time.
 * Whole trees, because a server may be a wrapper plus workers; threads are already folded into
 * /proc/PID/stat (including threads that have exited).
 */

/** USER_HZ, the unit of /proc/PID/stat times; fixed at 100 by the Linux ABI on x86_64. */
export const CLK_TCK = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks. */
  ticks: number;
  /** Start time in ticks since boot: tells a PID apart from a later reuse of it. */
  start: number;
}

/** Parses /proc/PID/stat; null when the process is gone. */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state), so field n is f[n - 3].
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) };
}

function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readStat(Number(entry.name));
    if (stat) out.push(stat);
  }
  return out;
}

/** `root` and all its live descendants. */
export function treeStats(root: number): ProcStat[] {
  const procs = allProcs();
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const rootStat = procs.find((p) => p.pid === root);
  if (!rootStat) return [];
  const out = [rootStat];
  for (let i = 0; i < out.length && i < 10_000; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}

/** utime+stime of the tree in seconds. */
export function treeCpuSeconds(root: number): number {
  return treeStats(root).reduce((sum, p) => sum + p.ticks, 0) / CLK_TCK;
}

function rssKiB(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over the tree, in KiB. */
export function treeRssKiB(root: number): number {
  return treeStats(root).reduce((sum, p) => sum + rssKiB(p.pid), 0);
}

/**
 * Non-idle seconds so far of the given CPUs (user+nice+system+irq+softirq+steal in /proc/stat).
 * Tick-sampled by the kernel, so only good to a few percent over a second or two.
 */
export function busySeconds(cpus: number[]): number {
  let ticks = 0;
  for (const line of Deno.readTextFileSync("/proc/stat").split("\n")) {
    const m = line.match(/^cpu(\d+) (.*)$/);
    if (!m || !cpus.includes(Number(m[1]))) continue;
    const [user, nice, system, , , irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
    ticks += user + nice + system + irq + softirq + steal;
  }
  return ticks / CLK_TCK;
}
