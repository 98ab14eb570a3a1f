/**
 * FFI micro benchmarks: what one round trip through the libc layer costs.
 *
 * 1. `write` 64 bytes + `read` 64 bytes on a nonblocking AF_UNIX socketpair;
 * 2. `epoll_wait(epfd, events, 64, 0)` with 64 ready level-triggered eventfds,
 *    decoding every event (`events(i)`, `data(i)`).
 *
 * Each through the wrappers of ffi/calls.ts (argument checks, errno) and
 * through the bare `libc` symbols, to separate the wrappers' cost from the
 * FFI call's. `bench/ffi_c.c` runs the same loops in C; `deno bench` cannot
 * hand results back to this file, so `bench/ffi_ratio.ts` runs this file with
 * `--json`, runs the C binary, and prints the Deno/C ratios.
 *
 * Run: deno bench --allow-ffi --allow-env --allow-read bench/ffi_bench.ts
 *
 * @module
 */

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
  libc,
  read,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socketpair,
  write,
} from "../ffi/mod.ts";
import { benchName, OPS } from "./ffi_c.ts";

const MSG = 64;
const READY = 64;

// ---------------------------------------------------------------- fixtures (closed at unload)

const [sockA, sockB] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
const outBuf = new Uint8Array(MSG).fill(0x61);
const inBuf = new Uint8Array(MSG);

const epfd = epoll_create1(EPOLL_CLOEXEC);
const eventfds: number[] = [];
for (let i = 0; i < READY; i++) {
  // Value 1 and never read: level-triggered, every fd is ready on every wait.
  const efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
  eventfds.push(efd);
  epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
}
const events = new EventBuffer(READY);

globalThis.addEventListener("unload", () => {
  for (const fd of [...eventfds, epfd, sockA, sockB]) close(fd);
});

// Written by every decode loop and read at unload, so the loops stay observable.
let sink = 0;
globalThis.addEventListener("unload", () => {
  if (sink === 0) throw new Error("the epoll benches decoded nothing");
});

function fail(what: string, got: number): never {
  throw new Error(`${what} returned ${got}`);
}

// ---------------------------------------------------------------- 1. write + read 64 B

const [writeRead, epollWait] = OPS;

Deno.bench({
  name: benchName(writeRead.label, "wrappers"),
  group: writeRead.label,
  baseline: true,
  fn(): void {
    const w = write(sockA, outBuf);
    if (w !== MSG) fail("write", w);
    const r = read(sockB, inBuf);
    if (r !== MSG) fail("read", r);
  },
});

Deno.bench({
  name: benchName(writeRead.label, "raw"),
  group: writeRead.label,
  fn(): void {
    const w = libc.write(sockA, outBuf, MSG);
    if (w !== MSG) fail("libc.write", w);
    const r = libc.read(sockB, inBuf, MSG);
    if (r !== MSG) fail("libc.read", r);
  },
});

// ---------------------------------------------------------------- 2. epoll_wait, 64 ready

function decodeAll(n: number): void {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += events.events(i) + events.data(i);
  sink += acc;
}

Deno.bench({
  name: benchName(epollWait.label, "wrappers"),
  group: epollWait.label,
  baseline: true,
  fn(): void {
    const n = epoll_wait(epfd, events, READY, 0);
    if (n !== READY) fail("epoll_wait", n);
    decodeAll(n);
  },
});

Deno.bench({
  name: benchName(epollWait.label, "raw"),
  group: epollWait.label,
  fn(): void {
    const n = libc.epoll_wait(epfd, events.bytes, READY, 0);
    if (n !== READY) fail("libc.epoll_wait", n);
    decodeAll(n);
  },
});
