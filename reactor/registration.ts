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

import { READ_EVENTS, WRITE_EVENTS } from "./interest.ts";

/** Called with the raw EPOLL* bits of each event (EPOLLERR and EPOLLHUP included). */
export type ReadyHandler = (events: number, registration: Registration) => void;

/** What a registration needs from its reactor. */
export interface RegistrationOwner {
  /** epoll_ctl(MOD) with the registration's data. */
  modify(registration: Registration, events: number): void;
  /** epoll_ctl(DEL) and forget. */
  deregister(registration: Registration): void;
  /** Where handler exceptions go. */
  reportError(err: unknown, registration: Registration): void;
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const READABLE = 1;
const WRITABLE = 2;
const RESOLVED: Promise<void> = Promise.resolve();

function settle(waiters: Waiter[], error?: unknown): void {
  for (const w of waiters) {
    if (w.onAbort !== undefined) w.signal!.removeEventListener("abort", w.onAbort);
    if (error === undefined) w.resolve();
    else w.reject(error);
  }
}

/** An fd registered with a reactor. Stale (and inert) once deregistered. */
export class Registration implements Disposable {
  /** The registered fd. */
  readonly fd: number;
  /** The generation tag in the high half of `epoll_event.data`, so a reused fd number gets no stale events. */
  readonly generation: number;
  #owner: RegistrationOwner | null;
  #events: number;
  #handler: ReadyHandler | undefined;
  #ready = 0;
  #readers: Waiter[] = [];
  #writers: Waiter[] = [];

  /** Made by `Reactor.register`. */
  constructor(
    owner: RegistrationOwner,
    fd: number,
    generation: number,
    events: number,
    handler?: ReadyHandler,
  ) {
    this.#owner = owner;
    this.fd = fd;
    this.generation = generation;
    this.#events = events;
    this.#handler = handler;
  }

  /** The EPOLL* interest bits. */
  get events(): number {
    return this.#events;
  }

  /** False once deregistered (or its reactor closed). */
  get active(): boolean {
    return this.#owner !== null;
  }

  #live(): RegistrationOwner {
    if (this.#owner === null) throw new Deno.errors.BadResource(`fd ${this.fd} is no longer registered`);
    return this.#owner;
  }

  /** Changes the interest (EPOLL_CTL_MOD); also how an EPOLLONESHOT registration is rearmed. */
  modify(events: number): void {
    this.#live().modify(this, events);
    this.#events = events;
  }

  /** Replaces the handler (or removes it with `undefined`). */
  setHandler(handler: ReadyHandler | undefined): void {
    this.#handler = handler;
  }

  /** Resolves when the cache says readable: at once if no EAGAIN was seen since the last event. */
  readable(signal?: AbortSignal): Promise<void> {
    return this.#ready & READABLE ? RESOLVED : this.#wait(this.#readers, signal);
  }

  /** Resolves when the cache says writable. */
  writable(signal?: AbortSignal): Promise<void> {
    return this.#ready & WRITABLE ? RESOLVED : this.#wait(this.#writers, signal);
  }

  /** Call right after a read-side EAGAIN: the next `readable()` waits for a new event. */
  clearReadable(): void {
    this.#ready &= ~READABLE;
  }

  /** Call right after a write-side EAGAIN: the next `writable()` waits for a new event. */
  clearWritable(): void {
    this.#ready &= ~WRITABLE;
  }

  #wait(waiters: Waiter[], signal: AbortSignal | undefined): Promise<void> {
    if (this.#owner === null) {
      return Promise.reject(new Deno.errors.BadResource(`fd ${this.fd} is no longer registered`));
    }
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

  /** Called by the reactor with each event: updates the cache, runs the handler, wakes waiters. */
  dispatch(events: number): void {
    let ready = 0;
    if (events & READ_EVENTS) ready |= READABLE;
    if (events & WRITE_EVENTS) ready |= WRITABLE;
    this.#ready |= ready;
    if (this.#handler !== undefined) {
      const owner = this.#owner!; // held: the handler may deregister before it throws
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

  /** Called by the reactor once the fd is out of the set: the registration goes inert. */
  detach(reason: unknown): void {
    this.#owner = null;
    this.#handler = undefined;
    const waiters = [...this.#readers, ...this.#writers];
    this.#readers = [];
    this.#writers = [];
    settle(waiters, reason);
  }

  /** Same as `deregister()`, for `using`. */
  [Symbol.dispose](): void {
    this.deregister();
  }
}
