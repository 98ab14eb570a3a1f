/**
 * The `deno bench` groups of `deno task bench` (run by bench/micro.ts):
 *
 * - the FFI call cost: `write` + `read` of 64 B on an AF_UNIX socketpair, and
 *   `epoll_wait(…, 0)` with 64 ready eventfds, decoding every event; each
 *   through the wrappers (argument checks, errno) and the bare `libc`
 *   symbols. bench/ffi_c.c runs the same loops in C.
 * - the layers above the calls: decoding 64 events, dispatching 64 events to
 *   Reactor handlers, and the poll-worker hop (a `nonblocking` `epoll_wait`,
 *   awaited) against a sync `epoll_wait(…, 0)`.
 *
 *   deno bench --allow-ffi --allow-env --allow-read bench/micro_bench.ts
 *
 * @module
 */

import * as ffi from "../ffi/mod.ts";
import { libc } from "../ffi/libc.ts";
import { Reactor } from "../reactor/mod.ts";
import { OPS } from "./micro.ts";

const N = 64;
const NB = ffi.EFD_NONBLOCK | ffi.EFD_CLOEXEC;
const [sockA, sockB] = ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_STREAM | ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC);
const out = new Uint8Array(N).fill(0x61);
const into = new Uint8Array(N);
const epfd = ffi.epoll_create1(ffi.EPOLL_CLOEXEC);
const ready = Array.from({ length: N }, () => ffi.eventfd(1, NB)); // value 1, never read: always ready (LT)
for (const fd of ready) ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, fd, ffi.EPOLLIN);
const events = new ffi.EventBuffer(N);
let sink = 0; // written by every decode loop, checked at unload: the loops stay observable

function expect(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what} returned ${got}, expected ${want}`);
}

function decode(buffer: ffi.EventBuffer, n: number): void {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += buffer.events(i) + buffer.data(i);
  sink += acc;
}

const [writeRead, epollWait] = OPS;
Deno.bench(`${writeRead.label}: wrappers`, { group: writeRead.label, baseline: true }, () => {
  expect("write", ffi.write(sockA, out), N);
  expect("read", ffi.read(sockB, into), N);
});
Deno.bench(`${writeRead.label}: raw`, { group: writeRead.label }, () => {
  expect("libc.write", libc.write(sockA, out, N), N);
  expect("libc.read", libc.read(sockB, into, N), N);
});
Deno.bench(`${epollWait.label}: wrappers`, { group: epollWait.label, baseline: true }, () => {
  expect("epoll_wait", ffi.epoll_wait(epfd, events, N, 0), N);
  decode(events, N);
});
Deno.bench(`${epollWait.label}: raw`, { group: epollWait.label }, () => {
  expect("libc.epoll_wait", libc.epoll_wait(epfd, events.bytes, N, 0), N);
  decode(events, N);
});

// Decoding without a syscall: the per-event cost every loop pays.
const filled = new ffi.EventBuffer(N);
for (let i = 0; i < N; i++) filled.set(i, ffi.EPOLLIN, i + 7 * 2 ** 32);
filled.length = N;
Deno.bench("decode 64 events (events + data)", () => decode(filled, N));

// Registered but never ready: the loop parks once, and the bench drives
// Registration.dispatch as the loop would.
const reactor = new Reactor();
reactor.unref();
const quiet = Array.from({ length: N }, () => ffi.eventfd(0, NB));
let calls = 0;
const regs = quiet.map((fd) => reactor.register(fd, { readable: true }, () => calls++));
Deno.bench("dispatch 64 events to reactor handlers", () => {
  for (const reg of regs) reg.dispatch(ffi.EPOLLIN), reg.clearReadable();
});

const one = ffi.epoll_create1(ffi.EPOLL_CLOEXEC);
ffi.epoll_ctl(one, ffi.EPOLL_CTL_ADD, ready[0], ffi.EPOLLIN);
Deno.bench("sync epoll_wait(…, 0), one ready fd", { group: "hop", baseline: true }, () => {
  expect("epoll_wait", ffi.epoll_wait(one, events, 4, 0), 1);
});
Deno.bench("nonblocking epoll_wait, awaited: one thread hop", { group: "hop" }, async () => {
  expect("epoll_wait_nonblocking", await libc.epoll_wait_nonblocking(one, events.bytes, 4, 0), 1);
});

globalThis.addEventListener("unload", () => {
  if (sink === 0 || calls === 0) throw new Error("a bench did no work");
  for (const reg of regs) reg.deregister();
  void reactor.close();
  for (const fd of [...ready, ...quiet, epfd, one, sockA, sockB]) ffi.close(fd);
});
