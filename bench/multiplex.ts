/**
 * select(2) vs poll(2) vs epoll_wait(2), all through @libc/epoll's FFI layer:
 * with K idle fds (eventfds that never fire) and one active socketpair (a
 * byte that is never read, so it stays readable), the cost of one wait call
 * with a zero timeout. This puts numbers on the seed's table (ch. 2.2): select
 * and poll hand the kernel every fd on every call and grow with K; epoll keeps
 * the set in the kernel and returns only the ready fd.
 *
 *   deno task bench:multiplex [--ms 300]
 *
 * Writes bench/results/multiplex.json and bench/results/multiplex.svg.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import {
  AF_UNIX,
  close,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  epoll_wait,
  EPOLLIN,
  EventBuffer,
  eventfd,
  FD_SETSIZE,
  getrlimit,
  poll,
  POLLIN,
  RLIMIT_NOFILE,
  select,
  setrlimit,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socketpair,
  write,
} from "../ffi/mod.ts";
import { lineChart } from "./lib/svg_lines.ts";

const SIZES = [10, 100, 1_000, 10_000];
type Method = "select" | "poll" | "epoll";

/** One measurement: µs per wait call for a method at K idle fds. */
interface Point {
  method: Method;
  idle: number;
  usPerCall: number;
  calls: number;
}

/** The fds of one run: K idle eventfds and an always-readable socketpair end. */
interface FdSet {
  idle: number[];
  active: number;
  peer: number;
}

function openFds(k: number): FdSet {
  const idle = Array.from({ length: k }, () => eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  const [active, peer] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
  write(peer, new Uint8Array([1])); // never read: level-ready on every call
  return { idle, active, peer };
}

function closeFds(set: FdSet): void {
  for (const fd of [...set.idle, set.active, set.peer]) close(fd);
}

// Runs `call` for about `ms` milliseconds; returns [calls, µs per call].
function time(ms: number, call: () => number): [number, number] {
  for (let i = 0; i < 50; i++) call(); // warm up the JIT
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) {
      if (call() !== 1) throw new Error("expected exactly one ready fd");
    }
    calls += 64;
    now = performance.now();
  }
  return [calls, ((now - start) * 1000) / calls];
}

function benchSelect(set: FdSet, ms: number): [number, number] {
  const fds = [...set.idle, set.active];
  const nfds = Math.max(...fds) + 1;
  const template = new Uint8Array(FD_SETSIZE / 8);
  for (const fd of fds) template[fd >> 3] |= 1 << (fd & 7);
  const readfds = new Uint8Array(template.length);
  // select overwrites its sets: every call starts from a fresh copy, as in C.
  return time(ms, () => {
    readfds.set(template);
    return select(nfds, readfds, null, null, 0);
  });
}

function benchPoll(set: FdSet, ms: number): [number, number] {
  const fds = [...set.idle, set.active];
  const pollfds = new Uint8Array(fds.length * 8);
  const view = new DataView(pollfds.buffer);
  fds.forEach((fd, i) => {
    view.setInt32(i * 8, fd, true);
    view.setInt16(i * 8 + 4, POLLIN, true);
  });
  return time(ms, () => poll(pollfds, fds.length, 0));
}

function benchEpoll(set: FdSet, ms: number): [number, number] {
  const epfd = epoll_create1(EPOLL_CLOEXEC);
  try {
    for (const fd of [...set.idle, set.active]) epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    const events = new EventBuffer(64);
    return time(ms, () => epoll_wait(epfd, events, 64, 0));
  } finally {
    close(epfd);
  }
}

function measure(k: number, ms: number): Point[] {
  const set = openFds(k);
  try {
    const points: Point[] = [];
    const fits = Math.max(...set.idle, set.active) < FD_SETSIZE;
    const runs: [Method, (s: FdSet, ms: number) => [number, number]][] = [
      ["select", benchSelect],
      ["poll", benchPoll],
      ["epoll", benchEpoll],
    ];
    for (const [method, run] of runs) {
      if (method === "select" && !fits) continue; // fd numbers past FD_SETSIZE cannot go in an fd_set
      const [calls, usPerCall] = run(set, ms);
      points.push({ method, idle: k, usPerCall, calls });
    }
    return points;
  } finally {
    closeFds(set);
  }
}

function raiseFdLimit(need: number): void {
  const { soft, hard } = getrlimit(RLIMIT_NOFILE);
  if (soft < need) setrlimit(RLIMIT_NOFILE, Math.min(need, hard), hard);
}

function printTable(points: Point[]): void {
  console.log("idle fds | select µs/call | poll µs/call | epoll_wait µs/call");
  console.log("-------- | -------------- | ------------ | ------------------");
  for (const k of SIZES) {
    const cell = (m: Method): string => {
      const p = points.find((q) => q.method === m && q.idle === k);
      return p === undefined ? "n/a (FD_SETSIZE)" : p.usPerCall.toFixed(3);
    };
    console.log(
      `${String(k).padStart(8)} | ${cell("select").padStart(14)} | ${cell("poll").padStart(12)} | ${
        cell("epoll").padStart(18)
      }`,
    );
  }
}

function verdict(points: Point[]): string {
  const epoll = points.filter((p) => p.method === "epoll");
  const lo = epoll[0].usPerCall, hi = epoll[epoll.length - 1].usPerCall;
  const flat = Math.abs(hi / lo - 1) <= 0.2;
  const poll = points.filter((p) => p.method === "poll");
  const growth = poll[poll.length - 1].usPerCall / poll[0].usPerCall;
  return `epoll_wait ${lo.toFixed(3)} → ${hi.toFixed(3)} µs from ${SIZES[0]} to ${SIZES.at(-1)} idle fds: ` +
    `${flat ? "flat within ±20% (target met)" : "NOT flat within ±20% (target missed)"}; ` +
    `poll grows ${growth.toFixed(0)}× over the same range`;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, { default: { ms: 300 } });
  const ms = Number(args.ms);
  raiseFdLimit(Math.max(...SIZES) + 256);
  const points = SIZES.flatMap((k) => measure(k, ms));
  printTable(points);
  const summary = verdict(points);
  console.log(`\n${summary}`);
  const out = new URL("./results/", import.meta.url);
  await Deno.mkdir(out, { recursive: true });
  const json = { date: new Date().toISOString(), deno: Deno.version.deno, msPerPoint: ms, points, summary };
  await Deno.writeTextFile(new URL("multiplex.json", out), JSON.stringify(json, null, 2) + "\n");
  const series = (["select", "poll", "epoll"] as Method[]).map((m) => ({
    name: m === "epoll" ? "epoll_wait" : m,
    points: points.filter((p) => p.method === m).map((p) => [p.idle, p.usPerCall] as [number, number]),
  }));
  const svg = lineChart(
    "Cost of one wait call vs idle fds (one fd ready)",
    "idle fds (log)",
    "µs per call (log)",
    series,
  );
  await Deno.writeTextFile(new URL("multiplex.svg", out), svg);
  console.log("wrote bench/results/multiplex.json and bench/results/multiplex.svg");
}

if (import.meta.main) await main();
