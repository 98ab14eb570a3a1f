/**
 * `deno task bench`: the micro benchmarks, each a `deno bench` group run in
 * a child process (`deno bench --json`), and compared with its C twin where
 * there is one. Under a minute in all.
 *
 * @module
 */

import { main as ffiVsC, runDenoBench, statsOf } from "./ffi_ratio.ts";

const REACTOR_BENCHES = [
  "decode 64 events (events + data)",
  "dispatch 64 events to handlers",
  "sync epoll_wait(…, 0), one ready fd",
  "nonblocking epoll_wait, awaited (thread hop)",
];

function reactorMicro(): void {
  const report = runDenoBench("reactor_micro_bench.ts");
  const width = Math.max(...REACTOR_BENCHES.map((n) => n.length));
  for (const name of REACTOR_BENCHES) {
    const { avg, p99 } = statsOf(report, name);
    const fmt = (ns: number): string => ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`;
    console.log(`  ${name.padEnd(width)}  avg ${fmt(avg).padStart(9)}  p99 ${fmt(p99).padStart(9)}`);
  }
}

console.log("== FFI call cost vs C (bench/ffi_bench.ts, bench/ffi_c.c)\n");
ffiVsC();
console.log("\n== Event decode, reactor dispatch, poll-worker hop (bench/reactor_micro_bench.ts)\n");
reactorMicro();
