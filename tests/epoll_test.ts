/**
 * The Epoll class and epoll itself on real fds: level- vs edge-triggered,
 * one-shot, half-close, hang-ups, every epoll_ctl errno, timeouts, and the
 * closed-instance contract.
 */

import { assert, assertEquals, assertGreaterOrEqual, assertLess, assertThrows } from "@std/assert";
import { Epoll } from "../epoll/epoll.ts";
import {
  CLOCK_MONOTONIC,
  close,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  epoll_pwait2,
  epoll_wait,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLRDHUP,
  EventBuffer,
  eventfd,
  eventfd_read,
  eventfd_write,
  F_GETFD,
  fcntl,
  FD_CLOEXEC,
  read,
  setsockopt,
  SHUT_WR,
  shutdown,
  SO_LINGER,
  SOL_SOCKET,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  timerfd_create,
  timerfd_settime,
  WOULD_BLOCK,
  write,
} from "../ffi/mod.ts";
import {
  assertErrno,
  bytes,
  evalInChild,
  type FdScope,
  fdTest,
  newFdOf,
  repoUrl,
  streamFixtures,
  tcpPair,
  timed,
  unixPair,
} from "./_helpers.ts";

/** How long a "nothing more is reported" check waits: long enough for loopback delivery. */
const SETTLE_MS = 25;
/** Upper bound for "an event is expected": generous, but every wait stays bounded. */
const EXPECT_MS = 2000;

function waitAll(ep: Epoll, timeoutMs: number, maxEvents?: number): Array<[number, number]> {
  return [...ep.wait(timeoutMs, maxEvents)];
}

/** Waits for exactly one event, on `data`, and returns its event bits. */
function expectOne(ep: Epoll, data: number, timeoutMs = EXPECT_MS): number {
  const got = waitAll(ep, timeoutMs);
  assertEquals(got.length, 1, `expected one event, got ${JSON.stringify(got)}`);
  assertEquals(got[0][0], data);
  return got[0][1];
}

function expectNone(ep: Epoll, timeoutMs = SETTLE_MS): void {
  assertEquals(waitAll(ep, timeoutMs), []);
}

/** Reads until WOULD_BLOCK (bounded) and returns the byte count. */
function drain(fd: number): number {
  const buf = new Uint8Array(4096);
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    const n = read(fd, buf);
    if (n === WOULD_BLOCK) return total;
    assert(n > 0, "unexpected EOF while draining");
    total += n;
  }
  throw new Error("drain did not reach WOULD_BLOCK in 1000 reads");
}

function newEventfd(fds: FdScope, initval = 0): number {
  return fds.add(eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC));
}

// ------------------------------------------------------------ triggering modes, per socket kind

for (const { name, make } of streamFixtures) {
  fdTest(`${name}: level-triggered EPOLLIN reports again until drained`, (fds) => {
    const { a, b } = make(fds);
    using ep = new Epoll();
    ep.register(b, EPOLLIN);
    expectNone(ep, 0);
    assertEquals(write(a, bytes(10)), 10);
    assertEquals(expectOne(ep, b), EPOLLIN);
    assertEquals(expectOne(ep, b, 0), EPOLLIN, "LT must report the same data again");
    assertEquals(read(b, new Uint8Array(4)), 4);
    assertEquals(expectOne(ep, b, 0), EPOLLIN, "6 bytes still buffered");
    assertEquals(drain(b), 6);
    expectNone(ep);
  });

  fdTest(`${name}: edge-triggered EPOLLIN reports once per arrival`, (fds) => {
    const { a, b } = make(fds);
    using ep = new Epoll();
    assert((EPOLLIN | EPOLLET) < 0, "the | result is a negative int32, which epoll_ctl must accept");
    ep.register(b, EPOLLIN | EPOLLET);
    write(a, bytes(10));
    assertEquals(expectOne(ep, b), EPOLLIN, "reported bits are the ready ones, EPOLLET is not echoed");
    expectNone(ep); // data still pending, but no new edge
    assertEquals(read(b, new Uint8Array(3)), 3);
    expectNone(ep); // a partial read is not an edge either
    write(a, bytes(5));
    assertEquals(expectOne(ep, b), EPOLLIN, "new data is a new edge");
    assertEquals(drain(b), 12);
    expectNone(ep);
  });

  fdTest(`${name}: EPOLLONESHOT reports once, then needs EPOLL_CTL_MOD`, (fds) => {
    const { a, b } = make(fds);
    using ep = new Epoll();
    ep.register(b, EPOLLIN | EPOLLONESHOT);
    write(a, bytes(8));
    assertEquals(expectOne(ep, b), EPOLLIN);
    expectNone(ep); // disarmed although data is pending (and this is level-triggered)
    write(a, bytes(8));
    expectNone(ep); // new data does not rearm it either
    ep.modify(b, EPOLLIN | EPOLLONESHOT);
    assertEquals(expectOne(ep, b, 0), EPOLLIN);
    expectNone(ep);
  });

  fdTest(`${name}: EPOLLRDHUP with EPOLLIN on peer shutdown(SHUT_WR), only when requested`, (fds) => {
    const { a, b } = make(fds);
    using withRdhup = new Epoll();
    using withoutRdhup = new Epoll();
    withRdhup.register(b, EPOLLIN | EPOLLRDHUP);
    withoutRdhup.register(b, EPOLLIN);
    expectNone(withRdhup, 0);
    shutdown(a, SHUT_WR);
    assertEquals(expectOne(withRdhup, b), EPOLLIN | EPOLLRDHUP);
    assertEquals(expectOne(withoutRdhup, b, 0), EPOLLIN);
    assertEquals(read(b, new Uint8Array(16)), 0, "EOF after the half-close");
    // Half-close: the other direction still works.
    assertEquals(write(b, bytes(3)), 3);
    assertEquals(read(a, new Uint8Array(16)), 3);
  });

  fdTest(`${name}: EPOLLOUT on a fresh connected socket, EPOLLIN only with data`, (fds) => {
    const { a, b } = make(fds);
    using ep = new Epoll();
    ep.register(a, EPOLLOUT);
    ep.register(b, EPOLLIN | EPOLLOUT);
    const got = new Map(waitAll(ep, EXPECT_MS));
    assertEquals(got.get(a), EPOLLOUT);
    assertEquals(got.get(b), EPOLLOUT);
    write(a, bytes(1));
    assertEquals(new Map(waitAll(ep, 0)).get(b), EPOLLIN | EPOLLOUT);
  });
}

// ------------------------------------------------------------ hang-ups and errors

fdTest("socketpair: EPOLLHUP is reported without being requested when the peer closes", (fds) => {
  const { a, b } = unixPair(fds);
  using ep = new Epoll();
  ep.register(b, 0); // no interest at all: HUP and ERR are always reported
  expectNone(ep, 0);
  fds.close(a);
  assertEquals(expectOne(ep, b), EPOLLHUP);
});

fdTest("tcp: EPOLLERR | EPOLLHUP without being requested after the peer resets (SO_LINGER {1,0})", (fds) => {
  const { a, b } = tcpPair(fds);
  using ep = new Epoll();
  ep.register(b, 0);
  expectNone(ep, 0);
  setsockopt(a, SOL_SOCKET, SO_LINGER, new Uint8Array(new Int32Array([1, 0]).buffer));
  fds.close(a); // linger {on, 0 s}: close sends RST instead of FIN
  assertEquals(expectOne(ep, b), EPOLLERR | EPOLLHUP);
  assertErrno(() => read(b, new Uint8Array(16)), "ECONNRESET", "read");
  // The error is consumed by the read; the hang-up stays (level).
  assertEquals(expectOne(ep, b, 0), EPOLLHUP);
});

fdTest("tcp: a normal close (FIN) is EPOLLIN | EPOLLRDHUP, not EPOLLHUP", (fds) => {
  const { a, b } = tcpPair(fds);
  using ep = new Epoll();
  ep.register(b, EPOLLIN | EPOLLRDHUP);
  fds.close(a);
  assertEquals(expectOne(ep, b), EPOLLIN | EPOLLRDHUP);
  assertEquals(read(b, new Uint8Array(4)), 0);
});

// ------------------------------------------------------------ epoll_ctl stores what it is given

/**
 * The `events` and `data` the kernel holds for `fd` in `epfd`, from
 * /proc/<pid>/fdinfo. Deno denies /proc/self/fd* to anything short of
 * --allow-all, so `cat` reads it for us.
 */
function kernelEntry(epfd: number, fd: number): { events: number; data: bigint } {
  const out = new Deno.Command("cat", { args: [`/proc/${Deno.pid}/fdinfo/${epfd}`] }).outputSync();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = new TextDecoder().decode(out.stdout);
  const m = info.match(new RegExp(`^tfd:\\s+${fd}\\s+events:\\s+([0-9a-f]+)\\s+data:\\s+([0-9a-f]+)`, "m"));
  assert(m !== null, `fd ${fd} not in fdinfo of ${epfd}:\n${info}`);
  return { events: parseInt(m[1], 16), data: BigInt(`0x${m[2]}`) };
}

fdTest("epoll_ctl hands the kernel the exact events (EPOLLET as bit 31) and 64-bit data", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll();
  ep.register(efd, EPOLLIN | EPOLLET, 2 ** 53 - 1);
  // The kernel adds EPOLLERR | EPOLLHUP to every interest set.
  assertEquals(kernelEntry(ep.fd, efd), {
    events: (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLET) >>> 0,
    data: 2n ** 53n - 1n,
  });
  ep.modify(efd, EPOLLOUT | EPOLLONESHOT, 2 ** 32);
  assertEquals(kernelEntry(ep.fd, efd), {
    events: EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLONESHOT,
    data: 2n ** 32n,
  });
  ep.modify(efd, EPOLLIN);
  assertEquals(kernelEntry(ep.fd, efd).data, BigInt(efd), "data defaults to the fd");
});

fdTest("EPOLLIN | EPOLLET through epoll_ctl behaves edge-triggered on an eventfd", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll();
  ep.register(efd, EPOLLIN | EPOLLET);
  eventfd_write(efd, 1);
  assertEquals(expectOne(ep, efd, 0), EPOLLIN);
  expectNone(ep, 0); // still readable (counter 1), but no new edge
  eventfd_write(efd, 1);
  assertEquals(expectOne(ep, efd, 0), EPOLLIN);
  assertEquals(eventfd_read(efd), 2);
});

// ------------------------------------------------------------ errno

fdTest("EEXIST on registering an fd twice", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll();
  ep.register(efd);
  assertErrno(() => ep.register(efd), "EEXIST", "epoll_ctl");
});

fdTest("ENOENT on unregistering or modifying an fd that is not registered", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll();
  assertErrno(() => ep.unregister(efd), "ENOENT", "epoll_ctl");
  assertErrno(() => ep.modify(efd, EPOLLIN), "ENOENT", "epoll_ctl");
  ep.register(efd);
  ep.unregister(efd);
  assertErrno(() => ep.unregister(efd), "ENOENT", "epoll_ctl");
});

fdTest("EBADF on a closed fd, and on a closed epoll fd", (fds) => {
  // Order matters: a closed number is reused by the next fd opened, so nothing
  // is opened between each close and the call that must see it closed.
  using ep = new Epoll();
  const live = newEventfd(fds);
  const dead = newEventfd(fds);
  fds.close(dead);
  assertErrno(() => ep.register(dead), "EBADF", "epoll_ctl");
  const epfd = epoll_create1();
  close(epfd);
  assertErrno(() => epoll_ctl(epfd, EPOLL_CTL_ADD, live, EPOLLIN), "EBADF", "epoll_ctl");
  assertErrno(() => epoll_wait(epfd, new EventBuffer(1), 1, 0), "EBADF", "epoll_wait");
});

fdTest("EPERM on registering a regular file", () => {
  const path = Deno.makeTempFileSync({ dir: "/tmp", prefix: "epoll_test_" });
  let file: Deno.FsFile | undefined;
  try {
    const fd = newFdOf(() => file = Deno.openSync(path, { read: true }));
    using ep = new Epoll();
    assertErrno(() => ep.register(fd), "EPERM", "epoll_ctl");
  } finally {
    file?.close();
    Deno.removeSync(path);
  }
});

fdTest(
  "EINVAL: the epoll fd in itself, EPOLLEXCLUSIVE on MOD, waiting on a non-epoll fd; a bad op is a RangeError",
  (fds) => {
    using ep = new Epoll();
    assertErrno(() => ep.register(ep.fd), "EINVAL", "epoll_ctl");
    const efd = newEventfd(fds);
    assertThrows(() => epoll_ctl(ep.fd, 99, efd, EPOLLIN), RangeError, "EPOLL_CTL_ADD");
    ep.register(efd, EPOLLIN | EPOLLEXCLUSIVE);
    assertErrno(() => epoll_ctl(ep.fd, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLEXCLUSIVE), "EINVAL", "epoll_ctl");
    assertErrno(() => epoll_wait(efd, new EventBuffer(1), 1, 0), "EINVAL", "epoll_wait");
  },
);

// ------------------------------------------------------------ timeouts

fdTest("wait(0) returns at once with nothing ready", (fds) => {
  using ep = new Epoll();
  ep.register(newEventfd(fds));
  const { ms, value } = timed(() => ep.wait(0).length);
  assertEquals(value, 0);
  assertLess(ms, 50);
});

fdTest("wait(50) sleeps about 50 ms", (fds) => {
  using ep = new Epoll();
  ep.register(newEventfd(fds));
  const { ms, value } = timed(() => ep.wait(50).length);
  assertEquals(value, 0);
  assertGreaterOrEqual(ms, 45);
  assertLess(ms, 500);
});

fdTest("epoll_pwait2 waits 2 ms (ns timeout), and returns at once when an fd is ready", (fds) => {
  using ep = new Epoll();
  const efd = newEventfd(fds);
  ep.register(efd);
  const events = new EventBuffer(4);
  const idle = timed(() => epoll_pwait2(ep.fd, events, 4, 2_000_000));
  assertEquals(idle.value, 0);
  assertGreaterOrEqual(idle.ms, 1.5);
  assertLess(idle.ms, 200);
  eventfd_write(efd, 1);
  const ready = timed(() => epoll_pwait2(ep.fd, events, 4, 5e9));
  assertEquals(ready.value, 1);
  assertEquals(events.data(0), efd);
  assertLess(ready.ms, 100);
});

fdTest("wait returns early when an fd becomes ready (timerfd armed for 20 ms)", (fds) => {
  const tfd = fds.add(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  using ep = new Epoll();
  ep.register(tfd);
  timerfd_settime(tfd, 0, 20);
  const { ms, value } = timed(() => expectOne(ep, tfd, 5000));
  assertEquals(value, EPOLLIN);
  assertGreaterOrEqual(ms, 15);
  assertLess(ms, 500, "the wait must end at the timer, far before its 5 s timeout");
});

// ------------------------------------------------------------ the Epoll class

fdTest("Epoll: register (default EPOLLIN, data = fd), modify, unregister, wait", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll();
  ep.register(efd);
  expectNone(ep, 0);
  eventfd_write(efd, 1);
  assertEquals(waitAll(ep, 0), [[efd, EPOLLIN]]);
  ep.modify(efd, EPOLLIN, 42);
  assertEquals(waitAll(ep, 0), [[42, EPOLLIN]]);
  ep.modify(efd, EPOLLIN | EPOLLOUT);
  assertEquals(waitAll(ep, 0), [[efd, EPOLLIN | EPOLLOUT]], "data is back to the fd");
  ep.unregister(efd);
  expectNone(ep, 0);
  const other = newEventfd(fds, 1);
  ep.register(other, EPOLLIN, 7);
  const buf = ep.wait(0);
  assertEquals([buf.length, buf.data(0), buf.events(0)], [1, 7, EPOLLIN]);
});

fdTest("Epoll: wait returns at most maxEvents, and level-triggered fds take turns", (fds) => {
  using ep = new Epoll({ maxEvents: 4 });
  const ready = [newEventfd(fds, 1), newEventfd(fds, 1), newEventfd(fds, 1)];
  for (const fd of ready) ep.register(fd);
  const first = waitAll(ep, 0, 2).map(([data]) => data);
  assertEquals(first.length, 2);
  const second = waitAll(ep, 0, 2).map(([data]) => data);
  assertEquals(new Set([...first, ...second]), new Set(ready), "the third fd must come up next");
  assertEquals(ep.wait(0).length, 3);
  assertThrows(() => ep.wait(0, 5), RangeError);
});

fdTest("Epoll: the fd is close-on-exec and reused events are valid until the next wait", (fds) => {
  using ep = new Epoll();
  assertEquals(fcntl(ep.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  const efd = newEventfd(fds, 1);
  ep.register(efd);
  const buf = ep.wait(0);
  assertEquals(buf.length, 1);
  eventfd_read(efd);
  assertEquals(ep.wait(0), buf, "the same buffer object is reused");
  assertEquals(buf.length, 0);
});

fdTest("Epoll: after close() every method throws BadResource; close is idempotent", (fds) => {
  const efd = newEventfd(fds, 1);
  const ep = new Epoll();
  try {
    ep.register(efd);
    assertEquals(ep.closed, false);
  } finally {
    ep.close();
  }
  assertEquals(ep.closed, true);
  ep.close();
  ep[Symbol.dispose]();
  assertThrows(() => ep.fd, Deno.errors.BadResource);
  assertThrows(() => ep.register(efd), Deno.errors.BadResource);
  assertThrows(() => ep.modify(efd, EPOLLIN), Deno.errors.BadResource);
  assertThrows(() => ep.unregister(efd), Deno.errors.BadResource);
  assertThrows(() => ep.wait(0), Deno.errors.BadResource);
  assertEquals(eventfd_read(efd), 1, "registered fds stay open and usable");
});

fdTest("Epoll: `using` closes the epoll fd at the end of the block", () => {
  let outer: Epoll | undefined;
  let epfd = -1;
  {
    using ep = new Epoll();
    outer = ep;
    epfd = ep.fd;
    assertEquals(fcntl(epfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  assertEquals(outer.closed, true);
  assertErrno(() => fcntl(epfd, F_GETFD), "EBADF", "fcntl");
});

fdTest("Epoll: bad arguments throw RangeError/TypeError, never reach the kernel", (fds) => {
  const efd = newEventfd(fds);
  using ep = new Epoll({ maxEvents: 2 });
  for (const fd of [NaN, -1, 1.5, 2 ** 31, 1e12]) {
    assertThrows(() => ep.register(fd), RangeError, undefined, `register(${fd})`);
    assertThrows(() => ep.modify(fd, EPOLLIN), RangeError);
    assertThrows(() => ep.unregister(fd), RangeError);
  }
  for (const data of [-1, 0.5, 2 ** 53, NaN, Infinity]) {
    assertThrows(() => ep.register(efd, EPOLLIN, data), RangeError, undefined, `data ${data}`);
  }
  for (const [timeout, max] of [[-2, 2], [1.5, 2], [NaN, 2], [0, 0], [0, 3], [0, 1.5]]) {
    assertThrows(() => ep.wait(timeout, max), RangeError, undefined, `wait(${timeout}, ${max})`);
  }
  for (const maxEvents of [0, -1, 1.5, 2 ** 20 + 1]) {
    assertThrows(() => new Epoll({ maxEvents }), RangeError);
  }
  ep.register(efd); // the instance is still fine after all that
});

fdTest(
  "Epoll: options must be an object; closed instances answer BadResource before looking at arguments",
  (fds) => {
    for (const options of [null, 5, "x"]) {
      assertThrows(() => new Epoll(options as unknown as { maxEvents: number }), TypeError, "options");
    }
    for (const maxEvents of [NaN, "4", Infinity]) {
      assertThrows(() => new Epoll({ maxEvents: maxEvents as number }), RangeError, "maxEvents");
    }
    const efd = newEventfd(fds);
    const ep = new Epoll();
    ep.close();
    for (const bad of [NaN, -1, "x", 2 ** 40]) {
      const v = bad as number;
      assertThrows(() => ep.wait(v, v), Deno.errors.BadResource);
      assertThrows(() => ep.register(v, v, v), Deno.errors.BadResource);
      assertThrows(() => ep.modify(efd, v), Deno.errors.BadResource);
      assertThrows(() => ep.unregister(v), Deno.errors.BadResource);
    }
  },
);

Deno.test("Epoll: the EventBuffer wait returns cannot be tampered into an overflow", async () => {
  // The old buffer's capacity was a plain property: set to NaN, it disabled
  // the maxEvents check, and the kernel wrote 64 events into room for 1.
  const outcome = await evalInChild(`
    const { Epoll } = await import("${repoUrl("epoll/epoll.ts")}");
    const m = await import("${repoUrl("ffi/mod.ts")}");
    const ep = new Epoll({ maxEvents: 1 });
    for (let i = 0; i < 64; i++) ep.register(m.eventfd(1, m.EFD_NONBLOCK));
    const events = ep.wait(0);
    const out = [String(events.length)];
    try { events.capacity = NaN; } catch (e) { out.push(e.name); }
    try { Object.defineProperty(events, "capacity", { value: 64 }); } catch (e) { out.push(e.name); }
    try { out.push(String(ep.wait(0, 64).length)); } catch (e) { out.push(e.name); }
    out.push(String(ep.wait(0).length));
    console.log(out.join(" "));`);
  assertEquals([outcome.signal, outcome.timedOut, outcome.code], [null, false, 0], outcome.stderr);
  assertEquals(outcome.stdout.trim(), "1 TypeError TypeError RangeError 1");
});
