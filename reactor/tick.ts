/**
 * {@linkcode Tick}: a periodic timerfd in the poller's epoll set that bounds
 * the main-thread wait. While the loop is hot the tick is armed once, and the
 * wait is a plain `epoll_wait(…, -1)`: no timer is armed and cancelled per
 * wait (a timeout on every wait costs an hrtimer each time). The tick ends a
 * wait that nothing else ends, at most one period after it began.
 *
 * A periodic timerfd starts its next period only when it is read (the
 * kernel re-arms it in `read`), so every tick seen is read: one `read` per
 * period. It is registered edge-triggered, so a tick is reported once: even
 * a tick left unread could end one wait, never make a loop spin. Disarmed
 * when the loop parks, so an idle loop has no timer at all.
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

/** The periodic timer that bounds a main-thread `epoll_wait(…, -1)`; see the module doc. */
export class Tick implements Disposable {
  /** The timerfd; register it EPOLLIN | EPOLLET in the set whose waits it bounds. */
  readonly fd: number;
  readonly #periodMs: number;
  readonly #count = new Uint8Array(8);
  #armed = false;
  #closed = false;

  /** A disarmed tick of `periodMs` (> 0) milliseconds (nonblocking, close-on-exec). */
  constructor(periodMs: number) {
    if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
      throw new RangeError(`the tick period must be a finite number of ms > 0, got ${periodMs}`);
    }
    this.#periodMs = periodMs;
    this.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  }

  /** The period in ms. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Whether the tick is running. */
  get armed(): boolean {
    return this.#armed;
  }

  /** Starts the tick: the first expiry one period from now, then every period. Returns whether it made a syscall. */
  arm(): boolean {
    if (this.#armed || this.#closed) return false;
    timerfd_settime(this.fd, 0, this.#periodMs, this.#periodMs);
    this.#armed = true;
    return true;
  }

  /** Takes the expiries seen so far, which starts the next period. Returns whether it made a syscall. */
  read(): boolean {
    if (this.#closed) return false;
    read(this.fd, this.#count);
    return true;
  }

  /** Stops the tick. An expiry already queued in the set may still be reported once. Returns whether it made a syscall. */
  disarm(): boolean {
    if (!this.#armed || this.#closed) return false;
    timerfd_settime(this.fd, 0, 0);
    this.#armed = false;
    return true;
  }

  /** Closes the timerfd (it leaves every epoll set with it). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#armed = false;
    close(this.fd);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
