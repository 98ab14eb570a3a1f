/**
 * Reactor timers (`setTimer` / `clearTimer`, a heap behind one timerfd), for
 * both poll-worker strategies: order (equal deadlines in insertion order),
 * cancellation, 0 ms without spinning, errors to onError, a timer added while
 * the loop is parked, and a 1,000-timer heap check. Process exit with timers
 * is in `reactor_exit_test.ts`.
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
import type { Timer } from "../reactor/mod.ts";
import {
  assertFalse,
  makeEventfd,
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

reactorTest("setTimer rejects NaN, negative and infinite delays", (t) => {
  for (const bad of [NaN, -1, -0.001, Infinity]) {
    assertThrows(() => t.reactor.setTimer(bad, () => {}), RangeError, undefined, `delay ${bad}`);
  }
}, { variants: VARIANTS.slice(0, 1), group: "timers" });
