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

/** A scheduled callback; pass it to {@linkcode TimerQueue.cancel}. */
export interface Timer {
  /** When it fires, in `performance.now()` milliseconds. */
  readonly deadline: number;
  /** True once it fired or was cancelled. */
  readonly done: boolean;
}

interface Entry extends Timer {
  deadline: number;
  done: boolean;
  seq: number;
  callback: () => void;
}

const MIN_ARM_MS = 0.001;

function before(a: Entry, b: Entry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/** Timers on a timerfd; the owner registers `fd` for EPOLLIN and calls `fire()` on its events. */
export class TimerQueue implements Disposable {
  /** The timerfd (CLOCK_MONOTONIC, nonblocking). */
  readonly fd: number;
  readonly #heap: Entry[] = [];
  readonly #scratch = new Uint8Array(8);
  #armedAt = Infinity;
  #seq = 0;
  #live = 0;

  /** Creates the timerfd. */
  constructor() {
    this.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.#live;
  }

  /** Runs `callback` after `delayMs` (≥ 0; fractions kept). */
  add(delayMs: number, callback: () => void): Timer {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
      throw new RangeError(`delay must be a finite number ≥ 0, got ${delayMs}`);
    }
    const entry: Entry = { deadline: performance.now() + delayMs, done: false, seq: this.#seq++, callback };
    this.#push(entry);
    this.#live++;
    if (entry.deadline < this.#armedAt) this.#arm(entry.deadline);
    return entry;
  }

  /** Cancels a timer; harmless if it already fired. */
  cancel(timer: Timer): void {
    const entry = timer as Entry;
    if (entry.done) return;
    entry.done = true;
    this.#live--;
  }

  /**
   * Runs every due timer (in deadline order) and rearms for the next. Call on
   * the timerfd's EPOLLIN. Errors from callbacks go to `onError`.
   */
  fire(onError: (err: unknown) => void): void {
    read(this.fd, this.#scratch); // reset the expiration count; WOULD_BLOCK is fine
    this.#armedAt = Infinity;
    const now = performance.now();
    while (this.#heap.length > 0 && (this.#heap[0].done || this.#heap[0].deadline <= now)) {
      const entry = this.#pop();
      if (entry.done) continue;
      entry.done = true;
      this.#live--;
      try {
        entry.callback();
      } catch (err) {
        onError(err);
      }
    }
    if (this.#heap.length > 0) this.#arm(this.#heap[0].deadline);
  }

  #arm(deadline: number): void {
    this.#armedAt = deadline;
    timerfd_settime(this.fd, 0, Math.max(deadline - performance.now(), MIN_ARM_MS));
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
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

  /** Cancels everything and closes the timerfd. */
  close(): void {
    for (const entry of this.#heap) entry.done = true;
    this.#heap.length = 0;
    this.#live = 0;
    close(this.fd);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
