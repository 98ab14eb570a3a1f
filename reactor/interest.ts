/**
 * {@linkcode Interest}: what a registration waits for, as named fields
 * rather than EPOLL* bits, and the conversion between the two.
 *
 * @module
 */

import {
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLMSG,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDBAND,
  EPOLLRDHUP,
  EPOLLRDNORM,
  EPOLLWAKEUP,
  EPOLLWRBAND,
  EPOLLWRNORM,
} from "../ffi/mod.ts";

/**
 * What to wait for on an fd, as named fields rather than EPOLL* bits.
 * EPOLLERR and EPOLLHUP are always reported; at least one of `readable`,
 * `writable`, `priority` and `readClosed` must be set.
 *
 * ```ts
 * import { type Interest, Reactor } from "@libc/epoll";
 * import { AF_UNIX, close, SOCK_NONBLOCK, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const reactor = new Reactor();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * const interest: Interest = { readable: true, readClosed: true, trigger: "edge" }; // EPOLLIN | EPOLLRDHUP | EPOLLET
 * const reg = reactor.register(a, interest);
 * console.log(reg.events === (0x001 | 0x2000 | 0x80000000)); // true
 * reg.deregister();
 * close(a);
 * close(b);
 * await reactor.close();
 * ```
 */
export interface Interest {
  /** EPOLLIN: data to read, a connection to accept, EOF. */
  readable?: boolean;
  /** EPOLLOUT: room to write, a connect finished. */
  writable?: boolean;
  /** EPOLLPRI: urgent data, sysfs/cgroup notifications. */
  priority?: boolean;
  /** EPOLLRDHUP: the peer shut down its writing side. */
  readClosed?: boolean;
  /** `"level"` (default): reported while ready. `"edge"` (EPOLLET): reported on each change; drain to EAGAIN. */
  trigger?: "level" | "edge";
  /** EPOLLONESHOT: report once, then stay disabled until `modify()`. */
  oneshot?: boolean;
  /** EPOLLEXCLUSIVE: wake only one of several epoll sets sharing the fd (not with `modify`). */
  exclusive?: boolean;
}

// Every bit epoll_ctl(2) knows. Anything else is a mistake (a POLL* or an
// O_* constant, a typo), and the kernel would ignore it silently.
const KNOWN_BITS = (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND |
  EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT |
  EPOLLET) >>> 0;

// The bits that wake readable() / writable() waiters (READ_EVENTS, WRITE_EVENTS):
// an interest needs one of them. EPOLLERR/EPOLLHUP come anyway; the rest are modes.
const WAIT_BITS = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP;

const FLAGS: Readonly<Record<string, number>> = {
  readable: EPOLLIN,
  writable: EPOLLOUT,
  priority: EPOLLPRI,
  readClosed: EPOLLRDHUP,
  oneshot: EPOLLONESHOT,
  exclusive: EPOLLEXCLUSIVE,
};

const KEYS = [...Object.keys(FLAGS), "trigger"].join(", ");

/**
 * The EPOLL* bits for an {@linkcode Interest}, or the number itself
 * (normalised `>>> 0`).
 *
 * A number must be an integer in [-2^31, 2^32) made of EPOLL* bits only
 * (`EPOLLIN | EPOLLET` is negative in JS, so the signed half is accepted);
 * anything else is a `RangeError` (non-integers a `TypeError`), never a
 * silent truncation. An object may carry only the fields of `Interest`,
 * booleans as booleans: `{ readable: "yes" }` or a misspelt `{ read: true }`
 * is a `TypeError`.
 */
export function toEvents(interest: Interest | number): number {
  if (typeof interest === "number") return checkBits(interest);
  if (interest === null || typeof interest !== "object") {
    throw new TypeError(`interest must be an Interest object or EPOLL* flags, got ${describe(interest)}`);
  }
  let ev = 0;
  for (const key in interest) {
    const value = (interest as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (key === "trigger") {
      if (value !== "level" && value !== "edge") {
        throw new TypeError(`interest.trigger must be "level" or "edge", got ${describe(value)}`);
      }
      if (value === "edge") ev |= EPOLLET;
      continue;
    }
    const bit = Object.hasOwn(FLAGS, key) ? FLAGS[key] : undefined;
    if (bit === undefined) throw new TypeError(`unknown Interest field "${key}" (known: ${KEYS})`);
    if (typeof value !== "boolean") {
      throw new TypeError(`interest.${key} must be a boolean, got ${describe(value)}`);
    }
    if (value) ev |= bit;
  }
  return ev >>> 0;
}

/**
 * {@linkcode toEvents}, then refuses an interest with nothing to wait for
 * (`{}`, `0`, `EPOLLERR | EPOLLHUP`, `{ trigger: "edge" }` alone): epoll
 * would report only errors and hang-ups, and a caller awaiting
 * `readable()` would wait forever. What `register()` and `modify()` use.
 */
export function interestEvents(interest: Interest | number): number {
  const events = toEvents(interest);
  if ((events & WAIT_BITS) === 0) {
    throw new TypeError(
      "the interest asks for nothing to wait for: pass { readable: true } and/or { writable: true } " +
        "(or EPOLLIN / EPOLLOUT / EPOLLPRI / EPOLLRDHUP); EPOLLERR and EPOLLHUP are reported anyway",
    );
  }
  return events;
}

function checkBits(n: number): number {
  if (!Number.isInteger(n)) throw new TypeError(`event flags must be an integer, got ${n}`);
  if (n < -(2 ** 31) || n >= 2 ** 32) {
    throw new RangeError(`event flags must be an integer in [-2^31, 2^32) (EPOLL* bits), got ${n}`);
  }
  const unknown = (n >>> 0) & ~KNOWN_BITS;
  if (unknown !== 0) {
    throw new RangeError(
      `event flags 0x${(n >>> 0).toString(16)} hold bits epoll does not know: 0x${
        (unknown >>> 0).toString(16)
      }`,
    );
  }
  return n >>> 0;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return String(value);
  return typeof value === "function" ? "a function" : "an object";
}

/** Event bits that make an fd count as readable: data, urgent data, EOF, hang-up, error. */
export const READ_EVENTS: number = EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
/** Event bits that make an fd count as writable: room, hang-up, error. */
export const WRITE_EVENTS: number = EPOLLOUT | EPOLLHUP | EPOLLERR;
