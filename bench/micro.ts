/**
 * `deno task bench`: the micro benchmarks of bench/micro_bench.ts
 * (`deno bench --json` in a child, since `deno bench` reports to no one but
 * its reporter) and their C twin bench/ffi_c.c. The machine's speed drifts
 * over seconds, so Deno and C take turns, three rounds each, and each side's
 * median round is compared. Under a minute.
 *
 * @module
 */

import { compileC, ROOT } from "./lib/build.ts";
import { check, checkLines, machineLine, median, ratio, table, times, writeResults } from "./lib/report.ts";
import { runToEnd, stopAll } from "./lib/proc.ts";

/** The operations measured on both sides: the C program's key and the bench label. */
export const OPS = [
  { key: "write_read_64", label: "write + read 64 B, AF_UNIX socketpair" },
  { key: "epoll_wait_64", label: "epoll_wait(…, 0), 64 ready eventfds, decode all" },
] as const;

const ROUNDS = 3;
const TARGET = 1.3; // FFI wrappers ≤ 1.3× C

interface BenchReport {
  benches: { name: string; results: ({ ok: { avg: number } } | { failed: string })[] }[];
}

/** Runs `argv` from the root to its end; its stdout, parsed as JSON. */
async function runJson<T>(argv: string[]): Promise<T> {
  const r = await runToEnd(argv, { cwd: ROOT });
  if (!r.ok) throw new Error(`${argv.join(" ")} failed:\n${r.output}`);
  return JSON.parse(r.stdout);
}

async function denoRound(): Promise<Map<string, number>> {
  const args = ["bench", "--json", "--allow-ffi", "--allow-env", "--allow-read", "bench/micro_bench.ts"];
  const report = await runJson<BenchReport>([Deno.execPath(), ...args]);
  return new Map(report.benches.map((b) => {
    const result = b.results[0];
    if (!result || !("ok" in result)) throw new Error(`bench "${b.name}" failed: ${JSON.stringify(result)}`);
    return [b.name, result.ok.avg];
  }));
}

const ns = (v: number | null): string =>
  v === null ? "—" : v >= 10_000 ? `${(v / 1000).toFixed(1)} µs` : `${v.toFixed(0)} ns`;

if (import.meta.main) {
  try {
    const c = await compileC("bench/ffi_c.c", "ffi_c").catch((e) => void console.error(`note: ${e.message}`));
    const deno: Map<string, number>[] = [];
    const cs: Record<string, number>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (c !== undefined) cs.push(await runJson([c]));
      deno.push(await denoRound());
    }
    const med = (name: string): number | null => median(deno.map((d) => d.get(name)));
    const rows = OPS.map((op) => {
      const wrappers = med(`${op.label}: wrappers`), cNs = median(cs.map((x) => x[op.key]));
      const limit = cNs === null ? null : cNs * TARGET;
      const met = check(`${op.label}: wrappers ≤ ${TARGET}× C`, wrappers, true, limit);
      return { op, wrappers, raw: med(`${op.label}: raw`), cNs, check: met };
    });
    const cells = rows.map((
      r,
    ) => [r.op.label, ...[r.wrappers, r.raw, r.cNs].map(ns), times(ratio(r.wrappers, r.cNs))]);
    // The benches of the layers above the calls: every one but the FFI pairs of OPS.
    const benches = [...deno[0].keys()].filter((name) => !OPS.some((op) => name.startsWith(`${op.label}: `)));
    const machine = await machineLine();
    console.log(`${machine}\nns per call, median of ${ROUNDS} alternating rounds of each side\n`);
    console.log(table(["operation", "Deno (wrappers)", "Deno (raw symbols)", "C", "wrappers / C"], cells, 1));
    console.log(`\n${table(["bench", "avg"], benches.map((name) => [name, ns(med(name))]), 1)}`);
    console.log(`\nTargets:\n${checkLines(rows.map((r) => r.check), ns)}`);
    const json = {
      machine,
      rounds: ROUNDS,
      ops: rows,
      benches: Object.fromEntries(benches.map((n) => [n, med(n)])),
      deno: deno.map(Object.fromEntries),
      c: cs,
    };
    console.log(await writeResults("micro", json));
  } finally {
    await stopAll();
  }
}
