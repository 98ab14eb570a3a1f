/**
 * {@linkcode Listener}: a listening socket with the shape of
 * `Deno.Listener`. `accept()` takes connections with
 * `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` until EAGAIN, retries ECONNABORTED
 * and EPROTO, and survives fd exhaustion with libuv's reserve-fd trick.
 *
 * @module
 */

import { checkFd, EFD_CLOEXEC, eventfd, SockAddrBuffer } from "../ffi/mod.ts";
import { Reactor, type Registration } from "../reactor/mod.ts";
import type { Addr } from "./addr.ts";
import { Conn, type IoOptions } from "./conn.ts";
import { checkIoOptions } from "./errors.ts";
import * as sys from "./sys.ts";
import { checkIdleMs } from "./deadlines.ts";

// libuv's EMFILE trick: one fd kept in reserve. When accept4 fails for want
// of fds, release it, accept the pending connections and close them at once
// (the clients see a clean close instead of hanging in the backlog), then take
// the reserve again. Without it a level-ready listener would spin. Another
// thread (a Worker) may take the freed number first: then the retake fails,
// and the next exhaustion backs off instead.
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
    sys.close(reserve);
    reserve = -1;
  }
  let shed = 0;
  for (;;) {
    const conn = sys.accept(fd);
    if (conn === sys.ACCEPT_RETRY) continue;
    if (conn < 0) break; // WOULD_BLOCK, or still no fd: the backlog keeps them
    sys.close(conn);
    shed++;
  }
  takeReserve();
  return shed;
}

let removeOnClose: (listener: Listener, path: string) => void;

/** For `listen()`: the Unix socket file it bound at `path` is removed when `listener` closes. */
export function unlinkOnClose(listener: Listener, path: string): void {
  removeOnClose(listener, path);
}

/**
 * A listening socket; iterate it or call `accept()`. Breaking out of
 * `for await` closes it, as Deno's does.
 *
 * ```ts
 * import { connect, listen } from "@libc/epoll";
 *
 * using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * for await (const conn of listener) {
 *   console.log("accepted", conn.remoteAddr);
 *   conn.close();
 *   break; // closes the listener
 * }
 * client.close();
 * ```
 */
export class Listener<A extends Addr = Addr> implements AsyncIterable<Conn<A>>, Disposable, AsyncDisposable {
  /** The listening fd (owned: closed by `close()`). */
  readonly fd: number;
  readonly #reactor: Reactor;
  readonly #reg: Registration;
  readonly #addr: A;
  readonly #peer = new SockAddrBuffer();
  readonly #idleTimeout: number;
  #unlinkPath: string | null = null; // the socket file listen() created, removed on close (as Go does)
  #closed = false;
  #shed = 0;
  #delay = 0;

  /**
   * Wraps a bound, listening, nonblocking `fd`, registering it with
   * `reactor`; the Listener owns it. `idleTimeout` (ms, 0: off) is given to
   * every accepted conn.
   */
  constructor(fd: number, reactor: Reactor, options: { idleTimeout?: number } = {}) {
    checkFd(fd);
    if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
    if (!(reactor instanceof Reactor)) throw new TypeError("reactor must be a Reactor");
    this.#idleTimeout = options.idleTimeout ?? 0;
    checkIdleMs(this.#idleTimeout);
    this.#addr = sys.localAddress(fd) as A; // read now: still readable after close(), as Deno's
    this.fd = fd;
    this.#reactor = reactor;
    this.#reg = reactor.register(fd, { readable: true, trigger: "edge" });
    takeReserve();
  }

  /** The bound address (the real port when listening on port 0). */
  get addr(): A {
    return this.#addr;
  }

  /** Connections closed unserved because the process ran out of fds (EMFILE/ENFILE). */
  get shedConnections(): number {
    return this.#shed;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The next connection. Rejects with BadResource once the listener is closed (also while waiting). */
  async accept(options?: IoOptions): Promise<Conn<A>> {
    const signal = checkIoOptions(options);
    for (;;) {
      this.#open();
      let fd: number;
      let peer: A | undefined;
      try {
        // The peer is decoded in the attempt, right after accept4 filled the
        // one #peer buffer: by the time this await resumes, another accept()
        // woken by the same event may have filled it with its own peer.
        fd = await this.#reg.io("read", () => {
          const got = this.#acceptOne();
          if (got >= 0) peer = this.#peerOf(got);
          return got;
        }, signal);
      } catch (err) {
        throw this.#closed && err instanceof Deno.errors.BadResource ? closedListener() : err;
      }
      if (fd >= 0) {
        this.#delay = 0;
        return this.#wrap(fd, peer!);
      }
      await this.#backoff(); // BACKOFF: out of fds with nothing to shed
    }
  }

  #open(): void {
    if (this.#closed) throw closedListener();
  }

  // One accept: an fd, WOULD_BLOCK (wait for the next edge), or BACKOFF.
  // Connections that died in the queue are skipped; at EMFILE the reserve fd
  // is spent to shed the backlog.
  #acceptOne(): number {
    for (;;) {
      this.#open();
      const fd = sys.accept(this.fd, this.#peer);
      if (fd !== sys.ACCEPT_RETRY && fd !== sys.ACCEPT_EXHAUSTED) return fd;
      if (fd === sys.ACCEPT_EXHAUSTED) {
        const shed = shedPending(this.fd);
        this.#shed += shed;
        if (shed === 0) return BACKOFF;
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

  // The peer accept4 just stored in #peer; the fd is closed if it cannot be decoded.
  #peerOf(fd: number): A {
    try {
      return this.#peer.decode("tcp") as A;
    } catch (err) {
      sys.close(fd);
      throw err;
    }
  }

  #wrap(fd: number, peer: A): Conn<A> {
    try {
      const conn = new Conn(fd, this.#reactor, peer);
      if (this.#idleTimeout > 0) conn.setIdleTimeout(this.#idleTimeout);
      return conn;
    } catch (err) {
      sys.close(fd); // e.g. the reactor closed meanwhile
      throw err;
    }
  }

  /** Yields connections until the listener is closed; `break` (the iterator's `return()`) closes it. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Conn<A>, void, undefined> {
    try {
      for (;;) {
        let conn: Conn<A>;
        try {
          conn = await this.accept();
        } catch (err) {
          if (this.#closed && err instanceof Deno.errors.BadResource) return;
          throw err;
        }
        yield conn;
      }
    } finally {
      this.close();
    }
  }

  /** Keeps the process alive while `accept()` waits (the default), as `Deno.Listener.ref()`. */
  ref(): void {
    this.#reg.ref();
  }

  /** Lets the process exit while `accept()` waits for connections, as `Deno.Listener.unref()`. */
  unref(): void {
    this.#reg.unref();
  }

  /** Stops listening; a pending `accept()` rejects with BadResource. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reg.deregister();
    sys.close(this.fd);
    if (this.#unlinkPath !== null) sys.removeSocketFile(this.#unlinkPath);
  }

  static {
    removeOnClose = (listener, path) => {
      listener.#unlinkPath = path;
    };
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

// #acceptOne's answer when out of fds with nothing to shed: wait, then retry.
const BACKOFF = -3;

function closedListener(): Deno.errors.BadResource {
  return new Deno.errors.BadResource("the listener is closed");
}
