/**
 * {@linkcode Conn}: a connected stream socket with the shape of `Deno.Conn`,
 * driven Go-style: every `read`/`write` first tries the syscall; only on
 * EAGAIN does it park a Promise on the fd's readiness (Go's netpoll parks a
 * goroutine there). One edge-triggered registration (IN | OUT | RDHUP) per
 * connection is made once and never modified.
 *
 * @module
 */

import {
  close,
  getpeername,
  getsockname,
  getsockopt,
  IPPROTO_TCP,
  MSG_NOSIGNAL,
  read,
  send,
  setsockopt,
  SHUT_WR,
  shutdown,
  SO_KEEPALIVE,
  type SockAddr,
  SOL_SOCKET,
  TCP_NODELAY,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import type { Reactor, Registration } from "../reactor/mod.ts";
import { closedError, toDenoError } from "./errors.ts";

/** Options for one `read` or `write`. */
export interface IoOptions {
  /** Abandons the wait (not a syscall in progress) with the signal's reason. */
  signal?: AbortSignal;
}

/** The conn's interest: all readiness, edge-triggered, registered once. */
export const CONN_INTEREST = {
  readable: true,
  writable: true,
  readClosed: true,
  trigger: "edge",
} as const;

const STREAM_CHUNK = 16 * 1024;

/** A connected socket: `read`, `write`, `closeWrite`, `close`, addresses and web streams. */
export class Conn implements Disposable {
  /** The socket fd (owned by the Conn: closed by `close()`). */
  readonly fd: number;
  readonly #reactor: Reactor;
  readonly #reg: Registration;
  #closed = false;
  #localAddr: SockAddr | null = null;
  #remoteAddr: SockAddr | null = null;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * Wraps a connected nonblocking `fd`, registering it with `reactor`.
   * `remoteAddr` is the peer as accept4/connect knew it (else getpeername).
   */
  constructor(fd: number, reactor: Reactor, remoteAddr?: SockAddr) {
    this.fd = fd;
    this.#remoteAddr = remoteAddr ?? null;
    this.#reactor = reactor;
    this.#reg = reactor.register(fd, CONN_INTEREST);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The local address (getsockname, read once). */
  get localAddr(): SockAddr {
    this.#open();
    return this.#localAddr ??= getsockname(this.fd, "tcp");
  }

  /** The peer's address (as accepted or connected to; else getpeername, read once). */
  get remoteAddr(): SockAddr {
    this.#open();
    return this.#remoteAddr ??= getpeername(this.fd, "tcp");
  }

  #open(): void {
    if (this.#closed) throw closedError("the connection");
  }

  /**
   * Reads into `p`: resolves with the count, or `null` at EOF (the peer
   * closed or shut down writing). Throws `Deno.errors.ConnectionReset` and
   * friends on errors, `BadResource` once closed.
   */
  async read(p: Uint8Array, options?: IoOptions): Promise<number | null> {
    if (p.byteLength === 0) return 0;
    for (;;) {
      this.#open();
      if (!this.#reactor.consumeBudget()) await this.#reactor.yield();
      let n: number;
      try {
        n = read(this.fd, p);
      } catch (err) {
        throw toDenoError(err);
      }
      if (n > 0) return n;
      if (n === 0) return null;
      this.#reg.clearReadable(); // saw EAGAIN: only a new edge makes it readable
      await this.#reg.readable(options?.signal);
    }
  }

  /**
   * Writes from `p`: resolves with the count written, at least 1 byte unless
   * `p` is empty (a partial write, like `Deno.Conn.write`; see `writeAll`).
   */
  async write(p: Uint8Array, options?: IoOptions): Promise<number> {
    if (p.byteLength === 0) return 0;
    for (;;) {
      this.#open();
      if (!this.#reactor.consumeBudget()) await this.#reactor.yield();
      let n: number;
      try {
        n = send(this.fd, p, MSG_NOSIGNAL);
      } catch (err) {
        throw toDenoError(err);
      }
      if (n !== WOULD_BLOCK) return n;
      this.#reg.clearWritable();
      await this.#reg.writable(options?.signal);
    }
  }

  /** Writes all of `p`, resuming partial writes on EPOLLOUT. */
  async writeAll(p: Uint8Array, options?: IoOptions): Promise<void> {
    for (let done = 0; done < p.byteLength;) {
      done += await this.write(p.subarray(done), options);
    }
  }

  /** Resolves when the socket is writable: room in the send buffer, or a nonblocking connect finished. */
  waitWritable(signal?: AbortSignal): Promise<void> {
    return this.#reg.writable(signal);
  }

  /** Shuts down the writing side (the peer reads EOF); reading goes on. */
  closeWrite(): Promise<void> {
    try {
      this.#open();
      shutdown(this.fd, SHUT_WR);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(toDenoError(err));
    }
  }

  /** Sets TCP_NODELAY (default true): small writes go out at once. */
  setNoDelay(noDelay = true): void {
    this.#open();
    setsockopt(this.fd, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0);
  }

  /** Sets SO_KEEPALIVE (default true). */
  setKeepAlive(keepAlive = true): void {
    this.#open();
    setsockopt(this.fd, SOL_SOCKET, SO_KEEPALIVE, keepAlive ? 1 : 0);
  }

  /** Whether TCP_NODELAY is set. */
  get noDelay(): boolean {
    this.#open();
    return getsockopt(this.fd, IPPROTO_TCP, TCP_NODELAY) !== 0;
  }

  /** Chunks read from the conn; cancelling it closes the conn. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const chunk = new Uint8Array(STREAM_CHUNK);
        const n = await this.read(chunk);
        if (n === null) {
          controller.close();
          return;
        }
        controller.enqueue(chunk.subarray(0, n));
      },
      cancel: () => this.close(),
    });
  }

  /** Writes every chunk in full; closing it shuts down writing, aborting it closes the conn. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.writeAll(chunk),
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
  }

  /**
   * Closes the socket; pending reads and writes reject with BadResource.
   * Unlike `Deno.Conn.close`, a second call is harmless.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reg.deregister(); // before close(): the fd number may be reused at once
    close(this.fd);
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
