/**
 * FFI vs C: runs `deno bench --json bench/ffi_bench.ts` in a child process
 * (`deno bench` gives results to no one but its reporter), runs the C twin
 * `bench/ffi_c.c`, and prints per operation the Deno ns/iter (wrappers and
 * raw symbols), the C ns/iter, their ratios, and whether the FFI path is
 * within 1.3× of C. Without a `cc`, the Deno numbers are printed alone.
 *
 * Run: deno run --allow-run --allow-read --allow-write=bench/.build bench/ffi_ratio.ts
 *
 * @module
 */

import { benchName, type CStats, type OpKey, OPS, runC, VARIANTS } from "./ffi_c.ts";

/** FFI/C ratio the wrappers must stay under (avg vs avg). */
const TARGET = 1.3;

/** The stats `deno bench --json` reports per bench, in ns. */
export interface DenoStats {
  n: number;
  min: number;
  max: number;
  avg: number;
  p75: number;
  p99: number;
}

/** The shape of `deno bench --json` (version 1), as far as it is read here. */
export interface BenchReport {
  version: number;
  runtime: string;
  cpu: string;
  benches: Array<{
    name: string;
    group: string | null;
    results: Array<{ ok: DenoStats } | { failed: string }>;
  }>;
}

/** Runs `deno bench --json` on a file beside this one and returns its report. */
export function runDenoBench(name = "ffi_bench.ts"): BenchReport {
  const file = new URL(name, import.meta.url).pathname;
  const out = new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", "--allow-ffi", "--allow-env", "--allow-read", file],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`deno bench failed:\n${text.decode(out.stderr)}`);
  const report = JSON.parse(text.decode(out.stdout)) as BenchReport;
  if (report.version !== 1 || !Array.isArray(report.benches)) {
    throw new Error(`unexpected deno bench --json shape (version ${report.version})`);
  }
  return report;
}

/** The stats of the bench called `name` in `report`. */
export function statsOf(report: BenchReport, name: string): DenoStats {
  const bench = report.benches.find((b) => b.name === name);
  if (bench === undefined) throw new Error(`no bench named "${name}" in the report`);
  const result = bench.results[0];
  if (result === undefined || !("ok" in result)) {
    throw new Error(`bench "${name}" failed: ${JSON.stringify(result)}`);
  }
  return result.ok;
}

const ns = (v: number): string => `${v.toFixed(0)} ns`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

interface Row {
  operation: string;
  wrappers: DenoStats;
  raw: DenoStats;
  c: CStats | null;
}

function printTable(rows: Row[]): void {
  const header = [
    "operation",
    `Deno ${VARIANTS.wrappers}`,
    `Deno ${VARIANTS.raw}`,
    "C",
    "wrappers/C",
    "raw/C",
  ];
  const lines = rows.map((r) => [
    r.operation,
    ns(r.wrappers.avg),
    ns(r.raw.avg),
    r.c === null ? "n/a" : ns(r.c.avg),
    r.c === null ? "n/a" : ratio(r.wrappers.avg, r.c.avg),
    r.c === null ? "n/a" : ratio(r.raw.avg, r.c.avg),
    r.c === null ? "" : r.wrappers.avg / r.c.avg <= TARGET ? "met" : "missed",
  ]);
  const table = [[...header, `target ≤ ${TARGET}×`], ...lines];
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  const fmt = (row: string[]): string => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  console.log(fmt(table[0]));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of table.slice(1)) console.log(fmt(row));
}

function printMins(rows: Row[]): void {
  // Averages absorb scheduler noise from anything else on the machine; the
  // fastest samples show the floor each side can reach.
  for (const r of rows) {
    if (r.c === null) continue;
    console.log(
      `  ${r.operation}: fastest Deno ${ns(r.wrappers.min)} / ${ns(r.raw.min)}, ` +
        `fastest C round ${ns(r.c.min)} (C median ${ns(r.c.p50)})`,
    );
  }
}

// The machine's speed drifts by tens of percent over seconds (a shared VM),
// so Deno and C take turns, ROUNDS times each, and each side's median round
// is compared: a slow phase then hits both sides instead of one.
const ROUNDS = 3;

function median<T>(items: T[], key: (t: T) => number): T {
  return [...items].sort((x, y) => key(x) - key(y))[Math.floor(items.length / 2)];
}

/** Runs the FFI bench and the C twin in turns, and prints the ratio table. */
export function main(): void {
  const reports: BenchReport[] = [];
  const cs: Record<OpKey, CStats>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const c = runC();
    if (c !== null) cs.push(c);
    reports.push(runDenoBench());
  }
  const { runtime, cpu } = reports[0];
  console.log(`${runtime}, ${cpu}; ns per iteration, median of ${ROUNDS} alternating rounds of each side\n`);
  const rows: Row[] = OPS.map((op) => ({
    operation: op.label,
    wrappers: median(reports.map((r) => statsOf(r, benchName(op.label, "wrappers"))), (s) => s.avg),
    raw: median(reports.map((r) => statsOf(r, benchName(op.label, "raw"))), (s) => s.avg),
    c: cs.length === 0 ? null : median(cs.map((c) => c[op.key]), (s) => s.avg),
  }));
  printTable(rows);
  if (cs.length === 0) {
    console.log("\nC comparison skipped: no `cc` on PATH (install a C compiler to compare).");
    return;
  }
  console.log("\nfastest samples:");
  printMins(rows);
}

if (import.meta.main) main();
