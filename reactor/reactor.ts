/**
 * {@linkcode Reactor}: a typed event loop over one epoll set, serving
 * registrations, readiness waits and timers while Deno's own event loop keeps
 * running (the blocking wait lives on the poll worker: see `poller.ts`,
 * `park.ts`). Its guarantees, and the `await using` scope trap, are in the
 * class doc.
 *
 * @module
 */

import {
  checkFd,
  EPOLLIN,
  ErrnoError,
  errnoNumbers,
  type EventBuffer,
  F_GETFL,
  fcntl,
  isErrno,
  O_NONBLOCK,
} from "../ffi/mod.ts";
import { Epoll } from "../epoll/epoll.ts";
import { Poller, type PollerOptions, type PollerStats, yieldMacrotask } from "./poller.ts";
import { type Interest, interestEvents } from "./interest.ts";
import {
  checkHandler,
  createRegistration,
  detach,
  dispatchEvent,
  type ReadyHandler,
  type Registration,
  type RegistrationOwner,
} from "./registration.ts";
import { checkTimerArgs, foreignTimerError, type Timer, TimerQueue } from "./timers.ts";

/**
 * Options for {@linkcode Reactor}: the poller's, plus error handling and the
 * cooperative budget.
 *
 * ```ts
 * import { Reactor, type ReactorOptions } from "@libc/epoll";
 *
 * const options: ReactorOptions = {
 *   onError: (err) => console.error("handler failed:", err), // instead of the global "error" event
 *   budget: 64, // operations a task may run before it yields
 *   maxEvents: 512,
 * };
 * const reactor = new Reactor(options);
 * await reactor.close();
 * ```
 */
export interface ReactorOptions extends PollerOptions {
  /**
   * Receives exceptions thrown by handlers and timer callbacks (default:
   * `reportError`, the global "error" event). If it throws in turn, that
   * error goes to `reportError`.
   */
  onError?: (err: unknown) => void;
  /** Operations a task may complete without yielding, per poll round: an integer ≥ 1 (default 128, as tokio). */
  budget?: number;
}

const TWO_32 = 2 ** 32;
const MAX_GENERATION = 2 ** 21 - 1; // data stays below 2^53, under the poller's waker tag
const INTERNAL = 0; // generation of the reactor's own fds (the timerfd)
const MAX_EVENTS = 2 ** 20; // EventBuffer's bound
const MAX_BUDGET = 2 ** 31 - 1;
const { EEXIST } = errnoNumbers;

// How the reactor was closed, for the BadResource messages: of the reactor
// ("the reactor is …") and of its registrations ("its reactor was …").
const BY_CLOSE = "closed (close() was called)";
const BY_SCOPE = "closed: the `await using` scope that owned it ended. A top-level " +
  "`await using reactor` in callback-style code ends with the module body, before any event; use " +
  "`const reactor = new Reactor()` and close it when the work is done (see the Reactor docs)";

/**
 * A typed epoll event loop. Register an fd with an {@linkcode Interest} and
 * a handler, or await its readiness (`registration.readable()`), and set
 * timers on the reactor's own timerfd; Deno's event loop keeps running.
 *
 * ```ts
 * import { Reactor } from "@libc/epoll";
 * import { close, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "@libc/epoll/ffi";
 *
 * await using reactor = new Reactor(); // fine here: the awaits below keep its scope open
 * const efd = eventfd(0, EFD_NONBLOCK);
 * const reg = reactor.register(efd, { readable: true });
 * setTimeout(() => eventfd_write(efd, 7), 10);
 * await reg.readable();
 * console.log(eventfd_read(efd)); // 7
 * reg.deregister();
 * close(efd);
 * ```
 *
 * **The `await using` trap.** `await using` closes the reactor when its
 * scope ends. A top-level one in callback-style code (handlers, no awaits)
 * ends with the module body, before any event arrives: the reactor closes,
 * the handlers never run, and the process exits quietly.
 *
 * ```ts ignore
 * await using reactor = new Reactor(); // WRONG in callback-style code:
 * reactor.register(fd, { readable: true }, onReadable); // closed before the first event
 * ```
 *
 * Give the reactor a lifetime of its own instead, and close it when the work
 * is done (or on shutdown); or keep the `await using` scope open by awaiting
 * the end of the work inside it. Any use of a closed reactor throws
 * `Deno.errors.BadResource` saying how it was closed, scope end included.
 *
 * ```ts
 * import { Reactor } from "@libc/epoll";
 * import { close, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "@libc/epoll/ffi";
 *
 * const reactor = new Reactor(); // lives until close(), not until the end of a scope
 * const efd = eventfd(0, EFD_NONBLOCK);
 * const { promise: finished, resolve } = Promise.withResolvers<void>();
 * reactor.register(efd, { readable: true }, (_events, reg) => {
 *   console.log("counter:", eventfd_read(efd));
 *   reg.deregister();
 *   close(efd);
 *   resolve();
 * });
 * eventfd_write(efd, 1);
 * // ... on shutdown (the work done, a signal):
 * await finished;
 * await reactor.close();
 * ```
 *
 * Guarantees, in the manner of mio's `Poll` docs:
 * - **Spurious events happen.** A handler or a resolved `readable()` means
 *   "try the syscall", not "it will succeed": always handle WOULD_BLOCK.
 * - **Edge-triggered fds must be drained** to WOULD_BLOCK; the readiness cache
 *   then needs `clearReadable()` / `clearWritable()` (see `Registration`).
 * - **No stale events.** Each registration carries a generation in the high
 *   half of `epoll_event.data`; an fd deregistered or closed earlier in a
 *   batch, or whose number was reused by a newer registration, gets nothing
 *   from that batch.
 * - **EPOLLERR and EPOLLHUP reach the handler**, and wake both readable and
 *   writable waiters, so the next syscall reports the error.
 * - **A throwing handler does not stop the loop**: the error goes to
 *   `onError` (default: `reportError`, the global "error" event). Timer
 *   callbacks likewise; the later timers still fire.
 * - **No starvation**: the loop yields a macrotask at least every ms under
 *   load; `consumeBudget()` gives the layers above tokio's cooperative
 *   budget, and readiness answered from the cache spends it too, so neither
 *   a firehose fd nor a task that never clears readiness holds the thread.
 * - **Idle costs nothing**: with no registration and no timer the loop
 *   stops, and the process may exit. `unref()` lets it exit while fds are
 *   registered, too.
 * - **Rails**: `register` refuses a blocking fd (it would block the JS
 *   thread on the first read), an interest with nothing to wait for, and a
 *   second registration of the same fd (use `modify()`).
 */
export class Reactor implements AsyncDisposable {
  readonly #epoll: Epoll;
  readonly #poller: Poller;
  readonly #regs: (Registration | undefined)[] = [];
  readonly #owner: RegistrationOwner;
  readonly #onError: (err: unknown) => void;
  readonly #budgetPerRound: number;
  #timers: TimerQueue | null = null;
  #count = 0;
  #unrefCount = 0; // registrations that do not keep the process alive
  #refed = true; // ref() / unref() of the reactor as a whole
  #generation = 0;
  #budget: number;
  #running: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #closedBy = BY_CLOSE;

  /**
   * Creates the epoll set, its waker and its poller; the loop starts with
   * the first registration or timer. Bad options (a `budget` that is not an
   * integer ≥ 1, an `onError` that is not a function, a `maxEvents` outside
   * [1, 2^20], the poller's own) throw before any fd is left open.
   */
  constructor(options: ReactorOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("Reactor options must be an object or undefined");
    }
    const onError = options.onError ?? ((err: unknown) => reportError(err));
    if (typeof onError !== "function") throw new TypeError("onError must be a function");
    const budget = options.budget ?? 128;
    if (!Number.isInteger(budget) || budget < 1 || budget > MAX_BUDGET) {
      throw new RangeError(`budget must be an integer in [1, 2^31 - 1], got ${budget}`);
    }
    const maxEvents = options.maxEvents ?? 256;
    if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > MAX_EVENTS) {
      throw new RangeError(`maxEvents must be an integer in [1, 2^20], got ${maxEvents}`);
    }
    this.#epoll = new Epoll({ maxEvents });
    try {
      this.#poller = new Poller(this.#epoll, options);
    } catch (err) {
      this.#epoll.close(); // bad options: leave no fd behind
      throw err;
    }
    this.#onError = (err) => {
      try {
        onError(err);
      } catch (thrown) {
        reportError(thrown); // a throwing onError must not stop the loop or the timers
      }
    };
    this.#budgetPerRound = budget;
    this.#budget = budget;
    this.#owner = {
      modify: (reg, events) => this.#modify(reg, events),
      deregister: (reg) => this.#deregister(reg, "it was deregistered"),
      reportError: (err) => this.#onError(err),
      consumeBudget: () => this.consumeBudget(),
      yield: () => this.yield(),
      setRef: (_reg, ref) => {
        this.#unrefCount += ref ? -1 : 1;
        this.#keepAlive();
      },
    };
  }

  /** Registered fds (the reactor's own not counted). */
  get size(): number {
    return this.#count;
  }

  /** Whether `close()` has been called (or the `await using` scope ended). */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** How the poller served its waits: a snapshot of every counter (see `PollerStats`). */
  get stats(): Readonly<PollerStats> {
    return this.#poller.stats;
  }

  /** The waker's eventfd: `eventfd_write(fd, 1)` from any thread interrupts a parked wait. */
  get wakerFd(): number {
    return this.#poller.wakerFd;
  }

  /**
   * Adds `fd` with `interest` (an {@linkcode Interest} or EPOLL* bits) and an
   * optional handler called with each event's bits.
   *
   * Refused, before anything changes: an fd that is not an integer in
   * [0, 2^31) (`RangeError`); a blocking fd (`TypeError`: create it with
   * SOCK_NONBLOCK / EFD_NONBLOCK / TFD_NONBLOCK / O_NONBLOCK, or call
   * `setNonBlocking(fd)` from `@libc/epoll/ffi`); an interest with nothing to
   * wait for, such as `{}`, `0` or `EPOLLERR | EPOLLHUP` (`TypeError`); a
   * handler that is not a function; an fd this reactor already has
   * (`ErrnoError` EEXIST, whose message says to use `modify()`); a closed fd
   * (`ErrnoError` EBADF); a closed reactor (`BadResource`).
   *
   * If a registration for the same fd number is still on record (the fd was
   * closed without deregistering, and the number reused), it goes stale and
   * its waiters are rejected.
   */
  register(fd: number, interest: Interest | number, handler?: ReadyHandler): Registration {
    this.#open();
    checkFd(fd);
    const events = interestEvents(interest);
    checkHandler(handler);
    checkNonBlocking(fd);
    const generation = this.#nextGeneration();
    this.#add(fd, events, fd + generation * TWO_32);
    const reg = createRegistration(this.#owner, fd, generation, events, handler);
    const stale = this.#regs[fd];
    if (stale !== undefined) {
      if (!stale.refed) this.#unrefCount--;
      detach(stale, "its fd number was registered again (closed without deregistering)");
    } else this.#count++;
    this.#regs[fd] = reg;
    this.#keepAlive();
    this.#start();
    return reg;
  }

  #add(fd: number, events: number, data: number): void {
    try {
      this.#epoll.register(fd, events, data);
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw err;
      throw new ErrnoError(
        "epoll_ctl",
        EEXIST,
        `fd ${fd} is already registered with this reactor: change its interest with ` +
          "registration.modify(), or deregister() it before registering it again",
      );
    }
  }

  /**
   * Runs `callback` after `delayMs` on the reactor's timerfd: a number in
   * [0, 2^31 - 1] ms (as `setTimeout`; `MAX_TIMER_DELAY_MS`), fractions kept,
   * never armed as a 0 that spins. A delay outside that range is a
   * `RangeError`, a callback that is not a function a `TypeError`, both
   * thrown before anything is scheduled. Errors thrown by the callback go to
   * `onError`.
   */
  setTimer(delayMs: number, callback: () => void): Timer {
    this.#open();
    checkTimerArgs(delayMs, callback);
    const timer = this.#timerQueue().add(delayMs, callback);
    this.#keepAlive();
    this.#start();
    return timer;
  }

  /**
   * Cancels a timer from this reactor's `setTimer`; harmless if it already
   * fired or was cleared, or the reactor is closed. A timer of another
   * reactor, or anything that is not a Timer (null, a look-alike
   * `{ deadline, done }` object) is a `TypeError`.
   */
  clearTimer(timer: Timer): void {
    const err = foreignTimerError(timer, this.#timers);
    if (err !== null) throw err;
    this.#timers!.cancel(timer);
    this.#keepAlive();
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

  /** Lets a parked loop keep the process alive (the default) while a ref'd fd or a timer is pending. */
  ref(): void {
    this.#refed = true;
    this.#keepAlive();
  }

  /**
   * Lets the process exit while the loop is parked, whatever is registered
   * (nonblocking strategy). For one fd only, use `Registration.unref()`.
   */
  unref(): void {
    this.#refed = false;
    this.#keepAlive();
  }

  // A parked wait lets the process exit only while the loop runs for
  // nothing that counts: every registration unref'd and no timer, or the
  // whole reactor unref'd. A loop about to stop (nothing registered, or
  // closing) stays ref'd: its last park must still come back, or Deno would
  // exit under a pending close().
  #keepAlive(): void {
    const timers = this.#timers?.size ?? 0;
    const running = this.#closing === null && (this.#count > 0 || timers > 0);
    const onlyUnrefd = this.#count === this.#unrefCount && timers === 0;
    if (running && (!this.#refed || onlyUnrefd)) this.#poller.unref();
    else this.#poller.ref();
  }

  #open(): void {
    if (this.#closing !== null) throw new Deno.errors.BadResource(`the reactor is ${this.#closedBy}`);
  }

  #nextGeneration(): number {
    this.#generation = this.#generation >= MAX_GENERATION ? 1 : this.#generation + 1;
    return this.#generation;
  }

  #timerQueue(): TimerQueue {
    if (this.#timers === null) {
      const timers = new TimerQueue();
      try {
        this.#epoll.register(timers.fd, EPOLLIN, timers.fd + INTERNAL * TWO_32);
      } catch (err) {
        timers.close();
        throw err;
      }
      this.#timers = timers;
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
        if (fd === this.#timers?.fd) {
          this.#timers.fire(this.#onError);
          this.#keepAlive();
        }
        continue;
      }
      const reg = regs[fd];
      if (reg !== undefined && reg.generation === generation) dispatchEvent(reg, events.events(i));
    }
  }

  #modify(reg: Registration, events: number): void {
    this.#open();
    this.#epoll.modify(reg.fd, events, reg.fd + reg.generation * TWO_32);
  }

  #deregister(reg: Registration, reason: string): void {
    if (this.#regs[reg.fd] === reg) {
      this.#regs[reg.fd] = undefined;
      this.#count--;
      if (!reg.refed) this.#unrefCount--;
      this.#forget(reg.fd);
    }
    detach(reg, reason);
    this.#keepAlive();
    this.#wakeIfIdle();
  }

  // EPOLL_CTL_DEL; an fd the caller already closed has left the set by itself
  // (EBADF), or its number now names another file (ENOENT, or EPERM for a
  // regular file).
  #forget(fd: number): void {
    if (this.#epoll.closed) return;
    try {
      this.#epoll.unregister(fd);
    } catch (err) {
      if (!isErrno(err, "EBADF", "ENOENT", "EPERM")) throw err;
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
    const reason = `its reactor was ${this.#closedBy}`;
    this.#keepAlive(); // closing: the last park must come back
    for (const reg of this.#regs) if (reg !== undefined) this.#deregister(reg, reason);
    this.#poller.wake();
    await this.#running;
    await this.#poller.close();
    this.#timers?.close();
    this.#epoll.close();
  }

  /**
   * Same as `close()`, for `await using`: the reactor closes when the scope
   * ends, which for a top-level declaration is the end of the module body
   * (see the class doc). Later uses say so in their `BadResource` message.
   */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.#closing === null) this.#closedBy = BY_SCOPE;
    return this.close();
  }
}

// A blocking fd would block the whole JS thread on its first read or write
// that finds nothing; one fcntl per register is cheap next to that.
function checkNonBlocking(fd: number): void {
  if ((fcntl(fd, F_GETFL) & O_NONBLOCK) !== 0) return;
  throw new TypeError(
    `fd ${fd} is in blocking mode: the reactor needs O_NONBLOCK fds, or the first read or write ` +
      "that finds nothing would block the whole JS thread. Create it nonblocking (SOCK_NONBLOCK, " +
      "EFD_NONBLOCK, TFD_NONBLOCK, O_NONBLOCK for pipe2/open) or call setNonBlocking(fd) from " +
      '"@libc/epoll/ffi" before registering it',
  );
}
