/**
 * Go's connection deadlines and an idle timeout, for a million connections:
 * {@linkcode ConnTimers} keeps a conn's read and write deadlines and its idle
 * limit as plain numbers, so moving one (on every read, say) is a field
 * write: O(1), no syscall, no allocation. One entry in the reactor's
 * {@linkcode TimerWheel} per conn, at most, is what wakes it; when it fires
 * early (the deadline moved later meanwhile) it is simply put back at the
 * new time, once, as Netty's idle handler does.
 *
 * @module
 */

import { describe } from "../ffi/checks.ts";
import type { Reactor } from "../reactor/mod.ts";
import { type Expirable, TimerWheel, type WheelEntry } from "../reactor/wheel.ts";

const wheels = new WeakMap<Reactor, TimerWheel>();

/** The reactor's timing wheel, made on first use and driven by one of its timers. */
export function wheelOf(reactor: Reactor): TimerWheel {
  let wheel = wheels.get(reactor);
  if (wheel === undefined) {
    wheel = new TimerWheel({
      schedule: (delayMs, fire) => {
        const timer = reactor.setTimer(delayMs, fire);
        return () => reactor.clearTimer(timer);
      },
      reportError: (err) => reportError(err),
    });
    wheels.set(reactor, wheel);
  }
  return wheel;
}

/** A read or a write. */
export type Direction = "read" | "write";

/** Called when the idle limit passes: close the conn, pending calls rejecting with `reason`. */
export type IdleExpired = (reason: Error) => void;

/**
 * Converts a Go-style deadline (`Date`, epoch ms, or `null` for none) to
 * `performance.now()` ms (Infinity for none). A deadline in the past is fine:
 * calls then time out at once.
 */
export function toMonotonic(t: Date | number | null): number {
  if (t === null) return Infinity;
  const epoch = t instanceof Date ? t.getTime() : t;
  if (typeof epoch !== "number" || !Number.isFinite(epoch)) {
    throw new TypeError(`a deadline is a Date, epoch milliseconds or null, got ${describeTime(t)}`);
  }
  return epoch - Date.now() + performance.now();
}

function describeTime(value: unknown): string {
  return value instanceof Date ? "an invalid Date" : describe(value);
}

/** Checks an idle limit: an integer number of ms in [0, 2^31), 0 meaning off. */
export function checkIdleMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > 2 ** 31 - 1) {
    throw new RangeError(`an idle timeout is an integer in [0, 2^31) ms (0: off), got ${describe(ms)}`);
  }
}

/** A conn's deadlines and idle limit; made only when one is set, so most conns carry none. */
export class ConnTimers implements Expirable {
  readonly #idleExpired: IdleExpired;
  readonly #wheel: TimerWheel;
  #read = Infinity;
  #write = Infinity;
  #idleMs = 0;
  #lastActive = performance.now();
  #entry: WheelEntry | null = null;
  #readWait: AbortController | null = null;
  #writeWait: AbortController | null = null;

  /** Timers for a conn that `idleExpired` closes, woken by `wheel`. */
  constructor(idleExpired: IdleExpired, wheel: TimerWheel) {
    this.#idleExpired = idleExpired;
    this.#wheel = wheel;
  }

  /** Sets one direction's deadline (monotonic ms; Infinity clears it). A pending call past it times out now. */
  setDeadline(direction: Direction, at: number): void {
    if (direction === "read") this.#read = at;
    else this.#write = at;
    if (performance.now() >= at) this.#timeOut(direction);
    else this.#schedule();
  }

  /** Sets the idle limit in ms (0: off), counted from now. */
  setIdle(ms: number): void {
    this.#idleMs = ms;
    this.#lastActive = performance.now();
    this.#schedule();
  }

  /** Whether `direction` has a deadline (else calls wait for as long as it takes). */
  hasDeadline(direction: Direction): boolean {
    return (direction === "read" ? this.#read : this.#write) !== Infinity;
  }

  /** A byte moved: the idle clock starts again. One field write, no timer touched. */
  touch(): void {
    if (this.#idleMs > 0) this.#lastActive = performance.now();
  }

  /** Throws `TimedOut` when `direction`'s deadline has passed: checked before every attempt, as Go does. */
  check(direction: Direction): void {
    if (performance.now() >= (direction === "read" ? this.#read : this.#write)) throw timedOut(direction);
  }

  /**
   * The signal a wait in `direction` should honour: aborted with `TimedOut`
   * at the deadline (combined with the caller's own), or the caller's own
   * when there is no deadline.
   */
  signal(direction: Direction, caller: AbortSignal | undefined): AbortSignal | undefined {
    if ((direction === "read" ? this.#read : this.#write) === Infinity) return caller;
    let wait = direction === "read" ? this.#readWait : this.#writeWait;
    if (wait === null) {
      wait = new AbortController();
      if (direction === "read") this.#readWait = wait;
      else this.#writeWait = wait;
      this.#schedule();
    }
    return caller === undefined ? wait.signal : AbortSignal.any([wait.signal, caller]);
  }

  /** The wheel's call: time out what is due, close an idle conn, or go back in for what is left. */
  expire(): void {
    this.#entry = null;
    const now = performance.now();
    if (this.#idleMs > 0 && now >= this.#lastActive + this.#idleMs) {
      this.#idleExpired(new Deno.errors.TimedOut(`no byte read or written for ${this.#idleMs} ms`));
      return;
    }
    if (now >= this.#read) this.#timeOut("read");
    if (now >= this.#write) this.#timeOut("write");
    this.#schedule();
  }

  /** Cancels the wheel entry (the conn is closing). */
  stop(): void {
    if (this.#entry !== null) this.#wheel.cancel(this.#entry);
    this.#entry = null;
    this.#idleMs = 0;
    this.#readWait = this.#writeWait = null;
  }

  #timeOut(direction: Direction): void {
    const wait = direction === "read" ? this.#readWait : this.#writeWait;
    if (direction === "read") this.#readWait = null;
    else this.#writeWait = null;
    wait?.abort(timedOut(direction));
  }

  // One wheel entry, at the earliest time something may be due: an idle
  // limit, or a deadline some call is waiting under. An entry that fires no
  // later than that stays: it will put itself back when it fires.
  #schedule(): void {
    let next = this.#idleMs > 0 ? this.#lastActive + this.#idleMs : Infinity;
    if (this.#readWait !== null && this.#read < next) next = this.#read;
    if (this.#writeWait !== null && this.#write < next) next = this.#write;
    if (next === Infinity) return;
    if (this.#entry !== null) {
      if (this.#entry.tick <= Math.ceil(next / this.#wheel.tickMs)) return;
      this.#wheel.cancel(this.#entry);
    }
    this.#entry = this.#wheel.add(next, this);
  }
}

/** The error a call past its deadline rejects with: `Deno.errors.TimedOut`, as Go's `os.ErrDeadlineExceeded`. */
export function timedOut(direction: Direction): Deno.errors.TimedOut {
  return new Deno.errors.TimedOut(`${direction} deadline exceeded`);
}
