/**
 * {@linkcode TimerQueue}: deadlines for the layers above (connection
 * timeouts, heartbeats, idle limits) as a binary min-heap behind one timerfd
 * in the reactor's epoll set. Only the earliest deadline arms the timerfd;
 * cancelled timers stay in the heap until they surface (lazy deletion), so
 * resetting an idle timeout costs O(log n) and no syscall unless the new
 * deadline is the earliest.
 *
 * Delays are rounded up to the timerfd's resolution and never armed as 0
 * (which would disarm it, or spin): a due timer is armed 1 µs out.
 *
 * @module
 */

import {
  CLOCK_MONOTONIC,
  close,
  read,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  timerfd_create,
  timerfd_settime,
} from "../ffi/mod.ts";

/**
 * The longest delay `setTimer` / `TimerQueue.add` accept: 2^31 - 1 ms
 * (about 24.8 days), the range of `setTimeout`. Chain timers for longer.
 *
 * ```ts
 * import { MAX_TIMER_DELAY_MS, Reactor } from "@libc/epoll";
 *
 * const reactor = new Reactor();
 * try {
 *   reactor.setTimer(MAX_TIMER_DELAY_MS + 1, () => {});
 * } catch (err) {
 *   console.log(err instanceof RangeError); // true: refused before anything was scheduled
 * }
 * await reactor.close();
 * ```
 */
export const MAX_TIMER_DELAY_MS: number = 2 ** 31 - 1;

const MIN_ARM_MS = 0.001;

// How the queue reaches a Timer's private state; set by Timer's static block.
// Nothing outside this module can reach it, so a Timer cannot be forged.
let create: (queue: TimerQueue, deadline: number, seq: number, callback: () => void) => Timer;
let queueOf: (value: unknown) => TimerQueue | null;
let seqOf: (timer: Timer) => number;
let take: (timer: Timer) => (() => void) | null;
let making = false; // only `create` may construct (the constructor is private in TypeScript only)

/**
 * A scheduled callback, made by `Reactor.setTimer` (or `TimerQueue.add`);
 * pass it back to `clearTimer` (or `TimerQueue.cancel`) of the same reactor.
 * Its state is private: an object that merely looks like a Timer is refused.
 *
 * ```ts
 * import { Reactor, type Timer } from "@libc/epoll";
 *
 * const reactor = new Reactor();
 * const timer: Timer = reactor.setTimer(1000, () => console.log("never"));
 * console.log(timer.done); // false
 * reactor.clearTimer(timer);
 * console.log(timer.done); // true
 * await reactor.close();
 * ```
 */
export class Timer {
  readonly #queue: TimerQueue;
  readonly #deadline: number;
  readonly #seq: number;
  #callback: (() => void) | null; // null once fired or cancelled (and the closure released)

  private constructor(queue: TimerQueue, deadline: number, seq: number, callback: () => void) {
    if (!making) throw new TypeError("a Timer is made by setTimer(), not by new");
    this.#queue = queue;
    this.#deadline = deadline;
    this.#seq = seq;
    this.#callback = callback;
  }

  /** When it fires, in `performance.now()` milliseconds. */
  get deadline(): number {
    return this.#deadline;
  }

  /** True once it fired or was cancelled. */
  get done(): boolean {
    return this.#callback === null;
  }

  static {
    create = (queue, deadline, seq, callback) => {
      making = true;
      try {
        return new Timer(queue, deadline, seq, callback);
      } finally {
        making = false;
      }
    };
    queueOf = (value) => typeof value === "object" && value !== null && #queue in value ? value.#queue : null;
    seqOf = (timer) => timer.#seq;
    take = (timer) => {
      const callback = timer.#callback;
      timer.#callback = null;
      return callback;
    };
  }
}

/**
 * Throws unless `delayMs` is a number in [0, {@linkcode MAX_TIMER_DELAY_MS}]
 * and `callback` a function: what `add` checks before it changes anything.
 */
export function checkTimerArgs(delayMs: number, callback: () => void): void {
  if (typeof delayMs !== "number") throw new TypeError(`delay must be a number, got ${typeof delayMs}`);
  if (!(delayMs >= 0 && delayMs <= MAX_TIMER_DELAY_MS)) {
    throw new RangeError(`delay must be in [0, ${MAX_TIMER_DELAY_MS}] ms, got ${delayMs}`);
  }
  if (typeof callback !== "function") {
    throw new TypeError(
      `the timer callback must be a function, got ${callback === null ? "null" : typeof callback}`,
    );
  }
}

/** The TypeError for clearing something that is not a Timer of `queue`. */
export function foreignTimerError(value: unknown, queue: TimerQueue | null): TypeError | null {
  const owner = queueOf(value);
  if (owner === null) {
    return new TypeError(`clearTimer() takes a Timer returned by setTimer(), got ${describe(value)}`);
  }
  return owner === queue ? null : new TypeError("this Timer belongs to another reactor (or TimerQueue)");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return typeof value === "object" ? "an object that is not one" : typeof value;
}

function before(a: Timer, b: Timer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && seqOf(a) < seqOf(b));
}

/** Timers on a timerfd; the owner registers `fd` for EPOLLIN and calls `fire()` on its events. */
export class TimerQueue implements Disposable {
  readonly #fd: number;
  readonly #heap: Timer[] = [];
  readonly #scratch = new Uint8Array(8);
  #armedAt = Infinity;
  #seq = 0;
  #live = 0;
  #closed = false;

  /** Creates the timerfd. */
  constructor() {
    this.#fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  }

  /** The timerfd (CLOCK_MONOTONIC, nonblocking). */
  get fd(): number {
    return this.#fd;
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.#live;
  }

  /**
   * Runs `callback` after `delayMs`: a number in [0, {@linkcode MAX_TIMER_DELAY_MS}]
   * (2^31 - 1 ms, as `setTimeout`), fractions kept. Anything else (NaN, a
   * negative or longer delay, a string) is a `RangeError` / `TypeError`, and
   * a callback that is not a function a `TypeError`, thrown before the queue
   * changes. Throws `BadResource` once closed.
   */
  add(delayMs: number, callback: () => void): Timer {
    checkTimerArgs(delayMs, callback);
    if (this.#closed) throw new Deno.errors.BadResource("the timer queue is closed");
    const deadline = performance.now() + delayMs;
    if (deadline < this.#armedAt) this.#arm(deadline); // before the insert: a failure leaves no phantom
    const timer = create(this, deadline, this.#seq++, callback);
    this.#push(timer);
    this.#live++;
    return timer;
  }

  /**
   * Cancels a timer of this queue; harmless if it already fired or was
   * cancelled. Anything else (another queue's timer, a look-alike object,
   * null) is a `TypeError`.
   */
  cancel(timer: Timer): void {
    const err = foreignTimerError(timer, this);
    if (err !== null) throw err;
    if (take(timer) !== null) this.#live--;
  }

  /**
   * Runs every due timer (in deadline order) and rearms for the next. Call on
   * the timerfd's EPOLLIN. Errors from callbacks go to `onError`; the queue
   * stays consistent (and armed) whatever a callback does, including adding
   * or cancelling timers. Timers added during `fire()` run in a later call.
   */
  fire(onError: (err: unknown) => void): void {
    if (typeof onError !== "function") throw new TypeError("fire() takes an onError function");
    if (this.#closed) return;
    read(this.#fd, this.#scratch); // reset the expiration count; WOULD_BLOCK is fine
    this.#armedAt = Infinity;
    const heap = this.#heap;
    const now = performance.now();
    try {
      while (heap.length > 0 && (heap[0].done || heap[0].deadline <= now)) {
        const callback = take(this.#pop());
        if (callback === null) continue; // cancelled
        this.#live--;
        try {
          callback();
        } catch (err) {
          onError(err);
        }
      }
    } finally {
      // Even if onError threw: the due timers left in the heap fire next time.
      if (!this.#closed && heap.length > 0) this.#arm(heap[0].deadline);
    }
  }

  #arm(deadline: number): void {
    timerfd_settime(this.#fd, 0, Math.max(deadline - performance.now(), MIN_ARM_MS));
    this.#armedAt = deadline;
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): Timer {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const c = l + 1 < heap.length && before(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!before(heap[c], last)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return top;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Cancels everything and closes the timerfd. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#heap) take(timer);
    this.#heap.length = 0;
    this.#live = 0;
    close(this.#fd);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
