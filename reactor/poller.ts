/**
 * {@linkcode Poller}: `epoll_wait(epfd, events, max, -1)` as a promise that
 * never holds the JS event loop for long. Its policy, cheapest step first:
 *
 * 1. **Drain**: while the last batch had more than one event (load), a sync
 *    `epoll_wait(…, 0)` first; it usually finds the next batch at once.
 * 2. **Settle**: otherwise a few microtask turns (`settleTurns`) let the
 *    continuations of the last batch run (the reply a handler is about to
 *    write) before the thread waits. Not a macrotask: that is a trip through
 *    Deno's event loop. A caller whose handlers are synchronous has nothing
 *    to settle and passes `settleTurns: 0`.
 * 3. **Hot wait**: a plain `epoll_wait(…, -1)` on the main thread, the call a
 *    C server makes: it returns at once if anything is ready, and otherwise
 *    sleeps in the kernel until an fd is. What bounds it is the **tick**
 *    (`tick.ts`), a periodic timerfd in the set, armed once when the loop goes
 *    hot, every `yieldIntervalMs` (1 ms at most). A wait the tick ends yields
 *    a macrotask, so timers and Deno's own I/O run at least that often. No
 *    timer is armed per wait: a timeout on every wait (`epoll_pwait2`) arms
 *    and cancels an hrtimer each time, which cost a C echo server on this VM
 *    8–17 µs of system time per message; the tick costs one expiry and one
 *    `read` per period.
 * 4. **Park**: after `busyWaitMicros` with nothing but ticks (whole tick
 *    periods, at least one), the tick is disarmed and the wait moves to the
 *    poll worker (`park.ts`): a thread hop per wake, and no CPU while idle.
 *    The next event makes the loop hot again.
 *
 * Under continuous load, at least every `yieldIntervalMs` a wait first
 * yields a macrotask (`setImmediate`). `busyWaitMicros: 0` turns the hot
 * wait off: a zero-timeout drain, then a park.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  checkFd,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  epoll_wait,
  EPOLLET,
  EPOLLIN,
  EventBuffer,
} from "../ffi/mod.ts";
import { checkInt, describe } from "../ffi/checks.ts";
import { Epoll } from "../epoll/epoll.ts";
import { createParker, type Parker, type ParkStrategy } from "./park.ts";
import { Tick } from "./tick.ts";
import { Waker } from "./waker.ts";

// The net layer's read → write chain (`await conn.read()`, then
// `conn.writeAll()`) reaches its send() within 7 turns; twice that covers it.
const DEFAULT_SETTLE_TURNS = 16;
const MAX_SETTLE_TURNS = 1024;
const DEFAULT_BUSY_WAIT_MICROS = 1000;
const MAX_TICK_MS = 1;
const SETTLED: Promise<void> = Promise.resolve();

/** The `data` of the waker's registration; user registrations must not use it. */
export const WAKER_DATA: number = Number.MAX_SAFE_INTEGER;
/** The `data` of the tick's registration; user registrations must not use it. */
export const TICK_DATA: number = Number.MAX_SAFE_INTEGER - 1;

/**
 * Options for {@linkcode Poller} (and {@linkcode Reactor}, which passes them on).
 *
 * ```ts
 * import { Epoll, Poller, type PollerOptions } from "@libc/epoll";
 *
 * // park at once when idle; handlers are synchronous, so no microtask turns before blocking
 * const options: PollerOptions = { busyWaitMicros: 0, maxEvents: 64, settleTurns: 0, yieldIntervalMs: 1 };
 * using ep = new Epoll();
 * await using poller = new Poller(ep, options);
 * poller.wake();
 * console.log((await poller.wait()).length); // 0: woken, nothing ready
 * ```
 */
export interface PollerOptions {
  /** Poll-worker strategy for the blocking wait (default `"nonblocking"`). */
  strategy?: ParkStrategy;
  /**
   * How long the main thread keeps waiting in the kernel with nothing
   * arriving before it parks on the poll worker, in µs, rounded up to whole
   * tick periods (default 1000; 0: never wait on the main thread).
   */
  busyWaitMicros?: number;
  /** Most events per wait (default 256). */
  maxEvents?: number;
  /**
   * Microtask turns the continuations of the last batch get before the main
   * thread blocks in the kernel (default 16; 0..1024): the net layer's
   * `read()` → `writeAll()` chain reaches its `send()` within 7. A chain
   * deeper than this still runs, after the tick ends the wait (≤ 1 ms). Pass
   * 0 only when the code that handles a batch is synchronous, as
   * examples/echo.ts's is: the turns then cost ~1 µs a wait for nothing.
   * Under promise-based code (the net layer's conns) 0 makes a reply wait
   * for the tick: an echo round trip measured 2 ms instead of tens of µs.
   */
  settleTurns?: number;
  /**
   * The JS event loop gets a macrotask at least this often, in ms (default
   * 1): under load by a yield, while waiting by the tick (whose period is
   * this, at most 1 ms). 0 yields before every wait and never waits on the
   * main thread.
   */
  yieldIntervalMs?: number;
}

/**
 * Counters of how the waits were served, for benchmarks and tests
 * (`poller.stats`, `reactor.stats`: a snapshot each time).
 *
 * ```ts
 * import { Epoll, Poller, type PollerStats } from "@libc/epoll";
 *
 * using ep = new Epoll();
 * await using poller = new Poller(ep);
 * poller.wake();
 * await poller.wait();
 * const stats: PollerStats = poller.stats;
 * console.log(stats.waits); // 1
 * ```
 */
export interface PollerStats {
  /** Waits served by a zero-timeout `epoll_wait` (busy wait off). */
  drains: number;
  /** Waits served by the main-thread `epoll_wait(…, -1)` that the tick bounds. */
  busyWaits: number;
  /** Parks on the poll worker. */
  parks: number;
  /** Macrotask yields. */
  yields: number;
  /** `wait()` calls resolved; `events / waits` is the mean batch size. */
  waits: number;
  /** Events delivered (the poller's own fds not counted). */
  events: number;
  /** Tick expiries seen; each one ended a main-thread wait or rode along in a batch. */
  ticks: number;
  /** Times the tick was armed: the loop went hot after a park (or at its first wait). */
  arms: number;
  /** Waker events seen (`wake()`, `close()`, or another thread's write). */
  wakeups: number;
  /** Syscalls the poller made itself: waits, drains, parks, tick and waker calls. */
  syscalls: number;
}

/** Resolves on the next macrotask: after every pending microtask, and letting timers and I/O run. */
export function yieldMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Async `epoll_wait` on an {@linkcode Epoll}, with the settle / hot wait /
 * park policy of the module doc.
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
  readonly #waker: Waker;
  readonly #stats: PollerStats = {
    drains: 0,
    busyWaits: 0,
    parks: 0,
    yields: 0,
    waits: 0,
    events: 0,
    ticks: 0,
    arms: 0,
    wakeups: 0,
    syscalls: 0,
  };
  readonly #epoll: Epoll | null;
  readonly #epfd: number;
  readonly #events: EventBuffer;
  readonly #parker: Parker;
  readonly #tick: Tick | null; // null: no main-thread waits
  readonly #quietTicks: number; // whole tick periods with nothing before a park
  readonly #yieldMs: number;
  readonly #settleTurns: number;
  #quiet = 0; // tick periods seen with nothing; -1 right after events (the current period is partial)
  #lastBatch = 0;
  #lastYield = performance.now();
  #inWait = false;
  #waiting: Promise<EventBuffer> | null = null; // the last wait, for close() to await
  #closed = false;

  /**
   * A poller on `epoll` (an {@linkcode Epoll} or a raw epoll fd from
   * `epoll_create1`); registers its waker (data {@linkcode WAKER_DATA}) and
   * its tick ({@linkcode TICK_DATA}) there. Close the poller before the epoll fd.
   */
  constructor(epoll: Epoll | number, options: PollerOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Poller options must be an object, got ${describe(options)}`);
    }
    const busy = checkInt(options.busyWaitMicros ?? DEFAULT_BUSY_WAIT_MICROS, "busyWaitMicros", 0, 1_000_000);
    this.#settleTurns = checkInt(
      options.settleTurns ?? DEFAULT_SETTLE_TURNS,
      "settleTurns",
      0,
      MAX_SETTLE_TURNS,
    );
    if (typeof epoll !== "number" && !(epoll instanceof Epoll)) {
      throw new TypeError(`a Poller needs an Epoll or an epoll fd, got ${describe(epoll)}`);
    }
    this.#epoll = typeof epoll === "number" ? null : epoll;
    this.#epfd = checkFd(typeof epoll === "number" ? epoll : epoll.fd, "epfd");
    this.#yieldMs = options.yieldIntervalMs ?? 1;
    if (typeof this.#yieldMs !== "number" || !(this.#yieldMs >= 0) || !Number.isFinite(this.#yieldMs)) {
      throw new RangeError(`yieldIntervalMs must be a finite number ≥ 0, got ${describe(this.#yieldMs)}`);
    }
    this.#events = new EventBuffer(options.maxEvents ?? 256);
    this.#parker = createParker(options.strategy ?? "nonblocking", this.#epfd, this.#events.capacity);
    const periodMs = Math.min(this.#yieldMs, MAX_TICK_MS);
    this.#quietTicks = Math.max(1, Math.ceil(busy / 1000 / periodMs));
    // The first fds made: everything above only validates.
    this.#waker = new Waker();
    let tick: Tick | null = null;
    try {
      epoll_ctl(this.#epfd, EPOLL_CTL_ADD, this.#waker.fd, EPOLLIN, WAKER_DATA);
      if (busy > 0 && periodMs > 0) {
        tick = new Tick(periodMs);
        epoll_ctl(this.#epfd, EPOLL_CTL_ADD, tick.fd, EPOLLIN | EPOLLET, TICK_DATA);
      }
    } catch (err) {
      tick?.close();
      this.#waker.close();
      throw err;
    }
    this.#tick = tick;
  }

  /**
   * The waker's eventfd: `eventfd_write(fd, 1)` from any thread (a Worker,
   * a signal handler in C) interrupts a wait, as `wake()` does.
   */
  get wakerFd(): number {
    return this.#waker.fd;
  }

  /** How the waits were served so far: a snapshot (a new object each time). */
  get stats(): PollerStats {
    return { ...this.#stats };
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
    if (this.#inWait) throw new Deno.errors.Busy("Poller.wait() is already in progress: one wait at a time");
    this.#inWait = true; // cleared by #wait itself: no extra promise per wait on the hot path
    return this.#waiting = this.#wait();
  }

  async #wait(): Promise<EventBuffer> {
    try {
      if (performance.now() - this.#lastYield >= this.#yieldMs) await this.#yield();
      // Under load (the last batch had more than one event) the next is most
      // likely ready already: take it without settling first.
      if (this.#lastBatch > 1 && this.#drain()) return this.#deliver(this.#events, "drains");
      if (this.#settleTurns > 0) await this.#settle();
      let hot = this.#tick !== null;
      for (;;) {
        if (this.#closed) return this.#empty();
        if (hot) {
          if (this.#hotWait()) return this.#deliver(this.#events, "busyWaits");
          if (++this.#quiet < this.#quietTicks) {
            await this.#yield(); // the tick ended the wait: let the JS event loop run
            continue;
          }
          this.#disarm();
          hot = false;
        } else if (this.#drain()) {
          return this.#deliver(this.#events, "drains");
        }
        const parked = await this.#park();
        if (parked !== null) return this.#deliver(parked, "parks");
      }
    } finally {
      this.#inWait = false;
    }
  }

  // True when the wait ended with something for the caller (events, or a wake).
  #hotWait(): boolean {
    const tick = this.#tick!;
    if (tick.arm()) {
      this.#stats.arms++;
      this.#stats.syscalls++;
      this.#quiet = 0; // the first expiry is a whole period away
    }
    this.#stats.syscalls++;
    epoll_wait(this.#epfd, this.#events, this.#events.capacity, -1);
    return this.#strip(this.#events);
  }

  #drain(): boolean {
    this.#stats.syscalls++;
    epoll_wait(this.#epfd, this.#events, this.#events.capacity, 0);
    return this.#strip(this.#events);
  }

  // The events of one park, or null when it brought nothing for the caller.
  async #park(): Promise<EventBuffer | null> {
    this.#stats.parks++;
    this.#stats.syscalls += this.#parker.syscallsPerPark;
    const parked = await this.#parker.park();
    if (parked.length > 0) return this.#strip(parked) ? parked : null;
    // The worker strategy consumes nothing: the events are in the set.
    return this.#drain() ? this.#events : null;
  }

  #disarm(): void {
    if (this.#tick?.disarm()) this.#stats.syscalls++;
  }

  // Lets continuations resolved by the last batch run (a reply about to be
  // written, a new registration) before this thread waits. Microtask turns
  // (~35 ns each), not a macrotask: that is a trip through Deno's event
  // loop. Deeper chains still run, at worst after the tick. `await SETTLED`
  // (a resolved native promise) takes the same one turn as `await null`
  // without a new promise per turn: 0.37 against 0.55 µs for the 16 (0.6–0.7
  // µs measured again on 2026-12-07; a queueMicrotask or .then() chain costs
  // the same per turn).
  async #settle(): Promise<void> {
    for (let i = 0; i < this.#settleTurns; i++) await SETTLED;
  }

  async #yield(): Promise<void> {
    this.#stats.yields++;
    await yieldMacrotask();
    this.#lastYield = performance.now();
  }

  // Takes the waker's and the tick's entries out of the batch (resetting the
  // waker) so callers see only their own fds. True if anything is left for
  // the caller: events, or a wake (which resolves the wait with none).
  #strip(events: EventBuffer): boolean {
    let woken = false;
    for (let i = events.length - 1; i >= 0; i--) {
      const data = events.data(i);
      if (data === WAKER_DATA) {
        woken = true;
        this.#stats.wakeups++;
        this.#stats.syscalls++;
        this.#waker.drain();
      } else if (data === TICK_DATA) {
        this.#stats.ticks++;
        if (this.#tick?.read()) this.#stats.syscalls++; // starts the next period
      } else continue;
      events.copyEntry(events.length - 1, i);
      events.length--;
    }
    return woken || events.length > 0;
  }

  #deliver(events: EventBuffer, step: "drains" | "busyWaits" | "parks"): EventBuffer {
    if (step !== "parks") this.#stats[step]++; // parks are counted when they start
    this.#stats.waits++;
    this.#stats.events += events.length;
    this.#lastBatch = events.length;
    if (events.length > 0) this.#quiet = -1;
    return events;
  }

  #empty(): EventBuffer {
    this.#events.length = 0;
    return this.#events;
  }

  /** Interrupts a pending or next wait, which then resolves (possibly with no events). */
  wake(): void {
    this.#stats.syscalls++;
    this.#waker.wake();
  }

  /** Lets a parked wait keep the process alive (the default). */
  ref(): void {
    this.#parker.ref();
  }

  /** Lets the process exit while parked (nonblocking strategy; see `park.ts`). */
  unref(): void {
    this.#parker.unref();
  }

  /** Stops the tick and the poll worker until the next wait; the reactor calls this when it goes idle. */
  async idle(): Promise<void> {
    if (this.#inWait) {
      throw new Deno.errors.Busy("Poller.idle() during a wait: idle() is for a poller nobody waits on");
    }
    this.#disarm();
    await this.#stopParker();
  }

  // A parker stops once its wait returns, so make the set ready first.
  async #stopParker(): Promise<void> {
    this.#waker.wake();
    await this.#parker.close();
    this.#waker.drain();
  }

  /**
   * Wakes and ends a pending wait (it resolves with what is ready), stops the
   * poll worker, and closes the waker and the tick. The Epoll stays open.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waker.wake();
    await this.#waiting?.catch(() => {});
    await this.#stopParker();
    for (const fd of this.#tick === null ? [this.#waker.fd] : [this.#waker.fd, this.#tick.fd]) {
      if (this.#epoll?.closed === true) break;
      try {
        epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd);
      } catch { /* the epoll fd was closed first: the fd left with it */ }
    }
    this.#tick?.close();
    this.#waker.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
