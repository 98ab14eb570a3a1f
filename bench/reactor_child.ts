/**
 * The measured Deno side of `reactor_bench.ts`, run in its own process (so
 * it can be pinned with taskset and its CPU time is its own). One mode per
 * invocation; each listens on an AF_UNIX path for the C peer, prints `ready`,
 * and ends with one `RESULT <json>` line:
 *
 *   serve-ffi <path> <conns> <size> <warmupMs> <measureMs>
 *       The bare FFI loop: epoll_wait(…, 0), then read + write per event,
 *       through ffi/calls.ts and nothing else. Spins when nothing is ready.
 *   serve-reactor <path> <conns> <size> <warmupMs> <measureMs>
 *       The same work as Reactor handlers (default options).
 *   latency <path> <strategy> <busyWaitMicros> <holdUs> <wakes> <warmupWakes>
 *       One-byte round trips to the C echo peer, each awaited with
 *       `registration.readable()`: latency per wake and CPU per wake. With
 *       <holdUs> > 0 the peer holds each message that long (the reactor
 *       parks meanwhile) and reports the exact hold, which is subtracted.
 *   sleep-cost <timeoutUs> <calls>
 *       Wall and CPU time of one epoll_pwait2 that times out: what the
 *       poller's bounded sleep costs whenever nothing comes in time.
 *
 * @module
 */

import process from "node:process";
import {
  accept4,
  AF_UNIX,
  bind,
  close,
  encodeUnix,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  epoll_pwait2,
  epoll_wait,
  EPOLLIN,
  EventBuffer,
  listen,
  poll,
  POLLIN,
  read,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socket,
  WOULD_BLOCK,
  write,
} from "../ffi/mod.ts";
import { type ParkStrategy, Reactor, type Registration } from "../reactor/mod.ts";

const NB = SOCK_NONBLOCK | SOCK_CLOEXEC;
const MAX_EVENTS = 256;

/** Events and CPU over the measured window of a throughput run. */
export interface ServeResult {
  events: number;
  cpuNs: number;
  wallNs: number;
  polls: number;
  emptyPolls: number;
}

/** One latency configuration's numbers (µs). */
export interface LatencyResult {
  wakes: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  cpuUsPerWake: number;
  parksPerWake: number;
  busyWaitsPerWake: number;
  drainsPerWake: number;
}

function report(result: ServeResult | LatencyResult | SleepCostResult): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

// ------------------------------------------------------------------ setup

/** Listens on `path`, tells the parent, accepts `n` nonblocking connections (bounded: 10 s). */
function acceptFrom(path: string, n: number): number[] {
  try {
    Deno.removeSync(path);
  } catch { /* not there: fine */ }
  const lfd = socket(AF_UNIX, SOCK_STREAM | NB);
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, lfd, true);
  view.setInt16(4, POLLIN, true);
  try {
    bind(lfd, encodeUnix(path));
    listen(lfd, n);
    console.log("ready");
    const fds: number[] = [];
    const end = performance.now() + 10_000;
    while (fds.length < n && performance.now() < end) {
      poll(pfd, 1, 100); // blocking is fine: nothing else runs in this process yet
      for (let fd = accept4(lfd, NB); fd !== WOULD_BLOCK; fd = accept4(lfd, NB)) fds.push(fd);
    }
    if (fds.length < n) throw new Error(`only ${fds.length} of ${n} connections arrived`);
    return fds;
  } finally {
    close(lfd);
    Deno.removeSync(path);
  }
}

/** Marks the start of the measured window and computes the result at its end. */
class Window {
  #events = 0;
  #polls = 0;
  #empty = 0;
  #cpu = 0;
  #wall = 0;

  start(events: number, polls: number, emptyPolls: number): void {
    [this.#events, this.#polls, this.#empty] = [events, polls, emptyPolls];
    this.#cpu = cpuNs();
    this.#wall = performance.now();
  }

  end(events: number, polls: number, emptyPolls: number): ServeResult {
    return {
      events: events - this.#events,
      cpuNs: cpuNs() - this.#cpu,
      wallNs: Math.round((performance.now() - this.#wall) * 1e6),
      polls: polls - this.#polls,
      emptyPolls: emptyPolls - this.#empty,
    };
  }
}

// ------------------------------------------------------------------ serve-ffi

/** The bare loop: what the reactor does per event, minus the reactor. */
function serveFfi(fds: number[], size: number, warmupMs: number, measureMs: number): ServeResult {
  const epfd = epoll_create1(EPOLL_CLOEXEC);
  for (const fd of fds) epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, fd);
  const events = new EventBuffer(MAX_EVENTS);
  const buf = new Uint8Array(size);
  const window = new Window();
  const mark = performance.now() + warmupMs;
  const end = mark + measureMs;
  let [count, polls, empty, measuring] = [0, 0, 0, false];
  for (let i = 0; i < 1e9; i++) {
    const n = epoll_wait(epfd, events, MAX_EVENTS, 0);
    polls++;
    if (n === 0) empty++;
    for (let e = 0; e < n; e++) {
      const fd = events.dataLow(e);
      const r = read(fd, buf);
      if (r > 0) write(fd, buf, r);
      count++;
    }
    if ((i & 63) !== 0) continue; // the clock every 64 polls: its cost stays out of the numbers
    const now = performance.now();
    if (!measuring && now >= mark) window.start(count, polls, empty), measuring = true;
    else if (measuring && now >= end) break;
  }
  const result = window.end(count, polls, empty);
  close(epfd);
  return result;
}

// ------------------------------------------------------------------ serve-reactor

/** The same work as reactor handlers; the window is marked by reactor timers. */
async function serveReactor(
  fds: number[],
  size: number,
  warmupMs: number,
  measureMs: number,
): Promise<ServeResult> {
  const reactor = new Reactor();
  const buf = new Uint8Array(size);
  let count = 0;
  const handler = (_events: number, reg: Registration): void => {
    const r = read(reg.fd, buf);
    if (r > 0) write(reg.fd, buf, r);
    count++;
  };
  for (const fd of fds) reactor.register(fd, { readable: true }, handler);
  const window = new Window();
  // The reactor has no poll counter of its own: its stats count the waits it served.
  const polls = (): number => reactor.stats.drains + reactor.stats.busyWaits + reactor.stats.parks;
  const result = await new Promise<ServeResult>((resolve) => {
    reactor.setTimer(warmupMs, () => window.start(count, polls(), 0));
    reactor.setTimer(warmupMs + measureMs, () => resolve(window.end(count, polls(), 0)));
  });
  await reactor.close();
  return result;
}

// ------------------------------------------------------------------ latency

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** One round trip's plumbing: the fd, its registration, and the reply expected from the peer. */
interface Probe {
  fd: number;
  reg: Registration;
  /** 1 (the byte echoed) or 8 (the nanoseconds the peer held, to subtract). */
  replySize: number;
  byte: Uint8Array;
  reply: Uint8Array;
  held: BigInt64Array;
}

function probeFor(fd: number, reg: Registration, holdUs: number): Probe {
  const held = new BigInt64Array(1);
  const reply = holdUs > 0 ? new Uint8Array(held.buffer) : new Uint8Array(1);
  return { fd, reg, replySize: reply.length, byte: new Uint8Array(1), reply, held };
}

/**
 * Writes one byte and awaits the whole reply through the reactor. Returns
 * the round trip in µs, less the time the peer held the message (if it did).
 */
async function roundTrip(p: Probe): Promise<number> {
  const t0 = performance.now();
  if (write(p.fd, p.byte) !== 1) throw new Error("the 1-byte write did not go out");
  let got = 0;
  for (let tries = 0; got < p.replySize; tries++) {
    if (tries === 1000) throw new Error("no reply after 1000 wakes");
    await p.reg.readable();
    const n = read(p.fd, p.reply.subarray(got));
    // One reply in flight: once all of it is read the socket is empty, so
    // clearing here (not only after an EAGAIN) loses nothing and saves a read.
    if (n === WOULD_BLOCK || got + n === p.replySize) p.reg.clearReadable();
    if (n === 0) throw new Error("the echo peer hung up");
    if (n > 0) got += n;
  }
  const rtt = (performance.now() - t0) * 1000;
  return p.replySize === 8 ? rtt - Number(p.held[0]) / 1000 : rtt;
}

/** One latency configuration, as passed on the command line. */
interface LatencyJob {
  strategy: ParkStrategy;
  busy: number;
  holdUs: number;
  wakes: number;
  warmup: number;
}

async function latency(fd: number, job: LatencyJob): Promise<LatencyResult> {
  const reactor = new Reactor({ strategy: job.strategy, busyWaitMicros: job.busy });
  const probe = probeFor(fd, reactor.register(fd, { readable: true, trigger: "edge" }), job.holdUs);
  const samples = new Float64Array(job.wakes);
  for (let i = 0; i < job.warmup; i++) await roundTrip(probe);
  const stats0 = { ...reactor.stats };
  const cpu0 = cpuNs();
  for (let i = 0; i < job.wakes; i++) samples[i] = await roundTrip(probe);
  const cpuUs = (cpuNs() - cpu0) / 1000;
  const s = reactor.stats;
  await reactor.close();
  const per = (n: number): number => n / job.wakes;
  return {
    ...distribution(samples),
    cpuUsPerWake: per(cpuUs),
    parksPerWake: per(s.parks - stats0.parks),
    busyWaitsPerWake: per(s.busyWaits - stats0.busyWaits),
    drainsPerWake: per(s.drains - stats0.drains),
  };
}

function distribution(samples: Float64Array): Pick<LatencyResult, "wakes" | "p50Us" | "p99Us" | "meanUs"> {
  const sorted = samples.slice().sort();
  return {
    wakes: sorted.length,
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    meanUs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

// ------------------------------------------------------------------ sleep-cost

/** What one timed-out bounded sleep (the poller's epoll_pwait2 step) costs on this machine. */
export interface SleepCostResult {
  timeoutUs: number;
  wallUs: number;
  cpuUs: number;
}

function sleepCost(timeoutUs: number, calls: number): SleepCostResult {
  const epfd = epoll_create1(EPOLL_CLOEXEC); // empty: every call times out
  const events = new EventBuffer(1);
  const cpu0 = cpuNs();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) epoll_pwait2(epfd, events, 1, timeoutUs * 1000);
  const wallUs = (performance.now() - t0) * 1000 / calls;
  const cpuUs = (cpuNs() - cpu0) / 1000 / calls;
  close(epfd);
  return { timeoutUs, wallUs, cpuUs };
}

// ------------------------------------------------------------------ main

function int(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${text}`);
  return n;
}

async function main(args: string[]): Promise<void> {
  const [mode, path, ...rest] = args;
  if (mode === "serve-ffi" || mode === "serve-reactor") {
    const [conns, size, warmupMs, measureMs] = rest.map((a, i) => int(a, `argument ${i + 3}`));
    const fds = acceptFrom(path, conns);
    const serve = mode === "serve-ffi" ? serveFfi : serveReactor;
    report(await serve(fds, size, warmupMs, measureMs));
    for (const fd of fds) close(fd); // the driver sees EOF and exits
  } else if (mode === "latency") {
    const [busy, holdUs, wakes, warmup] = rest.slice(1).map((a, i) => int(a, `argument ${i + 4}`));
    const [fd] = acceptFrom(path, 1);
    report(await latency(fd, { strategy: rest[0] as ParkStrategy, busy, holdUs, wakes, warmup }));
    close(fd); // the echo peer sees EOF and exits
  } else if (mode === "sleep-cost") {
    report(sleepCost(int(path, "timeoutUs"), int(rest[0], "calls")));
  } else {
    throw new Error(`unknown mode ${mode}; see the module doc`);
  }
}

if (import.meta.main) await main(Deno.args);
