/**
 * Reactor timers (`setTimer` / `clearTimer`, a heap behind one timerfd), for
 * both poll-worker strategies: order (equal deadlines in insertion order),
 * cancellation, 0 ms without spinning, errors to onError, a timer added while
 * the loop is parked, a 1,000-timer heap check, and the rails: the delay
 * range checked before anything is inserted, callbacks that must be
 * functions, timers owned by their reactor (a foreign or forged one is a
 * TypeError), a queue that stays consistent when callbacks throw or add and
 * clear timers. Process exit with timers is in `reactor_exit_test.ts`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLess,
  assertLessOrEqual,
  assertThrows,
} from "@std/assert";
import { close, EFD_CLOEXEC, EFD_NONBLOCK, eventfd, F_GETFL, fcntl, O_NONBLOCK } from "../ffi/mod.ts";
import { MAX_TIMER_DELAY_MS, Reactor, Timer, TimerQueue } from "../reactor/mod.ts";
import {
  assertFalse,
  makeEventfd,
  makeReactor,
  PARK_VARIANTS,
  reactorTest,
  sleep,
  VARIANTS,
  waitUntil,
} from "./_reactor_helpers.ts";

reactorTest("timers fire in deadline order; equal delays in insertion order; never early", async (t) => {
  const fired: string[] = [];
  const early: string[] = [];
  const add = (delay: number, label: string): Timer => {
    const timer = t.reactor.setTimer(delay, () => {
      fired.push(label);
      if (performance.now() < timer.deadline) early.push(label);
    });
    return timer;
  };
  const timers = [add(30, "30"), add(10, "10a"), add(20, "20"), add(10, "10b"), add(0, "0"), add(10, "10c")];
  await waitUntil(() => fired.length === 6, 2000, "six timers");
  assertEquals(fired, ["0", "10a", "10b", "10c", "20", "30"]);
  assertEquals(early, [], "fired before their deadline");
  assert(timers.every((timer) => timer.done));
}, { group: "timers" });

reactorTest("clearTimer cancels; clearing twice or after firing is harmless", async (t) => {
  const fired: string[] = [];
  const a = t.reactor.setTimer(10, () => fired.push("a"));
  const b = t.reactor.setTimer(20, () => fired.push("b"));
  const c = t.reactor.setTimer(5, () => fired.push("c"));
  t.reactor.clearTimer(a);
  t.reactor.clearTimer(a);
  assert(a.done);
  assertFalse(b.done);
  await waitUntil(() => fired.length === 2, 2000, "the two live timers");
  await sleep(20);
  assertEquals(fired, ["c", "b"]);
  t.reactor.clearTimer(b); // already fired
  t.reactor.clearTimer(c);
  assertEquals(fired, ["c", "b"]);
}, { group: "timers" });

reactorTest("cancelling the earliest timer leaves the later ones on time", async (t) => {
  const fired: number[] = [];
  const first = t.reactor.setTimer(15, () => fired.push(15));
  t.reactor.setTimer(30, () => fired.push(30));
  t.reactor.clearTimer(first);
  const t0 = performance.now();
  await waitUntil(() => fired.length === 1, 2000, "the 30 ms timer");
  assertEquals(fired, [30]);
  assertLess(performance.now() - t0, 500);
}, { group: "timers" });

reactorTest("a 0 ms timer fires promptly without spinning the loop", async (t) => {
  const before = { ...t.reactor.stats };
  const t0 = performance.now();
  let at = -1;
  t.reactor.setTimer(0, () => at = performance.now());
  await waitUntil(() => at >= 0, 1000, "the 0 ms timer");
  assertLess(at - t0, 50, "a 0 ms timer took too long");
  await sleep(20); // an armed-as-0 timerfd (or a zero-timeout retry) would spin here
  const s = t.reactor.stats;
  assertLessOrEqual(s.parks - before.parks, 2, "parks");
  assertLessOrEqual(s.yields - before.yields, 10, "yields");
  assertLessOrEqual(s.drains + s.busyWaits - before.drains - before.busyWaits, 4, "polls");
}, { group: "timers" });

reactorTest(
  "a chain of 50 zero-delay timers (each set from the previous) completes, one per round",
  async (t) => {
    let count = 0;
    const next = (): void => {
      if (++count < 50) t.reactor.setTimer(0, next);
    };
    t.reactor.setTimer(0, next);
    await waitUntil(() => count === 50, 2000, "50 chained timers");
    await sleep(10);
    assertEquals(count, 50);
  },
  { variants: PARK_VARIANTS, group: "timers" },
);

reactorTest("a throwing timer callback goes to onError and the other due timers still run", async (t) => {
  const fired: string[] = [];
  t.reactor.setTimer(5, () => fired.push("before"));
  t.reactor.setTimer(5, () => {
    throw new Error("timer boom");
  });
  t.reactor.setTimer(5, () => fired.push("after"));
  t.reactor.setTimer(15, () => fired.push("later"));
  await waitUntil(() => fired.length === 3, 2000, "the other timers");
  assertEquals(fired, ["before", "after", "later"]);
  assertEquals(t.errors.splice(0).map((e) => (e as Error).message), ["timer boom"]);
}, { group: "timers" });

reactorTest("a timer added while the loop is parked on an fd wakes it on time", async (t) => {
  const efd = makeEventfd(t.fds);
  const reg = t.reactor.register(efd, { readable: true });
  await waitUntil(() => t.reactor.stats.parks >= 1, 2000, "a park");
  await sleep(5);
  let late = NaN;
  const t0 = performance.now();
  t.reactor.setTimer(20, () => late = performance.now() - t0 - 20);
  await waitUntil(() => !Number.isNaN(late), 2000, "the timer");
  assertGreaterOrEqual(late, 0, "fired early");
  assertLess(late, 100, "fired far too late");
  reg.deregister();
}, { group: "timers" });

reactorTest("timer-only reactor: goes idle after the last timer and starts again for the next", async (t) => {
  const fired: number[] = [];
  t.reactor.setTimer(5, () => fired.push(1));
  await waitUntil(() => fired.length === 1, 2000, "the first timer");
  await sleep(20); // the loop stops here (and the worker strategy's thread with it)
  const parks = t.reactor.stats.parks;
  await sleep(20);
  assertEquals(t.reactor.stats.parks, parks, "an idle reactor kept parking");
  t.reactor.setTimer(5, () => fired.push(2));
  await waitUntil(() => fired.length === 2, 2000, "the second timer");
  assertEquals(fired, [1, 2]);
}, { group: "timers" });

reactorTest("1,000 timers with scattered delays (half cancelled) fire in deadline order", async (t) => {
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const fired: Timer[] = [];
  const timers: Timer[] = [];
  for (let i = 0; i < 1000; i++) {
    const timer: Timer = t.reactor.setTimer(random() * 40, () => fired.push(timer));
    timers.push(timer);
  }
  const cancelled = new Set(timers.filter(() => random() < 0.5));
  for (const timer of cancelled) t.reactor.clearTimer(timer);
  const expected = timers.filter((timer) => !cancelled.has(timer));
  await waitUntil(() => fired.length >= expected.length, 3000, "every live timer");
  await sleep(50);
  assertEquals(fired.length, expected.length);
  for (const timer of fired) assertFalse(cancelled.has(timer), "a cancelled timer fired");
  for (let i = 1; i < fired.length; i++) {
    assertLessOrEqual(fired[i - 1].deadline, fired[i].deadline, `out of order at ${i}`);
  }
}, { variants: PARK_VARIANTS, group: "timers" });

reactorTest("fractional delays are kept (0.5 ms fires, after its deadline)", async (t) => {
  let at = -1;
  const timer = t.reactor.setTimer(0.5, () => at = performance.now());
  await waitUntil(() => at >= 0, 1000, "the 0.5 ms timer");
  assertGreaterOrEqual(at, timer.deadline);
}, { variants: PARK_VARIANTS, group: "timers" });

reactorTest("setTimer rejects NaN, negative, infinite and too long delays, and non-number delays", (t) => {
  for (const bad of [NaN, -1, -0.001, Infinity, MAX_TIMER_DELAY_MS + 1, 2 ** 31, 2 ** 40]) {
    assertThrows(() => t.reactor.setTimer(bad, () => {}), RangeError, "[0, 2147483647] ms", `delay ${bad}`);
  }
  for (const bad of ["5", null, undefined]) {
    assertThrows(() => t.reactor.setTimer(bad as unknown as number, () => {}), TypeError, "number");
  }
  assertEquals(t.reactor.stats.parks + t.reactor.stats.drains, 0, "a refused timer started the loop");
  t.reactor.clearTimer(t.reactor.setTimer(MAX_TIMER_DELAY_MS, () => {})); // the top of the range is fine
}, { variants: VARIANTS.slice(0, 1), group: "timers" });

// Regression: a delay over ~104 days passed the check, was inserted, and then
// timerfd_settime threw: the phantom entry kept the process alive, or threw
// from the loop when the next timer fired and the queue rearmed for it.
reactorTest(
  "a delay beyond the range is refused before it is inserted: the next timers fire cleanly",
  async (t) => {
    const DAYS_200 = 200 * 86_400_000;
    assertThrows(() => t.reactor.setTimer(DAYS_200, () => {}), RangeError);
    const fired: number[] = [];
    t.reactor.setTimer(5, () => fired.push(1));
    await waitUntil(() => fired.length === 1, 2000, "the first timer after the refused one");
    t.reactor.setTimer(5, () => fired.push(2));
    await waitUntil(() => fired.length === 2, 2000, "the second timer");
    assertEquals(t.errors, [], "the queue threw from the loop");
  },
  { variants: PARK_VARIANTS, group: "timers" },
);

// Regression: a callback that was not a function was accepted, and threw from
// the loop when it came due.
reactorTest("setTimer refuses a callback that is not a function", (t) => {
  for (const bad of [null, undefined, "console.log('hi')", {}]) {
    assertThrows(() => t.reactor.setTimer(1, bad as unknown as () => void), TypeError, "function");
  }
  assertEquals(t.reactor.stats.parks + t.reactor.stats.drains, 0, "a refused timer started the loop");
}, { variants: VARIANTS.slice(0, 1), group: "timers" });

// Regression: clearTimer accepted any object. Another reactor's timer was
// marked done there but counted here (that reactor never went idle: the
// process never exited); a look-alike lowered this reactor's count, so a
// live timer never fired.
reactorTest(
  "clearTimer refuses another reactor's timer, look-alikes and null; no timer is lost",
  async (t) => {
    const other = makeReactor(t.variant, t.errors);
    try {
      const fired: string[] = [];
      const own = t.reactor.setTimer(20, () => fired.push("own"));
      const foreign = other.setTimer(20, () => fired.push("foreign"));
      assertThrows(() => t.reactor.clearTimer(foreign), TypeError, "another reactor");
      assertThrows(() => other.clearTimer(own), TypeError, "another reactor");
      const lookAlikes = [
        { deadline: own.deadline, done: false },
        Object.create(Timer.prototype),
        null,
        undefined,
        7,
      ];
      for (const fake of lookAlikes) {
        assertThrows(() => t.reactor.clearTimer(fake as Timer), TypeError, "setTimer()", String(fake));
      }
      assertFalse(own.done);
      assertFalse(foreign.done);
      await waitUntil(() => fired.length === 2, 2000, "both timers");
      assertEquals(fired.sort(), ["foreign", "own"]);
    } finally {
      await other.close();
    }
  },
  { group: "timers" },
);

reactorTest("clearTimer on a reactor that never set a timer refuses a foreign one", async (t) => {
  const other = makeReactor(t.variant, t.errors);
  try {
    const foreign = other.setTimer(5, () => {});
    assertThrows(() => t.reactor.clearTimer(foreign), TypeError, "another reactor");
    assertThrows(() => t.reactor.clearTimer({ deadline: 0, done: false } as unknown as Timer), TypeError);
    await waitUntil(() => foreign.done, 2000, "the other reactor's timer");
  } finally {
    await other.close();
  }
}, { variants: PARK_VARIANTS, group: "timers" });

Deno.test("timers: a Timer cannot be made with new", () => {
  const Forge = Timer as unknown as new (...args: unknown[]) => Timer;
  assertThrows(() => new Forge(null, 0, 0, () => {}), TypeError, "setTimer()");
});

// A callback that adds and clears timers while the queue is firing: the
// cancelled ones never run, the added one runs in a later round, and the
// count comes back to 0 (the loop goes idle). The old queue did this too:
// kept as a guard.
reactorTest("callbacks that add and clear timers during fire() keep the queue consistent", async (t) => {
  const fired: string[] = [];
  const timers: Timer[] = [];
  timers.push(t.reactor.setTimer(5, () => {
    fired.push("a");
    t.reactor.clearTimer(timers[0]); // itself, firing: harmless
    t.reactor.clearTimer(timers[1]); // due in this same round, after a
    t.reactor.clearTimer(timers[2]);
    t.reactor.setTimer(0, () => fired.push("added"));
  }));
  timers.push(t.reactor.setTimer(5, () => fired.push("b")));
  timers.push(t.reactor.setTimer(60_000, () => fired.push("far")));
  await waitUntil(() => fired.length >= 2, 2000, "a and the timer it added");
  await sleep(20);
  assertEquals(fired, ["a", "added"]);
  assert(timers.every((timer) => timer.done));
  const parks = t.reactor.stats.parks;
  await sleep(30);
  assertEquals(t.reactor.stats.parks, parks, "the loop kept running: a timer is still counted");
}, { variants: PARK_VARIANTS, group: "timers" });

// Regression: an onError that threw escaped fire() before it rearmed: the
// due timers left in the heap never fired, and the loop died with an
// unhandled rejection.
Deno.test("timers: an onError that throws goes to reportError; the other timers still fire", async () => {
  const reported: unknown[] = [];
  const onGlobalError = (e: ErrorEvent): void => {
    e.preventDefault();
    reported.push(e.error);
  };
  globalThis.addEventListener("error", onGlobalError);
  const reactor = new Reactor({
    onError: (err) => {
      throw new Error(`onError failed on ${(err as Error).message}`);
    },
  });
  try {
    const fired: string[] = [];
    reactor.setTimer(5, () => {
      throw new Error("first");
    });
    reactor.setTimer(5, () => fired.push("same round"));
    reactor.setTimer(30, () => fired.push("later"));
    await waitUntil(() => fired.length === 2, 2000, "the other timers");
    assertEquals(fired, ["same round", "later"]);
    assertEquals(reported.map((e) => (e as Error).message), ["onError failed on first"]);
  } finally {
    await reactor.close();
    globalThis.removeEventListener("error", onGlobalError);
  }
});

// Regression: add() accepted any delay and inserted before arming; a second
// close() closed the timerfd's number again, whatever it named by then.
Deno.test("timers: a TimerQueue validates before it changes, refuses use after close, and closes once", () => {
  const queue = new TimerQueue();
  assertThrows(() => queue.add(2 ** 31, () => {}), RangeError);
  assertThrows(() => queue.add(1, null as unknown as () => void), TypeError);
  assertEquals(queue.size, 0);
  const timer = queue.add(1000, () => {});
  assertEquals(queue.size, 1);
  queue.cancel(timer);
  queue.cancel(timer);
  assertEquals(queue.size, 0);
  queue.close();
  const reused = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); // most likely the timerfd's old number
  try {
    queue.close();
    assertEquals(fcntl(reused, F_GETFL) & O_NONBLOCK, O_NONBLOCK, "a second close() closed another fd");
    assertThrows(() => queue.add(1, () => {}), Deno.errors.BadResource);
    queue.cancel(timer); // still harmless
  } finally {
    close(reused);
  }
});
