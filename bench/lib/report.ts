/**
 * What every benchmark reports with: one median, number formats, one table
 * renderer (Markdown, so a table pastes into the README as printed), one
 * target check, the machine line, and writing results to bench/results/.
 * The chart renderer is `chart.ts`.
 *
 * @module
 */

import { cpus } from "node:os";
import { ROOT } from "./build.ts";
import { runToEnd } from "./proc.ts";

/** The median of the numbers (nulls skipped), or null if there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const s = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  s.sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `value / base`, or null when either is missing. */
export function ratio(value: number | null | undefined, base: number | null | undefined): number | null {
  return value == null || base == null || base === 0 ? null : value / base;
}

/** Three significant digits at most, never scientific; "—" for null. */
export function num(n: number | null | undefined): string {
  if (n == null) return "—";
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 0.1 || a === 0 ? n.toFixed(2) : n.toFixed(3);
}

/** 123456 → "123.5k". */
export function rate(n: number | null | undefined): string {
  if (n == null) return "—";
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

/** 1.234 → "1.23×". */
export function times(r: number | null | undefined): string {
  return r == null ? "—" : `${r.toFixed(2)}×`;
}

/** 0.25 → "25%". */
export function percent(f: number | null | undefined): string {
  return f == null ? "—" : `${(f * 100).toFixed(0)}%`;
}

/** A Markdown table; the columns after the first `left` are right-aligned (numbers). */
export function table(headers: string[], rows: string[][], left = 2): string {
  const widths = headers.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const cell = (c: string, i: number): string => i >= left ? c.padStart(widths[i]) : c.padEnd(widths[i]);
  const line = (cells: string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => i >= left ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** One target: a value held to a limit. `met` is null when either number is missing. */
export interface Check {
  name: string;
  value: number | null;
  limit: number | null;
  atMost: boolean;
  met: boolean | null;
}

/** Checks `value ≤ limit` (atMost) or `value ≥ limit`. */
export function check(name: string, value: number | null, atMost: boolean, limit: number | null): Check {
  const met = value === null || limit === null ? null : atMost ? value <= limit : value >= limit;
  return { name, value, limit, atMost, met };
}

/** One line per check: verdict, name, value against the limit. */
export function checkLines(checks: Check[], format: (n: number | null) => string = num): string {
  return checks.map((c) => {
    const verdict = c.met === null ? "n/a " : c.met ? "met " : "MISS";
    return `  ${verdict} ${c.name}: ${format(c.value)} (limit ${c.atMost ? "≤" : "≥"} ${format(c.limit)})`;
  }).join("\n");
}

async function versionOf(argv: string[]): Promise<string | null> {
  const r = await runToEnd(argv, {}, 10_000);
  return r.ok ? r.output.trim().split("\n")[0] : null;
}

/** CPU, cores, kernel and runtimes in one line, for every report. */
export async function machineLine(): Promise<string> {
  const cpu = cpus()[0]?.model.trim() || "unknown CPU";
  const node = await versionOf(["node", "--version"]);
  const go = (await versionOf(["go", "version"]))?.replace(/^go version (go)?/, "");
  return `${cpu}, ${navigator.hardwareConcurrency} cores, Linux ${Deno.osRelease()}; Deno ${Deno.version.deno}, ` +
    `Node ${node ?? "absent"}, Go ${go ?? "absent"}; ${new Date().toISOString().slice(0, 10)}`;
}

/** Writes bench/results/`name`.json (and `name`.svg); returns what it wrote. */
export async function writeResults(name: string, json: unknown, svg?: string): Promise<string> {
  const dir = `${ROOT}/bench/results`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(json, null, 2) + "\n");
  if (svg !== undefined) await Deno.writeTextFile(`${dir}/${name}.svg`, svg);
  return `wrote bench/results/${name}.json${svg === undefined ? "" : ` and ${name}.svg`}`;
}
