/**
 * {@linkcode Reactor}: a typed event loop over one epoll set. Register an fd
 * with an {@linkcode Interest} and a handler, or await its readiness
 * (`registration.readable()`), while Deno's own event loop keeps running:
 * the blocking wait lives on the poll worker (see `poller.ts`, `park.ts`).
 *
 * Guarantees, in the manner of mio's `Poll` docs:
 * - **Spurious events happen.** A handler or a resolved `readable()` means
 *   "try the syscall", not "it will succeed": always handle WOULD_BLOCK.
 * - **Edge-triggered fds must be drained** to WOULD_BLOCK; the readiness cache
 *   then needs `clearReadable()` / `clearWritable()` (see `registration.ts`).
 * - **No stale events.** Each registration carries a generation in the high
 *   half of `epoll_event.data`; an fd deregistered or closed earlier in a
 *   batch, or whose number was reused by a newer registration, gets nothing
 *   from that batch.
 * - **EPOLLERR and EPOLLHUP reach the handler**, and wake both readable and
 *   writable waiters, so the next syscall reports the error.
 * - **A throwing handler does not stop the loop**: the error goes to
 *   `onError` (default: `reportError`, the global "error" event).
 * - **No starvation**: the loop yields a macrotask at least every ms under
 *   load, and `consumeBudget()` gives the layers above tokio's cooperative
 *   budget, so a firehose fd cannot hold the thread.
 * - **Idle costs nothing**: with no registration and no timer the loop
 *   stops, and the process may exit. `unref()` lets it exit while fds are
 *   registered, too.
 *
 * ```ts
 * import { Reactor } from "@libc/epoll";
 * import { eventfd, eventfd_write, eventfd_read, close, EFD_NONBLOCK } from "@libc/epoll/ffi";
 *
 * await using reactor = new Reactor();
 * const efd = eventfd(0, EFD_NONBLOCK);
 * const reg = reactor.register(efd, { readable: true });
 * setTimeout(() => eventfd_write(efd, 7), 10);
 * await reg.readable();
 * console.log(eventfd_read(efd)); // 7
 * reg.deregister();
 * close(efd);
 * ```
 *
 * @module
 */

import {
  epoll_ctl,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLIN,
  ErrnoError,
  type EventBuffer,
} from "../ffi/mod.ts";
import { Epoll } from "../epoll/epoll.ts";
import { Poller, type PollerOptions, type PollerStats, yieldMacrotask } from "./poller.ts";
import { type Interest, toEvents } from "./interest.ts";
import { type ReadyHandler, Registration, type RegistrationOwner } from "./registration.ts";
import { type Timer, TimerQueue } from "./timers.ts";

/** Options for {@linkcode Reactor}: the poller's, plus error handling and the cooperative budget. */
export interface ReactorOptions extends PollerOptions {
  /** Receives exceptions thrown by handlers and timer callbacks (default: `reportError`). */
  onError?: (err: unknown) => void;
  /** Operations a task may complete without yielding, per poll round (default 128, as tokio). */
  budget?: number;
}

const TWO_32 = 2 ** 32;
const MAX_GENERATION = 2 ** 21 - 1; // data stays below 2^53, under the poller's waker tag
const INTERNAL = 0; // generation of the reactor's own fds (the timerfd)
const EBADF = 9;
const ENOENT = 2;
const EPERM = 1;

/** A typed epoll event loop; see the module doc. */
export class Reactor implements AsyncDisposable {
  readonly #epoll: Epoll;
  readonly #poller: Poller;
  readonly #regs: (Registration | undefined)[] = [];
  readonly #owner: RegistrationOwner;
  readonly #onError: (err: unknown) => void;
  readonly #budgetPerRound: number;
  #timers: TimerQueue | null = null;
  #count = 0;
  #generation = 0;
  #budget: number;
  #running: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  /** Creates the epoll set, its waker and its poller. The loop starts with the first registration. */
  constructor(options: ReactorOptions = {}) {
    this.#epoll = new Epoll({ maxEvents: options.maxEvents ?? 256 });
    try {
      this.#poller = new Poller(this.#epoll, options);
    } catch (err) {
      this.#epoll.close(); // bad options: leave no fd behind
      throw err;
    }
    this.#onError = options.onError ?? ((err) => reportError(err));
    this.#budgetPerRound = options.budget ?? 128;
    this.#budget = this.#budgetPerRound;
    this.#owner = {
      modify: (reg, events) => this.#ctl(EPOLL_CTL_MOD, reg, events),
      deregister: (reg) => this.#deregister(reg),
      reportError: (err) => this.#onError(err),
    };
  }

  /** Registered fds (the reactor's own not counted). */
  get size(): number {
    return this.#count;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** How the poller served its waits (drains, bounded sleeps, parks, yields). */
  get stats(): Readonly<PollerStats> {
    return this.#poller.stats;
  }

  /** The waker's eventfd: `eventfd_write(fd, 1)` from any thread interrupts a parked wait. */
  get wakerFd(): number {
    return this.#poller.waker.fd;
  }

  /**
   * Adds `fd` (nonblocking, please) with `interest` (an {@linkcode Interest}
   * or EPOLL* bits) and an optional handler called with each event's bits.
   * If a registration for the same fd number is still on record (the fd was
   * closed without deregistering), it goes stale and its waiters are rejected.
   */
  register(fd: number, interest: Interest | number, handler?: ReadyHandler): Registration {
    this.#open();
    const events = toEvents(interest);
    const generation = this.#nextGeneration();
    const reg = new Registration(this.#owner, fd, generation, events, handler);
    this.#epoll.register(fd, events, fd + generation * TWO_32);
    this.#regs[fd]?.detach(new Deno.errors.BadResource(`fd ${fd} was registered again`));
    if (this.#regs[fd] === undefined) this.#count++;
    this.#regs[fd] = reg;
    this.#start();
    return reg;
  }

  /** Runs `callback` after `delayMs` on the reactor's timerfd (fractions kept, never a 0 that spins). */
  setTimer(delayMs: number, callback: () => void): Timer {
    this.#open();
    const timer = this.#timerQueue().add(delayMs, callback);
    this.#start();
    return timer;
  }

  /** Cancels a timer from `setTimer`; harmless if it fired. */
  clearTimer(timer: Timer): void {
    this.#timers?.cancel(timer);
    this.#wakeIfIdle();
  }

  /**
   * Cooperative budget: true while the current task may go on without
   * yielding. When it returns false, `await reactor.yield()` before the next
   * operation. The budget refills every poll round and every yield.
   */
  consumeBudget(): boolean {
    return --this.#budget >= 0;
  }

  /** Yields a macrotask (letting the loop and everything else run) and refills the budget. */
  async yield(): Promise<void> {
    await yieldMacrotask();
    this.#budget = this.#budgetPerRound;
  }

  /** Lets a parked loop keep the process alive (the default). */
  ref(): void {
    this.#poller.ref();
  }

  /** Lets the process exit while the loop is parked with fds registered (nonblocking strategy). */
  unref(): void {
    this.#poller.unref();
  }

  #open(): void {
    if (this.#closing !== null) throw new Deno.errors.BadResource("the reactor is closed");
  }

  #nextGeneration(): number {
    this.#generation = this.#generation >= MAX_GENERATION ? 1 : this.#generation + 1;
    return this.#generation;
  }

  #timerQueue(): TimerQueue {
    if (this.#timers === null) {
      this.#timers = new TimerQueue();
      this.#epoll.register(this.#timers.fd, EPOLLIN, this.#timers.fd + INTERNAL * TWO_32);
    }
    return this.#timers;
  }

  #active(): boolean {
    return this.#closing === null && (this.#count > 0 || (this.#timers?.size ?? 0) > 0);
  }

  #start(): void {
    if (this.#running === null) this.#running = this.#run();
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        while (this.#active()) this.#dispatch(await this.#poller.wait());
        if (this.#closing !== null) break;
        await this.#poller.idle(); // stops a worker strategy's thread, so the process may exit
        if (!this.#active()) break;
      }
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#running = null;
    }
  }

  #dispatch(events: EventBuffer): void {
    this.#budget = this.#budgetPerRound;
    const regs = this.#regs;
    for (let i = 0; i < events.length; i++) {
      const fd = events.dataLow(i);
      const generation = events.dataHigh(i);
      if (generation === INTERNAL) {
        if (fd === this.#timers?.fd) this.#timers.fire(this.#onError);
        continue;
      }
      const reg = regs[fd];
      if (reg !== undefined && reg.generation === generation) reg.dispatch(events.events(i));
    }
  }

  #ctl(op: number, reg: Registration, events: number): void {
    this.#open();
    epoll_ctl(this.#epoll.fd, op, reg.fd, events, reg.fd + reg.generation * TWO_32);
  }

  #deregister(reg: Registration): void {
    if (this.#regs[reg.fd] === reg) {
      this.#regs[reg.fd] = undefined;
      this.#count--;
      this.#forget(reg.fd);
    }
    reg.detach(new Deno.errors.BadResource(`fd ${reg.fd} was deregistered`));
    this.#wakeIfIdle();
  }

  // EPOLL_CTL_DEL; an fd the caller already closed has left the set by itself
  // (EBADF), or its number now names another file (ENOENT, or EPERM for a
  // regular file).
  #forget(fd: number): void {
    if (this.#epoll.closed) return;
    try {
      epoll_ctl(this.#epoll.fd, EPOLL_CTL_DEL, fd);
    } catch (err) {
      if (
        !(err instanceof ErrnoError) || (err.errno !== EBADF && err.errno !== ENOENT && err.errno !== EPERM)
      ) throw err;
    }
  }

  // A parked loop with nothing left to serve must return, or it would keep
  // the process alive for nothing.
  #wakeIfIdle(): void {
    if (this.#running !== null && !this.#active()) this.#poller.wake();
  }

  /**
   * Deregisters every fd (rejecting pending waits with BadResource), wakes
   * and awaits the loop, stops the poll worker, and closes the reactor's own
   * fds. The registered fds themselves stay open. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const reg of this.#regs) reg?.deregister();
    this.#poller.wake();
    await this.#running;
    await this.#poller.close();
    this.#timers?.close();
    this.#epoll.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
