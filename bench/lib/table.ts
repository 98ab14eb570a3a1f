/** The plain-text report: one table for load scenarios, one for idle memory, then the goals. */
import { green, red, stripAnsiCode, yellow } from "@std/fmt/colors";
import { delta, num, percent, rate, ratio, times } from "./format.ts";
import { NOISY, SATURATION } from "./stats.ts";
import type { TargetCheck } from "./targets.ts";
import type { Scenario, Skipped, Summary } from "./types.ts";

function pad(cell: string, width: number, right: boolean): string {
  const fill = " ".repeat(Math.max(0, width - stripAnsiCode(cell).length));
  return right ? fill + cell : cell + fill;
}

/** Columns after the first two are right-aligned (they are numbers). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsiCode(r[i]).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => pad(c, widths[i], i >= 2)).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function targetCell(checks: TargetCheck[]): string {
  if (checks.length === 0) return "";
  const missed = checks.filter((c) => c.met === false).length;
  const unknown = checks.filter((c) => c.met === null).length;
  if (missed) return red(`MISSED ${missed}/${checks.length}`);
  return unknown ? yellow(`met ${checks.length - unknown}, ? ${unknown}`) : green(`met ${checks.length}`);
}

function loadgenCell(s: Summary): string {
  const cpu = percent(s.median?.loadgenCpu ?? null);
  if (s.saturatedRuns === 0) return cpu;
  return yellow(s.saturatedRuns === s.runs ? `${cpu} SAT` : `${cpu} SAT ${s.saturatedRuns}/${s.runs}`);
}

const NOISY_NOTE = `NOISY = over ${NOISY * 100}%: the machine was not quiet, rerun.`;

function otherCell(f: number | null): string {
  return f !== null && f > NOISY ? yellow(`${percent(f)} NOISY`) : percent(f);
}

function loadRow(s: Summary, c: Summary | undefined, checks: TargetCheck[]): string[] {
  const m = s.median;
  const tput = ratio(m?.msgsPerSec ?? null, c?.median?.msgsPerSec ?? null);
  const cpu = ratio(m?.serverCpuUsPerMsg ?? null, c?.median?.serverCpuUsPerMsg ?? null);
  const errors = m?.errors ? red(String(m.errors)) : m ? "0" : "—";
  return [
    s.scenario,
    s.server,
    m ? rate(m.msgsPerSec) : red("failed"),
    num(m?.mbPerSec ?? null),
    num(m?.p50Us ?? null),
    num(m?.p99Us ?? null),
    num(m?.serverCpuUsPerMsg ?? null),
    times(tput),
    times(cpu),
    loadgenCell(s),
    otherCell(m?.otherCpu ?? null),
    errors,
    targetCell(checks),
  ];
}

function idleRow(s: Summary, c: Summary | undefined, checks: TargetCheck[]): string[] {
  const m = s.median;
  const kib = m?.bytesPerConn == null ? null : m.bytesPerConn / 1024;
  return [
    s.scenario,
    s.server,
    m ? num(kib) : red("failed"),
    delta(kib, c?.median?.bytesPerConn == null ? null : c.median.bytesPerConn / 1024),
    m ? String(m.connected) : "—",
    m?.errors ? red(String(m.errors)) : m ? "0" : "—",
    targetCell(checks),
  ];
}

const LOAD_HEADERS = [
  "scenario",
  "server",
  "msgs/s",
  "MB/s",
  "p50 µs",
  "p99 µs",
  "srv µs/msg",
  "×c tput",
  "×c CPU",
  "loadgen",
  "other",
  "errors",
  "targets",
];
// A difference, not a ratio: the C server keeps next to nothing per connection in user space.
const IDLE_HEADERS = ["scenario", "server", "KiB/conn", "vs c KiB", "conns", "errors", "targets"];

function rows(scenarios: Scenario[], summaries: Summary[], checks: TargetCheck[], idle: boolean): string[][] {
  return scenarios.filter((sc) => sc.idle === idle).flatMap((sc) => {
    const here = summaries.filter((s) => s.scenario === sc.name);
    const c = here.find((s) => s.server === "c");
    const mine = (s: Summary): TargetCheck[] =>
      checks.filter((t) => t.server === s.server && t.scenario === sc.name);
    return here.map((s) => (idle ? idleRow : loadRow)(s, c, mine(s)));
  });
}

function goalLine(t: TargetCheck): string {
  const verdict = t.met === null ? yellow("n/a ") : t.met ? green("met ") : red("MISS");
  const fmt = t.metric === "msgsPerSec" ? rate : num;
  const noisy = t.noisy ? yellow(" (noisy scenario: rerun on a quiet machine)") : "";
  return `  ${verdict} ${t.server} ${t.scenario}: ${t.goal} — ${fmt(t.value)} vs limit ${
    fmt(t.limit)
  }${noisy}`;
}

/** The whole text report. */
export function renderReport(
  header: string,
  scenarios: Scenario[],
  summaries: Summary[],
  checks: TargetCheck[],
  skipped: Skipped[],
): string {
  const out = [header, ""];
  const load = rows(scenarios, summaries, checks, false);
  if (load.length) out.push(renderTable(LOAD_HEADERS, load), "");
  const idle = rows(scenarios, summaries, checks, true);
  if (idle.length) out.push(renderTable(IDLE_HEADERS, idle), "");
  out.push(
    "srv µs/msg: utime+stime of the server's process tree over the window ÷ messages (CPU 0).",
    "KiB/conn: growth of the server tree's VmRSS with 10,000 open idle connections ÷ 10,000 " +
      "(user-space memory; kernel socket buffers are not in RSS).",
    `loadgen: load generator CPU ÷ wall; SAT = ≥${SATURATION * 100}% of its core, i.e. the load ` +
      "generator, not the server, may cap msgs/s there: compare CPU/msg instead.",
    `other: share of CPUs 0-1 used by anything else during the window (tick-sampled); ${NOISY_NOTE}`,
  );
  if (checks.length) out.push("", "Targets (@libc/epoll servers vs medians):", ...checks.map(goalLine));
  if (skipped.length) out.push("", "Skipped:", ...skipped.map((s) => `  ${s.name}: ${s.reason}`));
  return out.join("\n");
}
