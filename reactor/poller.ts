/**
 * {@linkcode Poller}: `epoll_wait(epfd, events, max, -1)` as a promise that
 * never blocks the JS event loop for long. Its policy, cheapest step first:
 *
 * 1. **Drain**: a sync `epoll_wait(…, 0)` on the main thread (~1 µs). Under
 *    load every call finds events and no thread is involved (libuv's
 *    repeated zero-timeout polls). At least every `yieldIntervalMs` (1 ms)
 *    it first yields a macrotask (`setImmediate`), so timers, Deno's own I/O
 *    and other promises still run.
 * 2. **Settle**: when a drain finds nothing, a few microtask turns let the
 *    continuations of the last batch run (the reply a handler is about to
 *    write, a new registration) before anything sleeps. Not a macrotask: that
 *    is a trip through Deno's event loop, which polls its own epoll set.
 * 3. **Bounded sleep**: `epoll_pwait2` with a `busyWaitMicros` timeout
 *    (default 100 µs) on the main thread; it returns at once if anything is
 *    ready. This is the "short bounded spin" of busy servers, done as a
 *    kernel sleep: the same latency, no CPU burnt spinning. It delays other
 *    JS work by at most that long, once per idle transition.
 * 4. **Park**: the blocking wait on the poll worker (see `park.ts`), a thread
 *    hop of ~20–40 µs per wake. An idle poller sits here and uses no CPU.
 *
 * Measured here (1-byte ping-pong with a C echo peer on the same core): park
 * only, 18 µs p50 and 14 µs CPU per round trip; with the bounded sleep, 12 µs
 * and 10 µs, falling back to a park fewer than once in 5,000. Across cores a
 * sleeping thread's wake-up dominates (~35 µs here, for C too), and the
 * sleep's timeout costs a timer: a C server given the same `epoll_pwait2`
 * timeout spent ~7–11 µs more system time per message than with
 * `epoll_wait(-1)` on this VM.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  checkFd,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  epoll_pwait2,
  epoll_wait,
  EPOLLIN,
  EventBuffer,
} from "../ffi/mod.ts";
import type { Epoll } from "../epoll/epoll.ts";
import { createParker, type Parker, type ParkStrategy } from "./park.ts";
import { Waker } from "./waker.ts";

const SETTLE_TURNS = 8;
// Covers most loopback round trips here (p50 ≈ 50 µs, 1 connection), so a
// busy connection is served by the sleep, not by a park (see the module doc).
const DEFAULT_BUSY_WAIT_MICROS = 100;

/** The `data` of the waker's registration; user registrations must not use it. */
export const WAKER_DATA: number = Number.MAX_SAFE_INTEGER;

/** Options for {@linkcode Poller}. */
export interface PollerOptions {
  /** Poll-worker strategy for the blocking wait (default `"nonblocking"`). */
  strategy?: ParkStrategy;
  /** Longest bounded kernel sleep on the main thread before parking, in µs (default 100; 0 disables). */
  busyWaitMicros?: number;
  /** Most events per wait (default 256). */
  maxEvents?: number;
  /** Under continuous load, yield a macrotask at least this often, in ms (default 1). */
  yieldIntervalMs?: number;
}

/** Counters of which policy step delivered each wait, for benchmarks and tests. */
export interface PollerStats {
  /** Waits served by a drain, without sleeping. */
  drains: number;
  /** Waits served during the bounded sleep. */
  busyWaits: number;
  /** Parks on the poll worker. */
  parks: number;
  /** Macrotask yields. */
  yields: number;
}

/** Resolves on the next macrotask: after every pending microtask, and letting timers and I/O run. */
export function yieldMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Async `epoll_wait` on an {@linkcode Epoll}, with the drain / yield /
 * bounded sleep / park policy of the module doc.
 *
 * ```ts
 * import { Epoll, Poller, EPOLLIN } from "@libc/epoll";
 * import { eventfd, eventfd_write, close } from "@libc/epoll/ffi";
 *
 * using ep = new Epoll();
 * await using poller = new Poller(ep);
 * const efd = eventfd();
 * ep.register(efd, EPOLLIN);
 * setTimeout(() => eventfd_write(efd, 1), 10);
 * const events = await poller.wait(); // the JS event loop keeps running meanwhile
 * console.log(events.length, events.data(0) === efd);
 * close(efd);
 * ```
 */
export class Poller implements AsyncDisposable {
  /** The eventfd that interrupts a wait; `eventfd_write(waker.fd, 1)` works from any thread. */
  readonly waker: Waker;
  /** How the waits were served so far. */
  readonly stats: PollerStats = { drains: 0, busyWaits: 0, parks: 0, yields: 0 };
  readonly #epoll: Epoll | null;
  readonly #epfd: number;
  readonly #events: EventBuffer;
  readonly #parker: Parker;
  readonly #busyNs: number;
  readonly #yieldMs: number;
  #lastYield = performance.now();
  #inWait = false;
  #waiting: Promise<EventBuffer> | null = null; // the last wait, for close() to await
  #closed = false;

  /**
   * A poller on `epoll` (an {@linkcode Epoll} or a raw epoll fd from
   * `epoll_create1`); registers its waker there (data {@linkcode WAKER_DATA}).
   * Close the poller before the epoll fd.
   */
  constructor(epoll: Epoll | number, options: PollerOptions = {}) {
    const busy = options.busyWaitMicros ?? DEFAULT_BUSY_WAIT_MICROS;
    if (!Number.isInteger(busy) || busy < 0 || busy > 1_000_000) {
      throw new RangeError(`busyWaitMicros must be an integer in [0, 1000000], got ${busy}`);
    }
    this.#epoll = typeof epoll === "number" ? null : epoll;
    this.#epfd = typeof epoll === "number" ? epoll : epoll.fd;
    checkFd(this.#epfd, "epfd");
    this.#busyNs = busy * 1000;
    this.#yieldMs = options.yieldIntervalMs ?? 1;
    if (!(this.#yieldMs >= 0) || !Number.isFinite(this.#yieldMs)) {
      throw new RangeError(`yieldIntervalMs must be a finite number ≥ 0, got ${this.#yieldMs}`);
    }
    this.#events = new EventBuffer(options.maxEvents ?? 256);
    this.#parker = createParker(options.strategy ?? "nonblocking", this.#epfd, this.#events.capacity);
    this.waker = new Waker(); // the first fd made: everything above only validates
    try {
      epoll_ctl(this.#epfd, EPOLL_CTL_ADD, this.waker.fd, EPOLLIN, WAKER_DATA);
    } catch (err) {
      this.waker.close();
      throw err;
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves with the ready events (valid until the next `wait`). An empty
   * result means the poller was woken (`wake()`, `close()`) with nothing
   * else ready. One wait at a time.
   */
  wait(): Promise<EventBuffer> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("the poller is closed"));
    if (this.#inWait) throw new Error("Poller.wait() is already in progress");
    this.#inWait = true; // cleared by #wait itself: no extra promise per wait on the hot path
    return this.#waiting = this.#wait();
  }

  async #wait(): Promise<EventBuffer> {
    try {
      if (performance.now() - this.#lastYield >= this.#yieldMs) await this.#yield();
      if (this.#drain() > 0) return this.#deliver(this.#events, "drains");
      await this.#settle();
      for (;;) {
        if (this.#closed) return this.#empty();
        // The bounded sleep returns at once if anything is ready: it is also the drain.
        if (this.#busyNs > 0 ? this.#sleep() > 0 : this.#drain() > 0) {
          return this.#deliver(this.#events, this.#busyNs > 0 ? "busyWaits" : "drains");
        }
        this.stats.parks++;
        const parked = await this.#parker.park();
        if (parked.length > 0) return this.#deliver(parked, "parks");
        // The worker strategy consumes nothing: the events are in the set.
        if (this.#drain() > 0) return this.#deliver(this.#events, "parks");
      }
    } finally {
      this.#inWait = false;
    }
  }

  #drain(): number {
    return epoll_wait(this.#epfd, this.#events, this.#events.capacity, 0);
  }

  #sleep(): number {
    return epoll_pwait2(this.#epfd, this.#events, this.#events.capacity, this.#busyNs);
  }

  // Lets continuations resolved by the last batch run (a reply about to be
  // written, a new registration) before this thread sleeps. Microtask turns
  // (~50 ns each), not a macrotask: that is a trip through Deno's event loop,
  // which polls its own epoll set. Deeper chains still run, at worst after
  // the bounded sleep; fairness to timers and I/O is the periodic yield's job.
  async #settle(): Promise<void> {
    for (let i = 0; i < SETTLE_TURNS; i++) await null;
  }

  async #yield(): Promise<void> {
    this.stats.yields++;
    await yieldMacrotask();
    this.#lastYield = performance.now();
  }

  // Takes the waker's event out of the batch (resetting the eventfd) so
  // callers see only their own fds.
  #deliver(events: EventBuffer, step: "drains" | "busyWaits" | "parks"): EventBuffer {
    if (step !== "parks") this.stats[step]++; // parks are counted when they start
    for (let i = events.length - 1; i >= 0; i--) {
      if (events.data(i) !== WAKER_DATA) continue;
      this.waker.drain();
      events.copyEntry(events.length - 1, i);
      events.length--;
    }
    return events;
  }

  #empty(): EventBuffer {
    this.#events.length = 0;
    return this.#events;
  }

  /** Interrupts a pending or next wait, which then resolves (possibly with no events). */
  wake(): void {
    this.waker.wake();
  }

  /** Lets a parked wait keep the process alive (the default). */
  ref(): void {
    this.#parker.ref();
  }

  /** Lets the process exit while parked (nonblocking strategy; see `park.ts`). */
  unref(): void {
    this.#parker.unref();
  }

  /** Stops the poll worker until the next wait; the reactor calls this when it goes idle. */
  async idle(): Promise<void> {
    if (this.#inWait) throw new Error("Poller.idle() during a wait");
    await this.#stopParker();
  }

  // A parker stops once its wait returns, so make the set ready first.
  async #stopParker(): Promise<void> {
    this.waker.wake();
    await this.#parker.close();
    this.waker.drain();
  }

  /**
   * Wakes and ends a pending wait (it resolves with what is ready), stops the
   * poll worker, and closes the waker. The Epoll stays open. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.waker.wake();
    await this.#waiting?.catch(() => {});
    await this.#stopParker();
    if (this.#epoll?.closed !== true) {
      try {
        epoll_ctl(this.#epfd, EPOLL_CTL_DEL, this.waker.fd);
      } catch { /* the epoll fd was closed first: the waker left with it */ }
    }
    this.waker.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
