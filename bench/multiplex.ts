/**
 * `deno task bench:multiplex`: select(2) vs poll(2) vs epoll_wait(2), all
 * through this package's FFI layer. With K idle eventfds and one socketpair
 * end that stays readable, the cost of one wait call with a zero timeout:
 * select and poll hand the kernel every fd on every call and grow with K;
 * epoll keeps the set in the kernel and returns only the ready fd.
 *
 *   deno task bench:multiplex [--ms 300]
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import * as ffi from "../ffi/mod.ts";
import { barChart } from "./lib/chart.ts";
import { check, checkLines, machineLine, num, table, writeResults } from "./lib/report.ts";

const SIZES = [10, 100, 1_000, 10_000];
const METHODS = ["select", "poll", "epoll_wait"] as const;
type Method = (typeof METHODS)[number];

/** µs per call of `call` over about `ms` (it must report exactly one ready fd). */
function time(ms: number, call: () => number): number {
  for (let i = 0; i < 50; i++) call(); // warm up the JIT
  let calls = 0;
  const start = performance.now();
  for (let now = start; now - start < ms; now = performance.now(), calls += 64) {
    for (let i = 0; i < 64; i++) if (call() !== 1) throw new Error("expected exactly one ready fd");
  }
  return ((performance.now() - start) * 1000) / calls;
}

/**
 * A wait call over `fds`, set up as C would (select copies its set afresh
 * each call); an fd it opens joins `owned`, for the caller to close.
 */
function waiter(method: Method, fds: number[], owned: number[]): () => number {
  if (method === "select") {
    const template = new Uint8Array(ffi.FD_SETSIZE / 8);
    for (const fd of fds) template[fd >> 3] |= 1 << (fd & 7);
    const set = new Uint8Array(template.length);
    const nfds = Math.max(...fds) + 1;
    return () => (set.set(template), ffi.select(nfds, set, null, null, 0));
  }
  if (method === "poll") {
    const pollfds = new Uint8Array(fds.length * 8);
    const view = new DataView(pollfds.buffer);
    fds.forEach((fd, i) => (view.setInt32(i * 8, fd, true), view.setInt16(i * 8 + 4, ffi.POLLIN, true)));
    return () => ffi.poll(pollfds, fds.length, 0);
  }
  const epfd = ffi.epoll_create1(ffi.EPOLL_CLOEXEC);
  owned.push(epfd);
  for (const fd of fds) ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, fd, ffi.EPOLLIN);
  const events = new ffi.EventBuffer(64);
  return () => ffi.epoll_wait(epfd, events, 64, 0);
}

/** µs per call of each method at `k` idle fds (null: select cannot take fd numbers past FD_SETSIZE). */
function measure(k: number, ms: number): (number | null)[] {
  const idle = Array.from({ length: k }, () => ffi.eventfd(0, ffi.EFD_NONBLOCK | ffi.EFD_CLOEXEC));
  const [active, peer] = ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_STREAM | ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC);
  ffi.write(peer, new Uint8Array([1])); // never read: ready on every call
  const fds = [...idle, active], owned = [...fds, peer];
  try {
    return METHODS.map((m) =>
      m === "select" && Math.max(...fds) >= ffi.FD_SETSIZE ? null : time(ms, waiter(m, fds, owned))
    );
  } finally {
    for (const fd of owned) ffi.close(fd);
  }
}

if (import.meta.main) {
  const ms = Number(parseArgs(Deno.args, { string: ["ms"] }).ms ?? 300);
  const { soft, hard } = ffi.getrlimit(ffi.RLIMIT_NOFILE);
  if (soft < 10_300) ffi.setrlimit(ffi.RLIMIT_NOFILE, Math.min(10_300, hard), hard);
  const us = SIZES.map((k) => measure(k, ms)); // us[size][method]
  const machine = await machineLine();
  const rows = us.map((row, i) => [String(SIZES[i]), ...row.map(num)]);
  console.log(`${machine}\n\n${table(["idle fds", ...METHODS.map((m) => `${m} µs`)], rows, 0)}`);
  const epoll = us.map((row) => row[2]!);
  const flat = check("epoll_wait at 10,000 idle fds ≤ 1.2× at 10", epoll.at(-1)!, true, epoll[0] * 1.2);
  const pollGrowth = us.at(-1)![1]! / us[0][1]!;
  console.log(
    `\n${checkLines([flat], (n) => `${num(n)} µs`)}\npoll grows ${num(pollGrowth)}× over the same range`,
  );
  const panel = {
    title: "µs per wait call, one fd ready (log scale; lower is better)",
    groups: SIZES.map((k) => `${k} idle fds`),
    values: METHODS.map((_, m) => us.map((row) => row[m])),
    log: true,
  };
  const svg = barChart("select, poll and epoll_wait through the FFI layer", [machine], [...METHODS], [panel]);
  const json = { machine, msPerPoint: ms, sizes: SIZES, methods: METHODS, usPerCall: us, target: flat };
  console.log(await writeResults("multiplex", json, svg));
}
