/**
 * {@linkcode Epoll}: one epoll instance as a small class, in the spirit of
 * Python's `select.epoll`. Errors are libc's (`ErrnoError` with EEXIST on a
 * double register, ENOENT for an unknown fd, EPERM for a regular file, EBADF,
 * EINVAL); using the instance after `close()` throws `Deno.errors.BadResource`
 * rather than acting on whatever fd now has its old number.
 *
 * @module
 */

import {
  close,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  epoll_wait,
  EPOLLIN,
  EventBuffer,
} from "../ffi/mod.ts";
import { checkInt, describe, I32_MAX } from "../ffi/checks.ts";
import { selfCheck } from "./self_check.ts";

/**
 * Options for {@linkcode Epoll}.
 *
 * ```ts
 * import { Epoll, type EpollOptions } from "@libc/epoll";
 * import { close, eventfd } from "@libc/epoll/ffi";
 *
 * const options: EpollOptions = { maxEvents: 2 };
 * using ep = new Epoll(options);
 * const fds = [eventfd(1), eventfd(1), eventfd(1)]; // three ready fds
 * for (const fd of fds) ep.register(fd);
 * console.log(ep.wait(0).length, ep.wait(0, 1).length); // 2 1: the rest wait for the next call
 * for (const fd of fds) close(fd);
 * ```
 */
export interface EpollOptions {
  /** Capacity of the reused event buffer: the most events one `wait` returns (1 to 2^20, default 1024). */
  maxEvents?: number;
}

const MAX_EVENTS = 2 ** 20;

// Reads the options once and checks them before any fd exists.
function maxEventsOf(options: EpollOptions): number {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Epoll options must be an object, got ${describe(options)}`);
  }
  const maxEvents = options.maxEvents ?? 1024;
  checkInt(maxEvents, "maxEvents", 1, MAX_EVENTS);
  return maxEvents;
}

/**
 * An epoll instance (`epoll_create1(EPOLL_CLOEXEC)`).
 *
 * ```ts
 * import { Epoll, EPOLLIN } from "@libc/epoll";
 * import { eventfd, eventfd_write, close } from "@libc/epoll/ffi";
 *
 * using ep = new Epoll();
 * const efd = eventfd();
 * ep.register(efd, EPOLLIN);
 * eventfd_write(efd, 1);
 * for (const [fd, events] of ep.wait(0)) console.log(fd === efd, events & EPOLLIN); // true 1
 * close(efd);
 * ```
 */
export class Epoll implements Disposable {
  #fd: number;
  readonly #events: EventBuffer;

  /** Creates the instance; the first one also checks the `struct epoll_event` layout. */
  constructor(options: EpollOptions = {}) {
    this.#events = new EventBuffer(maxEventsOf(options));
    selfCheck();
    this.#fd = epoll_create1(EPOLL_CLOEXEC);
  }

  /** The epoll fd. Throws `BadResource` once closed. */
  get fd(): number {
    return this.#open();
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  #open(): number {
    if (this.#fd < 0) throw new Deno.errors.BadResource("the epoll instance is closed");
    return this.#fd;
  }

  /**
   * Adds `fd` with interest `events` (EPOLLIN, EPOLLOUT, EPOLLET, … combined
   * with `|`; default EPOLLIN). `data` (default: `fd`) comes back with each
   * of its events: an integer in [0, 2^53).
   */
  register(fd: number, events: number = EPOLLIN, data: number = fd): void {
    epoll_ctl(this.#open(), EPOLL_CTL_ADD, fd, events, data);
  }

  /**
   * Changes the interest and data of a registered `fd` (rearms EPOLLONESHOT).
   *
   * ```ts
   * import { Epoll, EPOLLIN, EPOLLONESHOT } from "@libc/epoll";
   * import { close, eventfd } from "@libc/epoll/ffi";
   *
   * using ep = new Epoll();
   * const efd = eventfd(1); // stays readable
   * ep.register(efd, EPOLLIN | EPOLLONESHOT);
   * console.log(ep.wait(0).length, ep.wait(0).length); // 1 0: disabled after one event
   * ep.modify(efd, EPOLLIN | EPOLLONESHOT);
   * console.log(ep.wait(0).length); // 1
   * close(efd);
   * ```
   */
  modify(fd: number, events: number, data: number = fd): void {
    epoll_ctl(this.#open(), EPOLL_CTL_MOD, fd, events, data);
  }

  /** Removes `fd` (ENOENT if it is not registered). */
  unregister(fd: number): void {
    epoll_ctl(this.#open(), EPOLL_CTL_DEL, fd);
  }

  /**
   * Waits up to `timeoutMs` (-1: forever; 0: just look) for up to
   * `maxEvents` events and returns them in the instance's reused
   * {@linkcode EventBuffer}, valid until the next `wait`: index it with
   * `events(i)` / `data(i)` for `i < length`, or iterate `[data, events]`.
   * This blocks the calling thread; the reactor is the non-blocking way.
   * `timeoutMs` is an integer in [-1, 2^31); `maxEvents` one in [1, the
   * `maxEvents` option].
   *
   * ```ts
   * import { Epoll, EPOLLIN, EPOLLOUT } from "@libc/epoll";
   * import { close, eventfd } from "@libc/epoll/ffi";
   *
   * using ep = new Epoll();
   * const efd = eventfd(); // a counter of 0: writable, not readable
   * ep.register(efd, EPOLLIN | EPOLLOUT, 42);
   * const events = ep.wait(0); // valid until the next wait
   * for (let i = 0; i < events.length; i++) {
   *   console.log(events.data(i), events.events(i) === EPOLLOUT); // 42 true
   * }
   * close(efd);
   * ```
   */
  wait(timeoutMs = -1, maxEvents?: number): EventBuffer {
    const fd = this.#open();
    checkInt(timeoutMs, "timeoutMs", -1, I32_MAX);
    if (maxEvents !== undefined) checkInt(maxEvents, "maxEvents", 1, this.#events.capacity);
    epoll_wait(fd, this.#events, maxEvents, timeoutMs);
    return this.#events;
  }

  /**
   * Closes the epoll fd. Idempotent. Registered fds stay open (they are the
   * caller's). Any later use of the instance throws `Deno.errors.BadResource`.
   *
   * ```ts
   * import { Epoll } from "@libc/epoll";
   *
   * const ep = new Epoll();
   * ep.close();
   * ep.close(); // a no-op
   * try {
   *   ep.wait(0);
   * } catch (err) {
   *   console.log(ep.closed, err instanceof Deno.errors.BadResource); // true true
   * }
   * ```
   */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    close(fd);
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
