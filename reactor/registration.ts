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

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

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
const READ_FINAL: number = EPOLLRDHUP | EPOLLHUP;
const WRITE_FINAL: number = EPOLLHUP;
const RESOLVED: Promise<void> = Promise.resolve();

function settle(waiters: Waiter[], error?: unknown): void {
  for (const w of waiters) {
    if (w.onAbort !== undefined) w.signal!.removeEventListener("abort", w.onAbort);
    if (error === undefined) w.resolve();
    else w.reject(error);
  }
}

/** Throws a TypeError unless `handler` is a function or undefined. */
export function checkHandler(handler: unknown): void {
  if (handler !== undefined && typeof handler !== "function") {
    throw new TypeError(
      `the handler must be a function or undefined, got ${handler === null ? "null" : typeof handler}`,
    );
  }
}

// A rejection, as the other failures of readable() / writable() are.
function rejectBadSignal(signal: unknown): Promise<never> | null {
  if (signal === undefined || signal instanceof AbortSignal) return null;
  return Promise.reject(new TypeError("signal must be an AbortSignal or undefined"));
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
  #ready = 0;
  // Directions known not to be ready: set by a clear (after WOULD_BLOCK or a
  // short transfer), reset by the next event. io() waits for an event first
  // only then, so a fresh registration tries its syscall at once and a short
  // read saves the syscall that would only say EAGAIN.
  #known = 0;
  #ref = true;
  #readers: Waiter[] = [];
  #writers: Waiter[] = [];

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
    return this.#ready & READABLE ? this.#cached(READABLE, signal) : this.#wait(this.#readers, signal);
  }

  /** Resolves when the cache says writable; as `readable()`. */
  writable(signal?: AbortSignal): Promise<void> {
    return this.#ready & WRITABLE ? this.#cached(WRITABLE, signal) : this.#wait(this.#writers, signal);
  }

  /**
   * Call right after a read-side EAGAIN (or a short stream read, which
   * proves the same): the next `readable()` waits for a new event. Once the
   * peer has shut down or hung up (EPOLLRDHUP / EPOLLHUP seen), this does
   * nothing: reads no longer block, and no further edge would come.
   */
  clearReadable(): void {
    if ((this.#ready & READ_CLOSED) !== 0) return;
    this.#ready &= ~READABLE;
    this.#known |= READABLE;
  }

  /** Call right after a write-side EAGAIN (or a short write); as `clearReadable()`, final after EPOLLHUP. */
  clearWritable(): void {
    if ((this.#ready & WRITE_CLOSED) !== 0) return;
    this.#ready &= ~WRITABLE;
    this.#known |= WRITABLE;
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
  async io(direction: Direction, attempt: () => number, signal?: AbortSignal): Promise<number> {
    if (direction !== "read" && direction !== "write") {
      throw new TypeError(`direction must be "read" or "write", got ${describe(direction)}`);
    }
    if (typeof attempt !== "function") {
      throw new TypeError(`attempt must be a function, got ${describe(attempt)}`);
    }
    const read = direction === "read";
    const bit = read ? READABLE : WRITABLE;
    for (;;) {
      const owner = this.#live();
      // Known not ready (a WOULD_BLOCK or short transfer since the last
      // event): wait for the next event rather than ask the kernel again.
      if ((this.#known & bit) !== 0) await this.#wait(read ? this.#readers : this.#writers, signal);
      if (!owner.consumeBudget()) await owner.yield();
      const n = attempt();
      if (n !== WOULD_BLOCK) return n;
      if (read) this.clearReadable();
      else this.clearWritable();
      if ((this.#known & bit) === 0) await this.#wait(read ? this.#readers : this.#writers, signal); // sticky-closed: wait anyway
    }
  }

  /** Whether this registration keeps the process alive while the reactor waits (the default). */
  get refed(): boolean {
    return this.#ref;
  }

  /** Keeps the process alive while the reactor waits on this fd (the default). */
  ref(): void {
    if (this.#ref || this.#owner === null) return;
    this.#ref = true;
    this.#owner.setRef(this, true);
  }

  /**
   * Lets the process exit while the reactor waits only on unref'd fds, as
   * `Deno.Conn.unref()` does: a pending `readable()` then does not keep it
   * alive.
   */
  unref(): void {
    if (!this.#ref || this.#owner === null) return;
    this.#ref = false;
    this.#owner.setRef(this, false);
  }

  // Ready from the cache: costs one unit of budget. Without it a task that
  // never clears readiness would spin on resolved promises (microtasks) and
  // starve every timer and I/O callback. Out of budget, it resolves after a
  // macrotask yield and looks at the cache again.
  #cached(which: number, signal: AbortSignal | undefined): Promise<void> {
    const owner = this.#owner;
    if (owner === null) return Promise.reject(this.#goneError());
    const bad = rejectBadSignal(signal);
    if (bad !== null) return bad;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (owner.consumeBudget()) return RESOLVED;
    return owner.yield().then(() => which === READABLE ? this.readable(signal) : this.writable(signal));
  }

  #wait(waiters: Waiter[], signal: AbortSignal | undefined): Promise<void> {
    if (this.#owner === null) return Promise.reject(this.#goneError());
    const bad = rejectBadSignal(signal);
    if (bad !== null) return bad;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal !== undefined) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      waiters.push(waiter);
    });
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
    this.#ready |= ready;
    this.#known &= ~ready;
    if (this.#handler !== undefined) {
      const owner = this.#owner; // held: the handler may deregister before it throws
      try {
        this.#handler(events, this);
      } catch (err) {
        owner.reportError(err, this);
      }
    }
    if (ready & READABLE && this.#readers.length > 0) this.#wake("r");
    if (ready & WRITABLE && this.#writers.length > 0) this.#wake("w");
  }

  #wake(which: "r" | "w"): void {
    const waiters = which === "r" ? this.#readers : this.#writers;
    if (which === "r") this.#readers = [];
    else this.#writers = [];
    settle(waiters);
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
    this.#ready = 0;
    const waiters = [...this.#readers, ...this.#writers];
    this.#readers = [];
    this.#writers = [];
    settle(waiters, this.#goneError());
  }

  /** Same as `deregister()`, for `using`. */
  [Symbol.dispose](): void {
    this.deregister();
  }
}
