/**
 * {@linkcode Listener}: a listening socket with the shape of
 * `Deno.Listener`. `accept()` takes connections with
 * `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` until EAGAIN, retries ECONNABORTED
 * and EPROTO, and survives fd exhaustion with libuv's reserve-fd trick.
 *
 * @module
 */

import {
  accept4,
  close,
  EFD_CLOEXEC,
  ErrnoError,
  eventfd,
  getsockname,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  type SockAddr,
  SockAddrBuffer,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import type { Reactor, Registration } from "../reactor/mod.ts";
import { Conn, type IoOptions } from "./conn.ts";
import { closedError, toDenoError } from "./errors.ts";

const ACCEPT_FLAGS = SOCK_NONBLOCK | SOCK_CLOEXEC;
const EMFILE = 24;
const ENFILE = 23;
// accept4 can fail for a connection that died in the queue; the next one is fine.
const RETRY_ERRNOS = new Set([103, /* ECONNABORTED */ 71, /* EPROTO */ 1 /* EPERM: firewall */]);
const RETRY = -2;
const BACKOFF = -3;

// libuv's EMFILE trick: one fd kept in reserve. When accept4 fails for want
// of fds, release it, accept the pending connections and close them at once
// (the clients see a clean close instead of hanging in the backlog), then take
// the reserve again. Without it a level-ready listener would spin.
let reserve = -1;

function takeReserve(): void {
  if (reserve < 0) {
    try {
      reserve = eventfd(0, EFD_CLOEXEC);
    } catch { /* still exhausted: try again next time */ }
  }
}

function shedPending(fd: number): number {
  if (reserve >= 0) {
    close(reserve);
    reserve = -1;
  }
  let shed = 0;
  for (;;) {
    let conn: number;
    try {
      conn = accept4(fd, ACCEPT_FLAGS);
    } catch {
      break; // still no fd (another thread took it): the backlog keeps them
    }
    if (conn === WOULD_BLOCK) break;
    close(conn);
    shed++;
  }
  takeReserve();
  return shed;
}

/** A listening socket; iterate it or call `accept()`. */
export class Listener implements AsyncIterable<Conn>, AsyncDisposable {
  /** The listening fd (owned: closed by `close()`). */
  readonly fd: number;
  readonly #reactor: Reactor;
  readonly #reg: Registration;
  #addr: SockAddr | null = null;
  #closed = false;
  #shed = 0;
  readonly #peer = new SockAddrBuffer();
  #delay = 0;

  /** Wraps a bound, listening, nonblocking `fd`, registering it with `reactor`. */
  constructor(fd: number, reactor: Reactor) {
    this.fd = fd;
    this.#reactor = reactor;
    this.#reg = reactor.register(fd, { readable: true, trigger: "edge" });
    takeReserve();
  }

  /** The bound address (the real port when listening on port 0). */
  get addr(): SockAddr {
    if (this.#closed) throw closedError("the listener");
    return this.#addr ??= getsockname(this.fd, "tcp");
  }

  /** Connections closed unserved because the process ran out of fds (EMFILE/ENFILE). */
  get shedConnections(): number {
    return this.#shed;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The next connection. Rejects with BadResource once the listener is closed. */
  async accept(options?: IoOptions): Promise<Conn> {
    for (;;) {
      if (this.#closed) throw closedError("the listener");
      if (!this.#reactor.consumeBudget()) await this.#reactor.yield();
      const fd = this.#tryAccept();
      if (fd >= 0) {
        this.#delay = 0;
        return this.#wrap(fd);
      }
      if (fd === WOULD_BLOCK) {
        this.#reg.clearReadable();
        await this.#reg.readable(options?.signal);
      } else if (fd === BACKOFF) {
        await this.#backoff();
      } else {
        this.#delay = 0;
      }
    }
  }

  // Out of fds with no reserve to shed with: wait (5 ms, doubling to 1 s, as
  // Go's net/http does) rather than spin on a listener that stays ready. A JS
  // timer, not the reactor's timerfd: creating that needs the fd we lack.
  #backoff(): Promise<void> {
    this.#delay = Math.min(this.#delay === 0 ? 5 : this.#delay * 2, 1000);
    return new Promise((resolve) => setTimeout(resolve, this.#delay));
  }

  /** One accept4: an fd, WOULD_BLOCK, RETRY to go round again, or BACKOFF. */
  #tryAccept(): number {
    try {
      return accept4(this.fd, ACCEPT_FLAGS, this.#peer);
    } catch (err) {
      if (!(err instanceof ErrnoError)) throw err;
      if (RETRY_ERRNOS.has(err.errno)) return RETRY;
      if (err.errno === EMFILE || err.errno === ENFILE) {
        const shed = shedPending(this.fd);
        this.#shed += shed;
        return shed > 0 ? RETRY : BACKOFF;
      }
      throw toDenoError(err);
    }
  }

  #wrap(fd: number): Conn {
    try {
      return new Conn(fd, this.#reactor, this.#peer.decode("tcp"));
    } catch (err) {
      close(fd); // e.g. the reactor closed meanwhile
      throw err;
    }
  }

  /** Yields connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Conn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (err) {
        if (this.#closed && err instanceof Deno.errors.BadResource) return;
        throw err;
      }
    }
  }

  /** Lets a parked reactor keep the process alive for this listener (the default). */
  ref(): void {
    this.#reactor.ref();
  }

  /** Lets the process exit while only waiting for connections (affects the whole reactor). */
  unref(): void {
    this.#reactor.unref();
  }

  /** Stops listening; a pending `accept()` rejects with BadResource. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reg.deregister();
    close(this.fd);
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
