/**
 * `deno task bench:echo`: examples/echo.ts (ET and LT, shipped defaults)
 * against the C listing it follows (examples/echo.c) and echo servers on
 * Deno.listen, Node's net and Go's net, over loopback: server on CPU 0, the
 * C load client on CPU 1 (see `lib/load.ts`, which also lists the flags).
 *
 *   deno task bench:echo [--quick] [--only c,epoll-et,pingpong-1,…] [--syscalls] [--base DIR]
 *
 * --base DIR adds DIR's examples/echo.ts (another checkout: before/after in one
 * interleaved run). Prints Markdown tables and writes bench/results/echo.json and echo.svg.
 *
 * @module
 */

import { buildGo, compileC } from "./lib/build.ts";
import { barChart, type Panel } from "./lib/chart.ts";
import * as load from "./lib/load.ts";
import { runToEnd } from "./lib/proc.ts";
import * as report from "./lib/report.ts";

const { num, percent, rate, ratio } = report;
const SCENARIOS: load.Scenario[] = [
  { name: "pingpong-1", conns: 1, size: 64, depth: 1 }, // every message wakes the loop
  { name: "pingpong-100", conns: 100, size: 64, depth: 1 }, // batches per wait
  { name: "pingpong-1000", conns: 1000, size: 64, depth: 1 },
  { name: "stream-16k", conns: 10, size: 16 * 1024, depth: 10 }, // copies and buffers
  { name: "idle-10k", conns: 10_000, size: 64, depth: 1, idle: true }, // memory and CPU per quiet conn
];
const PEERS = ["deno-listen", "node-net", "go-net"];
const { goal, versus } = load;
const GOALS: load.Goal[] = [
  goal(
    "pingpong-1",
    "cpuUsPerMsg",
    "cpuUsPerMsg ≤ the cheapest peer's",
    (get) => Math.min(...PEERS.map((p) => get(p) ?? Infinity)),
  ),
  versus("pingpong-1", "msgsPerSec", 0.9, "c"),
  versus("pingpong-1", "p50Us", 1.2, "c"),
  versus("pingpong-100", "cpuUsPerMsg", 1.05, "c"),
  versus("pingpong-100", "msgsPerSec", 0.9, "c"),
  versus("pingpong-1000", "msgsPerSec", 0.9, "c"),
  versus("stream-16k", "mbPerSec", 0.95, "c"),
  versus("stream-16k", "cpuUsPerMsg", 1.15, "c"),
  goal("idle-10k", "kibPerConn", "kibPerConn ≤ c's + 2", (get) => (get("c") ?? NaN) + 2),
  goal("idle-10k", "idleCpu", "idleCpu ≤ 1% of a core", () => 0.01),
];

async function servers(base?: string): Promise<{ servers: load.Server[]; skipped: string[] }> {
  const run = [Deno.execPath(), "run", "--allow-ffi", "--allow-env", "--allow-read"];
  const ours = (mode: string, dir = "."): load.Server => ({
    name: dir === "." ? `epoll-${mode}` : `epoll-${mode}@base`,
    argv: [...run, `${dir}/examples/echo.ts`, "--mode", mode],
    ours: dir === ".",
  });
  const list: load.Server[] = [
    { name: "c", argv: [await compileC("examples/echo.c", "echo"), "--mode", "et"] },
    ours("et"),
    ours("lt"),
    ...(base === undefined ? [] : [ours("et", base), ours("lt", base)]),
    // The floor: echo.c's edge-triggered loop through FFI with nothing else (no poller, no yields).
    { name: "ffi-et", argv: [...run, "bench/servers/reactor_echo.ts", "--mode", "ffi-et"] },
    { name: "deno-listen", argv: [Deno.execPath(), "run", "--allow-net", "bench/peers/deno_listen.ts"] },
  ];
  const skipped: string[] = [];
  if ((await runToEnd(["node", "--version"], {}, 10_000)).ok) {
    list.push({ name: "node-net", argv: ["node", "bench/peers/node_net.mjs"] });
  } else skipped.push("node-net: `node` not found");
  const go = await buildGo();
  // GOMAXPROCS=1: one thread running Go code, like the single-threaded loops it is compared with.
  if ("path" in go) list.push({ name: "go-net", argv: [go.path], env: { GOMAXPROCS: "1" } });
  else skipped.push(`go-net: ${go.reason}`);
  return { servers: list, skipped };
}

function tables(sums: load.Summary[]): (string | null)[] {
  const sat = (s: load.Summary): string =>
    s.saturated ? ` SAT${s.saturated < s.runs ? ` ${s.saturated}/${s.runs}` : ""}` : "";
  const byKind = (m: load.Sample): string => {
    const { all: _, "context-switches": _ctx, ...kinds } = m.syscalls!;
    const top = Object.entries(kinds).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]);
    return top.map(([k, v]) => `${k} ${num(v)}`).join(", ");
  };
  const keys = ["drains", "busyWaits", "parks", "yields", "ticks", "syscalls"];
  return [
    load.summaryTable(sums, [
      ["msgs/s", (m) => rate(m.msgsPerSec)],
      ["MB/s", (m) => num(m.mbPerSec)],
      ["p50 µs", (m) => num(m.p50Us)],
      ["p99 µs", (m) => num(m.p99Us)],
      ["CPU µs/msg", (m) => num(m.cpuUsPerMsg)],
      ["user", (m) => num(m.userUsPerMsg)],
      ["sys", (m) => num(m.sysUsPerMsg)],
      ["× C msgs/s", load.versusCell(sums, "msgsPerSec", "c")],
      ["× C CPU", load.versusCell(sums, "cpuUsPerMsg", "c")],
      ["loadgen", (m, s) => percent(m.loadgenCpu) + sat(s)],
      ["other", (m) => percent(m.otherCpu) + ((m.otherCpu ?? 0) > load.NOISY ? " NOISY" : "")],
    ], (m) => m.msgsPerSec !== null),
    load.summaryTable(sums, [
      ["KiB/conn", (m) => num(m.kibPerConn)],
      ["idle CPU", (m) => percent(m.idleCpu)],
    ], (m) => m.kibPerConn !== null),
    load.summaryTable(sums, [
      ["syscalls/msg", (m) => num(m.syscalls!.all)],
      ["ctx switches/msg", (m) => num(m.syscalls!["context-switches"])],
      ["by kind, per message", byKind],
    ], (m) => m.syscalls),
    load.summaryTable(sums, [
      ["events/wait", (m) => num(ratio(m.loop!.events, m.loop!.waits))],
      ...keys.map((k): load.Column => [`${k}/msg`, (m) => num(m.loop![k])]),
    ], (m) => m.loop),
  ];
}

function chart(sums: load.Summary[], names: string[], scenarios: load.Scenario[], sub: string[]): string {
  const get = (server: string, sc: string, metric: load.Metric): number | null =>
    load.value(sums, server, sc, metric);
  const groups = scenarios.filter((s) => !s.idle).map((s) => s.name);
  const idle = scenarios.filter((s) => s.idle).map((s) => s.name);
  const vsC = (title: string, metric: load.Metric): Panel => ({
    title: `${title} relative to C (${metric === "msgsPerSec" ? "higher" : "lower"} is better)`,
    groups,
    values: names.map((n) => groups.map((sc) => ratio(get(n, sc, metric), get("c", sc, metric)))),
    reference: { value: 1, label: "c = 1" },
    cap: 3,
  });
  const panels: Panel[] = [
    vsC("Throughput", "msgsPerSec"),
    vsC("Server CPU per message", "cpuUsPerMsg"),
    {
      title: "KiB of RSS per idle connection (lower is better)",
      groups: idle,
      values: names.map((n) => idle.map((sc) => get(n, sc, "kibPerConn"))),
    },
  ];
  const title = "Echo servers: @libc/epoll vs C, Deno, Node, Go";
  return barChart(title, sub, names, panels.filter((p) => p.groups.length));
}

if (import.meta.main) {
  await load.run({ name: "echo", scenarios: SCENARIOS, servers, goals: GOALS, tables, chart });
}
