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
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
} from "../ffi/mod.ts";

/** What to wait for on an fd. EPOLLERR and EPOLLHUP are always reported. */
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

/** The EPOLL* bits for an {@linkcode Interest}, or the number itself (normalised `>>> 0`). */
export function toEvents(interest: Interest | number): number {
  if (typeof interest === "number") {
    if (!Number.isInteger(interest)) throw new TypeError(`event flags must be an integer, got ${interest}`);
    return interest >>> 0;
  }
  if (interest === null || typeof interest !== "object") {
    throw new TypeError("interest must be an Interest object or EPOLL* flags");
  }
  if (interest.trigger !== undefined && interest.trigger !== "level" && interest.trigger !== "edge") {
    throw new TypeError(`trigger must be "level" or "edge", got "${interest.trigger}"`);
  }
  let ev = 0;
  if (interest.readable) ev |= EPOLLIN;
  if (interest.writable) ev |= EPOLLOUT;
  if (interest.priority) ev |= EPOLLPRI;
  if (interest.readClosed) ev |= EPOLLRDHUP;
  if (interest.trigger === "edge") ev |= EPOLLET;
  if (interest.oneshot) ev |= EPOLLONESHOT;
  if (interest.exclusive) ev |= EPOLLEXCLUSIVE;
  return ev >>> 0;
}

/** Event bits that make an fd count as readable: data, urgent data, EOF, hang-up, error. */
export const READ_EVENTS: number = EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
/** Event bits that make an fd count as writable: room, hang-up, error. */
export const WRITE_EVENTS: number = EPOLLOUT | EPOLLHUP | EPOLLERR;
