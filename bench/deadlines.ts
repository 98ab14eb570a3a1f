/**
 * deadlines.ts: what a connection deadline costs at 10^3, 10^5 and 10^6 live
 * deadlines (issue: "timers built for a million deadlines").
 *
 * For each size N it keeps N live `ConnTimers` (the per-conn deadline and
 * idle state of `net/`) in one `TimerWheel`, then measures:
 * - reset: the idle clock restarted (`touch()`, what every read and write
 *   does) and a read deadline moved later (`setDeadline`), ns per call;
 * - the same reset done the naive way, cancelling and re-adding a timer in
 *   the reactor's binary heap (`TimerQueue`), for comparison;
 * - memory: V8 heap growth per live deadline (after a full GC).
 * No timer fires during the run (deadlines are an hour out), and the heap
 * queue's timerfd is armed once; nothing here waits.
 *
 *   deno task bench:deadlines [--quick]     # writes bench/results/deadlines.json; --quick: 10^3 only
 *
 * @module
 */

import { ConnTimers } from "../net/deadlines.ts";
import { TimerWheel } from "../reactor/wheel.ts";
import { TimerQueue } from "../reactor/timers.ts";
import { machineLine, writeResults } from "./lib/report.ts";

const SIZES = Deno.args.includes("--quick") ? [1_000] : [1_000, 100_000, 1_000_000];
const RESETS = 2_000_000;
const HOUR = 3_600_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc (deno task bench:deadlines does)");

function heap(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

function nsPer(calls: number, fn: () => void): number {
  const start = performance.now();
  fn();
  return ((performance.now() - start) * 1e6) / calls;
}

/** One size's results. */
type Row = Record<
  "live" | "touchNs" | "moveDeadlineNs" | "heapCancelAddNs" | "bytesPerDeadline" | "heapBytesPerTimer",
  number
>;

function measure(n: number): Row {
  const before = heap();
  // A wheel whose timer never fires: the run measures add/move/cancel only.
  const wheel = new TimerWheel({ schedule: () => () => {}, reportError: (err) => console.error(err) });
  const conns: ConnTimers[] = [];
  for (let i = 0; i < n; i++) {
    const t = new ConnTimers(() => {}, wheel);
    t.setIdle(HOUR);
    conns.push(t);
  }
  const bytesPerDeadline = (heap() - before) / n;

  // Which conn each reset goes to: an LCG spreads them over the whole set, as traffic would.
  let x = 12345;
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  const touchNs = nsPer(RESETS, () => {
    for (let i = 0; i < RESETS; i++) conns[next()].touch();
  });
  const base = performance.now() + HOUR;
  const moveDeadlineNs = nsPer(RESETS, () => {
    for (let i = 0; i < RESETS; i++) conns[next()].setDeadline("read", base + i);
  });
  for (const t of conns) t.stop();

  // The naive way: a heap timer per conn, cancelled and re-added on each reset.
  const heapBefore = heap();
  const queue = new TimerQueue();
  const timers = Array.from({ length: n }, () => queue.add(HOUR, () => {}));
  const heapBytesPerTimer = (heap() - heapBefore) / n;
  const resets = Math.min(RESETS, 500_000);
  const callback = (): void => {};
  const heapCancelAddNs = nsPer(resets, () => {
    for (let i = 0; i < resets; i++) {
      const k = next();
      queue.cancel(timers[k]);
      timers[k] = queue.add(HOUR, callback);
    }
  });
  queue.close();
  wheel.close();
  return { live: n, touchNs, moveDeadlineNs, heapCancelAddNs, bytesPerDeadline, heapBytesPerTimer };
}

if (import.meta.main) {
  const machine = await machineLine();
  console.log(`deadlines at scale: ${machine}`);
  const rows = SIZES.map((n) => {
    const r = measure(n), f = (v: number, digits = 0): string => v.toFixed(digits);
    console.log(
      `${String(n).padStart(9)} live: touch ${f(r.touchNs, 1)} ns, ` +
        `move deadline ${f(r.moveDeadlineNs, 1)} ns, heap cancel+add ${f(r.heapCancelAddNs)} ns; ` +
        `${f(r.bytesPerDeadline)} B per conn's timers, ${f(r.heapBytesPerTimer)} B per heap timer`,
    );
    return r;
  });
  console.log(await writeResults("deadlines", { machine, date: new Date().toISOString(), rows }));
}
