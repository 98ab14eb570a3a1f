/**
 * Micro benchmarks of the layers above the FFI calls, as `deno bench`
 * groups (run by `deno task bench` through bench/micro.ts):
 *
 * - **event decode**: reading `events(i)` and `data(i)` of 64 entries of an
 *   `EventBuffer` (no syscall), the per-event cost every loop pays;
 * - **reactor dispatch**: 64 registrations dispatched one event each (the
 *   readiness cache, the generation check's lookup, the handler call), no
 *   syscall;
 * - **poll-worker hop**: one `nonblocking: true` `epoll_wait` on a ready fd,
 *   awaited: the thread hop a park costs, against a sync `epoll_wait(…, 0)`.
 *
 * @module
 */

import {
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
} from "../ffi/mod.ts";
import { Reactor, type Registration } from "../reactor/mod.ts";

const N = 64;

// ---------------------------------------------------------------- event decode

const decoded = new EventBuffer(N);
for (let i = 0; i < N; i++) decoded.set(i, EPOLLIN, i + 7 * 2 ** 32);
decoded.length = N;
let sink = 0;

Deno.bench({
  name: "decode 64 events (events + data)",
  group: "event decode",
  fn(): void {
    let acc = 0;
    for (let i = 0; i < decoded.length; i++) acc += decoded.events(i) + decoded.data(i);
    sink += acc;
  },
});

// ---------------------------------------------------------------- reactor dispatch

// Registered but never waited on: the loop parks once (no fd is ready) and
// the bench drives Registration.dispatch directly, as the loop would.
const reactor = new Reactor();
reactor.unref();
const fds = Array.from({ length: N }, () => eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
let calls = 0;
const regs: Registration[] = fds.map((fd) => reactor.register(fd, { readable: true }, () => calls++));

Deno.bench({
  name: "dispatch 64 events to handlers",
  group: "reactor dispatch",
  fn(): void {
    for (let i = 0; i < N; i++) {
      regs[i].dispatch(EPOLLIN);
      regs[i].clearReadable();
    }
  },
});

// ---------------------------------------------------------------- poll-worker hop

const epfd = epoll_create1(EPOLL_CLOEXEC);
const ready = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC); // never read: always ready
epoll_ctl(epfd, EPOLL_CTL_ADD, ready, EPOLLIN);
const hopEvents = new EventBuffer(4);

Deno.bench({
  name: "sync epoll_wait(…, 0), one ready fd",
  group: "poll-worker hop",
  baseline: true,
  fn(): void {
    if (epoll_wait(epfd, hopEvents, 4, 0) !== 1) throw new Error("expected one event");
  },
});

Deno.bench({
  name: "nonblocking epoll_wait, awaited (thread hop)",
  group: "poll-worker hop",
  async fn(): Promise<void> {
    if (await libc.epoll_wait_nonblocking(epfd, hopEvents.bytes, 4, 0) !== 1) {
      throw new Error("expected one event");
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === 0 || calls === 0) throw new Error("a bench did no work");
  for (const r of regs) r.deregister();
  void reactor.close();
  for (const fd of [...fds, ready, epfd]) close(fd);
});
