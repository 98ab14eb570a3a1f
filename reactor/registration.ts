/**
 * {@linkcode Registration}: one fd in a reactor, with its handler and its
 * readiness cache (tokio's `AsyncFd`).
 *
 * The cache: an event sets "readable" and/or "writable"; only the caller,
 * having seen EAGAIN, clears it (`clearReadable()` / `clearWritable()`),
 * *synchronously* after the EAGAIN. Because events are only dispatched between
 * JS turns, no edge can fall between the EAGAIN and the clear, so an
 * edge-triggered event is never lost between an event and the next await.
 *
 * @module
 */

import { EPOLLHUP, EPOLLRDHUP, WOULD_BLOCK } from "../ffi/mod.ts";
import { describe } from "../ffi/checks.ts";
import { type Interest, interestEvents, READ_EVENTS, WRITE_EVENTS } from "./interest.ts";

/**
 * Called with the raw EPOLL* bits of each event (EPOLLERR and EPOLLHUP
 * included) and the registration. What it throws goes to the reactor's
 * `onError`; the loop goes on.
 *
 * ```ts
 * import { EPOLLHUP, EPOLLIN, Reactor, type ReadyHandler } from "@libc/epoll";
 * import { close, O_NONBLOCK, pipe2, read, write } from "@libc/epoll/ffi";
 *
 * const reactor = new Reactor();
 * const [r, w] = pipe2(O_NONBLOCK);
 * const { promise: done, resolve } = Promise.withResolvers<void>();
 * const onEvent: ReadyHandler = (events, reg) => {
 *   if (events & EPOLLIN) read(r, new Uint8Array(64));
 *   if (events & EPOLLHUP) { // the write end closed
 *     reg.deregister();
 *     resolve();
 *   }
 * };
 * reactor.register(r, { readable: true }, onEvent);
 * write(w, new Uint8Array([1]));
 * close(w);
 * await done;
 * close(r);
 * await reactor.close();
 * ```
 */
export type ReadyHandler = (events: number, registration: Registration) => void;

/** What a registration needs from its reactor. */
export interface RegistrationOwner {
  /** epoll_ctl(MOD) with the registration's data. */
  modify(registration: Registration, events: number): void;
  /** epoll_ctl(DEL) and forget. */
  deregister(registration: Registration): void;
  /** Where handler exceptions go. */
  reportError(err: unknown, registration: Registration): void;
  /** The reactor's cooperative budget: false when the task should yield. */
  consumeBudget(): boolean;
  /** A macrotask yield that refills the budget. */
  yield(): Promise<void>;
  /** The registration stopped (false) or started (true) keeping the process alive. */
  setRef(registration: Registration, ref: boolean): void;
}

/**
 * Which side of an fd an operation uses: `readable()` or `writable()`
 * readiness (see `Registration.io`).
 *
 * ```ts
 * import type { Direction } from "@libc/epoll";
 *
 * const sides: Direction[] = ["read", "write"];
 * console.log(sides.length); // 2
 * ```
 */
export type Direction = "read" | "write";

// The state bits, one field: the readiness cache (READABLE, WRITABLE and
// their final forms), the directions known not ready (KNOWN_SHIFT), unref'd.
const READABLE = 1;
const WRITABLE = 2;
// Final states, never cleared: after EPOLLRDHUP / EPOLLHUP a read never
// again says EAGAIN (it returns the rest, then 0, or the error), and after
// EPOLLHUP neither does a write. Keeping readiness set then lets a caller
// clear it on a short read without ever waiting for an edge that will not
// come. EPOLLERR alone is not final: a UDP socket's ICMP error is reported
// once, and reads block again after it.
const READ_CLOSED = 4;
const WRITE_CLOSED = 8;
// Directions known not to be ready: set by a clear (after WOULD_BLOCK or a
// short transfer), reset by the next event. io() waits for an event first
// only then, so a fresh registration tries its syscall at once and a short
// read saves the syscall that would only say EAGAIN.
const KNOWN_SHIFT = 4; // READABLE << 4, WRITABLE << 4
const UNREF = 64;
const READ_FINAL: number = EPOLLRDHUP | EPOLLHUP;
const WRITE_FINAL: number = EPOLLHUP;
const RESOLVED: Promise<void> = Promise.resolve();
const NONE = Symbol("none"); // no reason to refuse a wait

// The engine's own AbortSignal accessors, called on the caller's signal: an
// `aborted`, `reason` or `addEventListener` set on that object is not what
// runs (one that threw would throw out of an event's dispatch and stop the
// reactor's loop; one that called the listener at once would park a waiter
// already failed), and a look-alike that passes `instanceof` is refused.
const signalAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;
const signalReason = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "reason")!.get!;
const addListener = AbortSignal.prototype.addEventListener;
const removeListener = AbortSignal.prototype.removeEventListener;

// A caller parked on one direction until the next event: a promise of
// readable()/writable(), or an IoOp that io() runs. Woken by an event, failed
// when the registration goes inert or the caller's signal aborts.
interface Waiter {
  wake(registration: Registration): void;
  fail(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

// readable() / writable(): the promise's own functions, nothing more.
class PromiseWaiter implements Waiter {
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(readonly resolve: () => void, readonly reject: (reason: unknown) => void) {}
  wake(): void {
    this.resolve();
  }
  fail(reason: unknown): void {
    this.reject(reason);
  }
}

/**
 * Internal to the package (the net layer drives every read and write with
 * it): one operation that {@linkcode Registration.io}'s loop runs, as an
 * object rather than an async function. A read parked on an idle socket
 * then costs this object and the caller's one promise, not a chain of
 * suspended async frames (about 2 KiB each at 19,000 idle conns). The loop
 * calls `attempt()` at once, and again after each event that says ready;
 * exactly one of `done` or `fail` is called, once. Neither may throw.
 */
export abstract class IoOp {
  /** READABLE or WRITABLE: set by {@linkcode startIo}. */
  bit = 0;
  /** The caller's signal (undefined: none), honoured while parked. */
  signal: AbortSignal | undefined;
  /** The abort listener while parked with a signal. */
  onAbort: (() => void) | undefined = undefined;

  /** An operation that `signal` may abandon while it waits. */
  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
  }

  /** The syscall: its result, or WOULD_BLOCK to wait for the next event. May throw (then `fail`). */
  abstract attempt(): number;
  /** The first result that was not WOULD_BLOCK. */
  abstract done(n: number): void;
  /** What `attempt` threw, BadResource once inert, or the signal's reason. */
  abstract fail(reason: unknown): void;

  /** The registration's call when an event ends the wait: try again. */
  wake(registration: Registration): void {
    resume(registration, this);
  }
}

// An io() call from outside the net layer: the caller's function and promise.
class FunctionOp extends IoOp {
  constructor(
    readonly run: () => number,
    readonly resolve: (n: number) => void,
    readonly reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    super(signal);
  }
  attempt(): number {
    return this.run();
  }
  done(n: number): void {
    this.resolve(n);
  }
  fail(reason: unknown): void {
    this.reject(reason);
  }
}

// Waiters of one direction: none, one (almost always), or several in
// arrival order. An array only when a second one comes.
type Waiters = Waiter | Waiter[] | null;

function added(waiters: Waiters, waiter: Waiter): Waiters {
  if (waiters === null) return waiter;
  if (Array.isArray(waiters)) {
    waiters.push(waiter);
    return waiters;
  }
  return [waiters, waiter];
}

function removed(waiters: Waiters, waiter: Waiter): Waiters {
  if (waiters === waiter) return null;
  if (!Array.isArray(waiters)) return waiters;
  const at = waiters.indexOf(waiter);
  if (at >= 0) waiters.splice(at, 1);
  return waiters.length === 0 ? null : waiters;
}

// Stops listening for the abort: the wait is over either way.
function unparked(waiter: Waiter): Waiter {
  if (waiter.onAbort !== undefined) {
    removeListener.call(waiter.signal!, "abort", waiter.onAbort);
    waiter.onAbort = undefined;
  }
  return waiter;
}

// All are unparked before any wakes: a woken op's attempt runs now, and may
// abort another waiter's signal. Still listening, that waiter would fail and
// then be woken anyway, its attempt taking bytes for a rejected promise.
function wakeAll(waiters: Waiters, registration: Registration): void {
  if (!Array.isArray(waiters)) return unparked(waiters!).wake(registration);
  for (const w of waiters) unparked(w);
  for (const w of waiters) w.wake(registration);
}

function failAll(waiters: Waiters, error: unknown): void {
  if (waiters === null) return;
  if (!Array.isArray(waiters)) unparked(waiters).fail(error);
  else for (const w of waiters) unparked(w).fail(error);
}

/** Throws a TypeError unless `handler` is a function or undefined. */
export function checkHandler(handler: unknown): void {
  if (handler !== undefined && typeof handler !== "function") {
    throw new TypeError(
      `the handler must be a function or undefined, got ${handler === null ? "null" : typeof handler}`,
    );
  }
}

// Set by Registration's static block: only the reactor makes and detaches
// registrations (a detached one would leave the reactor counting it forever).
let make: (
  owner: RegistrationOwner,
  fd: number,
  generation: number,
  events: number,
  handler: ReadyHandler | undefined,
) => Registration;
let detachRegistration: (registration: Registration, message: string) => void;
let deliver: (registration: Registration, events: number) => void;
let resume: (registration: Registration, op: IoOp) => void;
let retry: (registration: Registration, bit: number) => void;
let making = false; // only `make` may construct (the constructor is private in TypeScript only)

/** Made by `Reactor.register`: a new registration of `fd` (the arguments already checked). */
export function createRegistration(
  owner: RegistrationOwner,
  fd: number,
  generation: number,
  events: number,
  handler: ReadyHandler | undefined,
): Registration {
  return make(owner, fd, generation, events, handler);
}

/** Called by the reactor with each event of a batch (the kernel's bits: not checked again). */
export function dispatchEvent(registration: Registration, events: number): void {
  deliver(registration, events);
}

/**
 * Internal to the package: runs `op` as `registration.io(direction, …)`
 * would (attempt now, wait for events, retry), reporting to `op` instead of
 * a promise. `op.signal` abandons a wait.
 */
export function startIo(registration: Registration, direction: Direction, op: IoOp): void {
  op.bit = direction === "read" ? READABLE : WRITABLE;
  resume(registration, op);
}

/**
 * Internal to the package: tries every io() parked on `direction` again
 * now, leaving the readiness cache as it is, because something its attempt
 * checks has changed (the net layer: a deadline was set). An op that still
 * gets WOULD_BLOCK parks again; readable()/writable() waits stay parked.
 */
export function retryParked(registration: Registration, direction: Direction): void {
  retry(registration, direction === "read" ? READABLE : WRITABLE);
}

/** Called by the reactor once the fd is out of the set: the registration goes inert, its waits reject. */
export function detach(registration: Registration, message: string): void {
  detachRegistration(registration, message);
}

/**
 * An fd registered with a reactor (`Reactor.register` makes them). Stale,
 * and inert, once deregistered or once its reactor is closed.
 *
 * ```ts
 * import { Reactor, WOULD_BLOCK } from "@libc/epoll";
 * import { AF_UNIX, close, read, SOCK_NONBLOCK, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const reactor = new Reactor();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * using reg = reactor.register(a, { readable: true, trigger: "edge" }); // deregistered at scope end
 * setTimeout(() => write(b, new TextEncoder().encode("hi")), 5);
 * const buf = new Uint8Array(16);
 * for (;;) {
 *   await reg.readable(); // a hint: try the read
 *   const n = read(a, buf);
 *   if (n !== WOULD_BLOCK) {
 *     console.log(new TextDecoder().decode(buf.subarray(0, n))); // hi
 *     break;
 *   }
 *   reg.clearReadable(); // EAGAIN seen: wait for the next edge
 * }
 * reg.deregister();
 * close(a);
 * close(b);
 * await reactor.close();
 * ```
 *
 * Readiness answered from the cache (`readable()` / `writable()` when no
 * EAGAIN was seen since the last event) spends the reactor's cooperative
 * budget: when it runs out, the promise resolves only after a macrotask
 * yield, so a task that loops on `await reg.readable()` without ever
 * clearing readiness still lets timers and other I/O run.
 */
export class Registration implements Disposable {
  readonly #fd: number;
  readonly #generation: number;
  #owner: RegistrationOwner | null;
  #gone = ""; // why it went inert, for the BadResource messages
  #events: number;
  #handler: ReadyHandler | undefined;
  #state = 0; // READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | KNOWN… | UNREF
  #readers: Waiters = null;
  #writers: Waiters = null;

  private constructor(
    owner: RegistrationOwner,
    fd: number,
    generation: number,
    events: number,
    handler: ReadyHandler | undefined,
  ) {
    if (!making) throw new TypeError("a Registration is made by Reactor.register(), not by new");
    this.#owner = owner;
    this.#fd = fd;
    this.#generation = generation;
    this.#events = events;
    this.#handler = handler;
  }

  static {
    make = (owner, fd, generation, events, handler) => {
      making = true;
      try {
        return new Registration(owner, fd, generation, events, handler);
      } finally {
        making = false;
      }
    };
    detachRegistration = (registration, message) => registration.#detach(message);
    deliver = (registration, events) => registration.#dispatch(events);
    resume = (registration, op) => registration.#run(op);
    retry = (registration, bit) => registration.#retryParked(bit);
  }

  /** The registered fd. */
  get fd(): number {
    return this.#fd;
  }

  /** The generation tag in the high half of `epoll_event.data`, so a reused fd number gets no stale events. */
  get generation(): number {
    return this.#generation;
  }

  /** The EPOLL* interest bits. */
  get events(): number {
    return this.#events;
  }

  /** False once deregistered (or its reactor closed). */
  get active(): boolean {
    return this.#owner !== null;
  }

  #goneError(): Deno.errors.BadResource {
    return new Deno.errors.BadResource(`fd ${this.#fd} is no longer registered: ${this.#gone}`);
  }

  #live(): RegistrationOwner {
    if (this.#owner === null) throw this.#goneError();
    return this.#owner;
  }

  /**
   * Changes the interest (EPOLL_CTL_MOD); also how an EPOLLONESHOT
   * registration is rearmed. Checked as `Reactor.register` checks it: an
   * {@linkcode Interest} or EPOLL* bits that ask for something to wait for.
   */
  modify(interest: Interest | number): void {
    const owner = this.#live();
    const events = interestEvents(interest);
    owner.modify(this, events);
    this.#events = events;
  }

  /**
   * Resolves when the cache says readable: at once if no EAGAIN was seen
   * since the last event (within the cooperative budget; see the class doc).
   * Rejects with `BadResource` once inert, with the signal's reason on abort.
   */
  readable(signal?: AbortSignal): Promise<void> {
    return this.#state & READABLE ? this.#cached(READABLE, signal) : this.#wait(READABLE, signal);
  }

  /** Resolves when the cache says writable; as `readable()`. */
  writable(signal?: AbortSignal): Promise<void> {
    return this.#state & WRITABLE ? this.#cached(WRITABLE, signal) : this.#wait(WRITABLE, signal);
  }

  /**
   * Call right after a read-side EAGAIN (or a short stream read, which
   * proves the same): the next `readable()` waits for a new event. Once the
   * peer has shut down or hung up (EPOLLRDHUP / EPOLLHUP seen), this does
   * nothing: reads no longer block, and no further edge would come.
   */
  clearReadable(): void {
    this.#clear(READABLE);
  }

  /** Call right after a write-side EAGAIN (or a short write); as `clearReadable()`, final after EPOLLHUP. */
  clearWritable(): void {
    this.#clear(WRITABLE);
  }

  // READABLE or WRITABLE: not ready until the next event, unless final.
  #clear(bit: number): void {
    if ((this.#state & (bit << 2)) !== 0) return; // READ_CLOSED / WRITE_CLOSED
    this.#state = (this.#state & ~bit) | (bit << KNOWN_SHIFT);
  }

  /**
   * Runs a nonblocking operation to completion, tokio's `AsyncFd::async_io`:
   * calls `attempt()` (which makes the syscall and returns its result); on
   * `WOULD_BLOCK` clears `direction`'s readiness and waits for the next
   * event, then tries again. Each attempt spends one unit of the reactor's
   * cooperative budget, yielding a macrotask when it runs out, so a fd that
   * is always ready cannot hold the thread. Resolves with the first result
   * that is not `WOULD_BLOCK`; rejects with what `attempt` throws, with
   * `BadResource` once deregistered, or with `signal`'s reason.
   *
   * ```ts
   * import { Reactor, WOULD_BLOCK } from "@libc/epoll";
   * import { close, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "@libc/epoll/ffi";
   *
   * const reactor = new Reactor();
   * const efd = eventfd(0, EFD_NONBLOCK);
   * const reg = reactor.register(efd, { readable: true, trigger: "edge" });
   * setTimeout(() => eventfd_write(efd, 3), 10);
   * const n = await reg.io("read", () => eventfd_read(efd)); // WOULD_BLOCK until the write
   * console.log(n, n === WOULD_BLOCK); // 3 false
   * reg.deregister();
   * close(efd);
   * await reactor.close();
   * ```
   */
  io(direction: Direction, attempt: () => number, signal?: AbortSignal): Promise<number> {
    if (direction !== "read" && direction !== "write") {
      return Promise.reject(new TypeError(`direction must be "read" or "write", got ${describe(direction)}`));
    }
    if (typeof attempt !== "function") {
      return Promise.reject(new TypeError(`attempt must be a function, got ${describe(attempt)}`));
    }
    return new Promise((resolve, reject) => {
      startIo(this, direction, new FunctionOp(attempt, resolve, reject, signal));
    });
  }

  // io()'s loop, from the top or after an event: known not ready (a
  // WOULD_BLOCK or short transfer since the last event) waits for the next
  // event rather than ask the kernel again; each attempt spends budget.
  #run(op: IoOp): void {
    let owner: RegistrationOwner;
    try {
      owner = this.#live();
    } catch (err) {
      return op.fail(err);
    }
    if ((this.#state & (op.bit << KNOWN_SHIFT)) !== 0) return this.#park(op.bit, op, op.signal);
    if (owner.consumeBudget()) return this.#attempt(op);
    owner.yield().then(() => this.#afterYield(op), (err) => op.fail(err));
  }

  // Deregistered during the yield: the fd may be closed, its number reused.
  #afterYield(op: IoOp): void {
    if (this.#owner === null) return op.fail(this.#goneError());
    this.#attempt(op);
  }

  #attempt(op: IoOp): void {
    let n: number;
    try {
      n = op.attempt();
    } catch (err) {
      return op.fail(err);
    }
    if (n !== WOULD_BLOCK) return op.done(n);
    this.#clear(op.bit);
    this.#park(op.bit, op, op.signal); // sticky-closed (nothing cleared): wait anyway
  }

  #retryParked(bit: number): void {
    const waiters = bit === READABLE ? this.#readers : this.#writers;
    if (waiters === null) return;
    const ops: IoOp[] = [];
    let rest: Waiters = null; // readable()/writable() promises: no attempt to run
    for (const w of Array.isArray(waiters) ? waiters : [waiters]) {
      if (w instanceof IoOp) ops.push(w);
      else rest = added(rest, w);
    }
    if (bit === READABLE) this.#readers = rest;
    else this.#writers = rest;
    for (const op of ops) unparked(op); // all first, as an event does (see wakeAll)
    for (const op of ops) this.#attempt(op);
  }

  /** Whether this registration keeps the process alive while the reactor waits (the default). */
  get refed(): boolean {
    return (this.#state & UNREF) === 0;
  }

  /** Keeps the process alive while the reactor waits on this fd (the default). */
  ref(): void {
    if ((this.#state & UNREF) === 0 || this.#owner === null) return;
    this.#state &= ~UNREF;
    this.#owner.setRef(this, true);
  }

  /**
   * Lets the process exit while the reactor waits only on unref'd fds, as
   * `Deno.Conn.unref()` does: a pending `readable()` then does not keep it
   * alive.
   */
  unref(): void {
    if ((this.#state & UNREF) !== 0 || this.#owner === null) return;
    this.#state |= UNREF;
    this.#owner.setRef(this, false);
  }

  // Ready from the cache: costs one unit of budget. Without it a task that
  // never clears readiness would spin on resolved promises (microtasks) and
  // starve every timer and I/O callback. Out of budget, it resolves after a
  // macrotask yield and looks at the cache again.
  #cached(which: number, signal: AbortSignal | undefined): Promise<void> {
    const refusal = this.#refusal(signal);
    if (refusal !== NONE) return Promise.reject(refusal);
    if (this.#owner!.consumeBudget()) return RESOLVED;
    return this.#owner!.yield().then(() =>
      which === READABLE ? this.readable(signal) : this.writable(signal)
    );
  }

  #wait(bit: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.#park(bit, new PromiseWaiter(resolve, reject), signal)
    );
  }

  // Why a wait cannot start (inert, a signal that is not an AbortSignal, an
  // aborted one), or NONE.
  #refusal(signal: AbortSignal | undefined): unknown {
    if (this.#owner === null) return this.#goneError();
    if (signal === undefined) return NONE;
    let aborted: boolean;
    try {
      aborted = signalAborted.call(signal);
    } catch {
      return new TypeError("signal must be an AbortSignal or undefined");
    }
    return aborted ? signalReason.call(signal) : NONE;
  }

  // Parks `waiter` until the next event in `bit`'s direction, or fails it
  // at once when the wait cannot start.
  #park(bit: number, waiter: Waiter, signal: AbortSignal | undefined): void {
    const refusal = this.#refusal(signal);
    if (refusal !== NONE) return waiter.fail(refusal);
    if (signal !== undefined) {
      waiter.signal = signal;
      waiter.onAbort = () => {
        waiter.onAbort = undefined;
        if (bit === READABLE) this.#readers = removed(this.#readers, waiter);
        else this.#writers = removed(this.#writers, waiter);
        waiter.fail(signalReason.call(signal));
      };
      addListener.call(signal, "abort", waiter.onAbort, { once: true });
    }
    if (bit === READABLE) this.#readers = added(this.#readers, waiter);
    else this.#writers = added(this.#writers, waiter);
  }

  /**
   * Injects an event, as if epoll had reported `events` (EPOLL* bits, an
   * integer in [0, 2^32)): updates the cache, runs the handler, wakes
   * waiters. Every caller must tolerate spurious events anyway, so this is
   * safe, and useful in tests.
   */
  dispatch(events: number): void {
    if (!Number.isInteger(events) || events < 0 || events > 0xffffffff) {
      throw new RangeError(`events must be EPOLL* bits, an integer in [0, 2^32), got ${describe(events)}`);
    }
    this.#dispatch(events);
  }

  // The reactor's path, events straight from the kernel: no checks.
  #dispatch(events: number): void {
    if (this.#owner === null) return;
    let ready = 0;
    if (events & READ_EVENTS) ready |= READABLE;
    if (events & WRITE_EVENTS) ready |= WRITABLE;
    if (events & READ_FINAL) ready |= READ_CLOSED;
    if (events & WRITE_FINAL) ready |= WRITE_CLOSED;
    this.#state = (this.#state | ready) & ~(ready << KNOWN_SHIFT);
    if (this.#handler !== undefined) {
      const owner = this.#owner; // held: the handler may deregister before it throws
      try {
        this.#handler(events, this);
      } catch (err) {
        owner.reportError(err, this);
      }
    }
    if (ready & READABLE && this.#readers !== null) {
      const readers = this.#readers;
      this.#readers = null; // an op that waits again parks anew
      wakeAll(readers, this);
    }
    if (ready & WRITABLE && this.#writers !== null) {
      const writers = this.#writers;
      this.#writers = null;
      wakeAll(writers, this);
    }
  }

  /** Removes the fd from the reactor (EPOLL_CTL_DEL) and rejects pending waits. Idempotent. */
  deregister(): void {
    const owner = this.#owner;
    if (owner === null) return;
    owner.deregister(this);
  }

  #detach(message: string): void {
    if (this.#owner === null) return;
    this.#owner = null;
    this.#gone = message;
    this.#handler = undefined;
    this.#state &= UNREF;
    const readers = this.#readers;
    const writers = this.#writers;
    this.#readers = this.#writers = null;
    failAll(readers, this.#goneError());
    failAll(writers, this.#goneError());
  }

  /** Same as `deregister()`, for `using`. */
  [Symbol.dispose](): void {
    this.deregister();
  }
}
