/**
 * A Registration's waiters after the memory work of issue 11 (item 7): one
 * slot per direction that turns into an array only when a second waiter
 * comes, `io()` run as an operation object instead of an async function, and
 * the readiness cache, "known not ready" and ref state folded into one
 * bitfield. Each test checks behaviour on real fds, as before the change.
 *
 * @module
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertStrictEquals } from "@std/assert";
import { EPOLLIN, read, WOULD_BLOCK, write } from "../ffi/mod.ts";
import {
  assertFalse,
  isPending,
  makeSocketpair,
  PARK_VARIANTS,
  reactorTest,
  within,
} from "./_reactor_helpers.ts";
import { retryParked } from "../reactor/registration.ts";

const ONE = new Uint8Array([1]);

function drain(fd: number): number {
  const buf = new Uint8Array(4096);
  let total = 0;
  for (let n; (n = read(fd, buf)) > 0;) total += n;
  return total;
}

reactorTest(
  "waiters: three readable() waits on one fd all resolve at one event, in order; an aborted middle one is dropped",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    assertEquals(read(a, new Uint8Array(1)), WOULD_BLOCK);
    reg.clearReadable();
    const order: string[] = [];
    const ac = new AbortController();
    const first = reg.readable().then(() => order.push("first"));
    const middle = reg.readable(ac.signal);
    const last = reg.readable().then(() => order.push("last"));
    const reason = new Error("not this one");
    ac.abort(reason);
    assertStrictEquals(await assertRejects(() => middle), reason);
    assert(await isPending(first), "no event yet: the first wait must still be pending");
    write(b, ONE);
    await within(Promise.all([first, last]), 2000, "both waits after one byte");
    assertEquals(order, ["first", "last"]);
    drain(a);
    reg.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: a parked io() finishes after the event; two concurrent io() on one fd each get their own byte",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    const one = (): number => {
      const buf = new Uint8Array(1);
      const n = read(a, buf);
      return n === WOULD_BLOCK ? n : buf[0];
    };
    const x = reg.io("read", one);
    const y = reg.io("read", one);
    assert(await isPending(x), "nothing to read: io() parks");
    assert(await isPending(y), "nothing to read: the second io() parks too");
    write(b, new Uint8Array([7]));
    // The first takes the byte; the second finds EAGAIN and parks again.
    assertEquals(await within(x, 2000, "the first io()"), 7);
    assert(await isPending(y), "the second io() waits for the next byte");
    write(b, new Uint8Array([9]));
    assertEquals(await within(y, 2000, "the second io()"), 9);
    reg.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: deregister() rejects parked io() and readable()/writable() waits of both directions with BadResource",
  async (t) => {
    const [a] = makeSocketpair(t.fds);
    const chunk = new Uint8Array(64 * 1024);
    while (write(a, chunk) !== WOULD_BLOCK); // full: no EPOLLOUT until the peer reads
    const reg = t.reactor.register(a, { readable: true, writable: true, trigger: "edge" });
    reg.clearWritable();
    const waits = [
      reg.io("read", () => read(a, new Uint8Array(1))),
      reg.io("read", () => read(a, new Uint8Array(1))),
      reg.readable(),
      reg.writable(),
    ];
    for (const w of waits) assert(await isPending(w), "parked before deregister()");
    reg.deregister();
    for (const w of waits) assertInstanceOf(await assertRejects(() => w), Deno.errors.BadResource);
    assertInstanceOf(await assertRejects(() => reg.io("read", () => 1)), Deno.errors.BadResource);
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: an aborted io() rejects with the reason and leaves the other waiter and the fd working",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    const ac = new AbortController();
    const buf = new Uint8Array(1);
    const aborted = reg.io("read", () => read(a, buf), ac.signal);
    const kept = reg.io("read", () => read(a, buf));
    const reason = new Error("abandoned");
    ac.abort(reason);
    assertStrictEquals(await assertRejects(() => aborted), reason);
    write(b, ONE);
    assertEquals(await within(kept, 2000, "the io() that was not aborted"), 1);
    // A signal that is not an AbortSignal is refused when the op would wait, as before.
    const bad = reg.io("read", () => read(a, buf), "nope" as unknown as AbortSignal);
    assertInstanceOf(await assertRejects(() => bad), TypeError);
    reg.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: unref()/ref() survive events and clears (one state field); a final RDHUP is never cleared",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, readClosed: true, trigger: "edge" });
    reg.unref();
    assertFalse(reg.refed);
    write(b, ONE);
    await within(reg.readable(), 2000, "readable() after a byte");
    drain(a);
    reg.clearReadable();
    assertFalse(reg.refed, "a clear must not touch the ref bit");
    reg.ref();
    assertEquals(reg.refed, true);
    t.fds.close(b); // EOF: RDHUP is final, so readiness stays set through clears
    await within(reg.readable(), 2000, "readable() at EOF");
    reg.clearReadable();
    assertFalse(await isPending(reg.readable()), "after RDHUP a clear changes nothing: ready at once");
    assertEquals(reg.refed, true);
    reg.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: a waiter whose signal another woken op's attempt aborts mid-event loses no bytes",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    const ac = new AbortController();
    let first = true;
    // Its second attempt runs inside the event's dispatch, before the other waiter is woken.
    const aborter = reg.io("read", () => {
      if (!first) ac.abort(new Error("aborted from inside an attempt"));
      first = false;
      return read(a, new Uint8Array(1));
    });
    const buf = new Uint8Array(16);
    const victim = reg.io("read", () => read(a, buf), ac.signal).then((n) => n, () => 0);
    assert(await isPending(victim), "nothing to read: both park");
    write(b, new Uint8Array([1, 2, 3]));
    const took = await within(aborter, 2000, "the aborting io()");
    const got = await within(victim, 2000, "the other io()");
    const left = Math.max(0, read(a, new Uint8Array(16)));
    // Every byte is either in a resolved result or still in the socket: none read for a rejected promise.
    assertEquals(took + got + left, 3);
    reg.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: a signal's own addEventListener/aborted/reason are not what runs: no throw out of an event, no failed waiter parked",
  async (t) => {
    const [a, b] = makeSocketpair(t.fds);
    const [c, d] = makeSocketpair(t.fds);
    const [e, f] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    const eagerReg = t.reactor.register(e, { readable: true, trigger: "edge" });
    const other = t.reactor.register(c, { readable: true, trigger: "edge" });
    // Throws on its second call: the re-park after a spurious wake, inside the event's dispatch.
    const throwing = new AbortController().signal;
    let adds = 0;
    Object.defineProperty(throwing, "addEventListener", {
      value: () => {
        if (adds++ > 0) throw new Error("hostile addEventListener");
      },
    });
    let wakes = 0;
    const spurious = reg.io("read", () => wakes++ < 2 ? WOULD_BLOCK : 5, throwing);
    // Calls the listener at once: the waiter would be failed before it is parked.
    const eager = new AbortController().signal;
    Object.defineProperty(eager, "addEventListener", { value: (_: string, fn: () => void) => fn() });
    Object.defineProperty(eager, "aborted", { get: () => true });
    const buf = new Uint8Array(4);
    const parked = eagerReg.io("read", () => read(e, buf), eager);
    const pendings = await Promise.all([isPending(spurious), isPending(parked)]);
    assertEquals(pendings, [true, true], "both park: their signals are not aborted");
    write(b, ONE); // the spurious op wakes, finds "nothing" and parks again
    write(f, ONE);
    assertEquals(await within(parked, 2000, "the io() with the eager signal"), 1);
    const elsewhere = other.io("read", () => read(c, new Uint8Array(4)));
    write(d, ONE);
    assertEquals(
      await within(elsewhere, 2000, "another fd's io() after those events"),
      1,
      "the loop still runs",
    );
    reg.dispatch(EPOLLIN); // the spurious op wakes again and now succeeds
    assertEquals(await within(spurious, 2000, "the io() with the throwing signal"), 5);
    // A look-alike that passes instanceof is refused with the package's message.
    const forged = Object.create(AbortSignal.prototype) as AbortSignal;
    const refused = await assertRejects(() => reg.io("read", () => WOULD_BLOCK, forged), TypeError);
    assert(refused.message.includes("AbortSignal"), refused.message);
    reg.deregister();
    eagerReg.deregister();
    other.deregister();
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: an io() deregistered while it yields for budget rejects BadResource without running its attempt",
  async (t) => {
    const [a] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    let attempts = 0;
    const attempt = (): number => ++attempts;
    // Spend the round's budget so the next io() yields a macrotask before it attempts.
    while (t.reactor.consumeBudget());
    const yielding = reg.io("read", attempt);
    reg.deregister();
    assertInstanceOf(
      await within(assertRejects(() => yielding), 2000, "the yielding io()"),
      Deno.errors.BadResource,
    );
    assertEquals(attempts, 0, "the fd may be closed and its number reused: no attempt after deregister");
  },
  { variants: PARK_VARIANTS, group: "registration" },
);

reactorTest(
  "waiters: retryParked runs parked io() attempts again, leaves readable() waits parked and the cache not ready",
  async (t) => {
    const [a] = makeSocketpair(t.fds);
    const reg = t.reactor.register(a, { readable: true, trigger: "edge" });
    let attempts = 0;
    let answer: number = WOULD_BLOCK;
    const op = reg.io("read", () => (attempts++, answer));
    const wait = reg.readable();
    assert(await isPending(op) && await isPending(wait), "both park");
    retryParked(reg, "read");
    assertEquals(attempts, 2, "the parked attempt ran again");
    assert(await isPending(op), "still WOULD_BLOCK: parked again");
    assert(await isPending(wait), "a readable() wait is not an attempt: it stays parked");
    assert(await isPending(reg.readable()), "no event came: the cache still says not ready");
    answer = 3;
    retryParked(reg, "read");
    assertEquals(await within(op, 2000, "the retried io()"), 3);
    reg.deregister();
    await assertRejects(() => wait);
  },
  { variants: PARK_VARIANTS, group: "registration" },
);
