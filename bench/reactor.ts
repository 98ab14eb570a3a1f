/**
 * `deno task bench:reactor`: what the {@linkcode Reactor} costs per event
 * next to the bare FFI calls it makes and to C, and what each poll-worker
 * setting costs per wake, all at the shipped defaults unless named:
 *
 * - c: examples/echo.c --mode lt, the classic level-triggered loop;
 * - ffi: the same calls through the FFI layer, `epoll_wait(…, -1)` blocking
 *   the main thread (bench/servers/reactor_echo.ts --mode ffi);
 * - reactor: the same read and send as Reactor handlers, default options;
 * - reactor-park: busyWaitMicros 0 (every wait with nothing ready parks);
 * - reactor-worker, reactor-worker-park: the `"worker"` strategy.
 *
 * pipeline-100 (100 connections, 16 messages of 64 B in flight each) keeps
 * every loop busy: CPU per event. pingpong-1 wakes the loop per message: CPU
 * and latency per wake. Same runner as bench:echo (`lib/load.ts`).
 *
 *   deno task bench:reactor [--quick] [--only reactor,pingpong-1,…] [--syscalls]   (flags: `lib/load.ts`)
 *
 * @module
 */

import { compileC } from "./lib/build.ts";
import * as load from "./lib/load.ts";
import { num, rate, ratio } from "./lib/report.ts";

const SCENARIOS: load.Scenario[] = [
  { name: "pipeline-100", conns: 100, size: 64, depth: 16 },
  { name: "pingpong-1", conns: 1, size: 64, depth: 1 },
];
const TARGET = 1.5; // reactor CPU per event ≤ 1.5× the bare FFI loop

async function servers(): Promise<{ servers: load.Server[] }> {
  const echo = [Deno.execPath(), "run", "--allow-ffi", "--allow-read", "bench/servers/reactor_echo.ts"];
  const reactor = (name: string, ...flags: string[]): load.Server => ({
    name,
    argv: [...echo, "--mode", "reactor", ...flags],
    ours: name === "reactor", // the target is for the defaults
  });
  const list = [
    { name: "c", argv: [await compileC("examples/echo.c", "echo"), "--mode", "lt"] },
    { name: "ffi", argv: [...echo, "--mode", "ffi"] },
    reactor("reactor"),
    reactor("reactor-park", "--busy-wait", "0"),
    reactor("reactor-worker", "--strategy", "worker"),
    reactor("reactor-worker-park", "--strategy", "worker", "--busy-wait", "0"),
  ];
  return { servers: list };
}

function tables(sums: load.Summary[]): (string | null)[] {
  return [load.summaryTable(sums, [
    ["msgs/s", (m) => rate(m.msgsPerSec)],
    ["p50 µs", (m) => num(m.p50Us)],
    ["CPU µs/msg", (m) => num(m.cpuUsPerMsg)],
    ["user", (m) => num(m.userUsPerMsg)],
    ["sys", (m) => num(m.sysUsPerMsg)],
    ["× C", load.versusCell(sums, "cpuUsPerMsg", "c")],
    ["× ffi", load.versusCell(sums, "cpuUsPerMsg", "ffi")],
    ["events/wait", (m) => num(ratio(m.loop?.events, m.loop?.waits))],
    ["parks/msg", (m) => num(m.loop?.parks)],
    ["poller syscalls/msg", (m) => num(m.loop?.syscalls)],
    ["all syscalls/msg (perf)", (m) => num(m.syscalls?.all)],
  ], () => true)];
}

const GOALS = [load.versus("pipeline-100", "cpuUsPerMsg", TARGET, "ffi")];

if (import.meta.main) {
  await load.run({ name: "reactor", scenarios: SCENARIOS, servers, goals: GOALS, tables });
}
