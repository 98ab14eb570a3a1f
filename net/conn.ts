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
  checkFd,
  getsockopt,
  IPPROTO_TCP,
  setsockopt,
  SHUT_WR,
  shutdown,
  SO_KEEPALIVE,
  SOL_SOCKET,
  TCP_KEEPCNT,
  TCP_KEEPIDLE,
  TCP_KEEPINTVL,
  TCP_NODELAY,
} from "../ffi/mod.ts";
import { Reactor, type Registration } from "../reactor/mod.ts";
import { IoOp, retryParked, startIo } from "../reactor/registration.ts";
import type { Addr } from "./addr.ts";
import { checkBoolean, checkBytes, checkIoOptions, closedError, interruptedError } from "./errors.ts";
import * as sys from "./sys.ts";
import { checkIdleMs, ConnTimers, type Direction, toMonotonic, wheelOf } from "./deadlines.ts";

/**
 * When and how often TCP probes a silent peer (see `Conn.setKeepAlive`).
 *
 * ```ts
 * import type { KeepAliveTuning } from "@libc/epoll";
 *
 * const seedArticle: KeepAliveTuning = { idleMs: 30_000, intervalMs: 30_000, count: 2 }; // offline after ~90 s
 * console.log(seedArticle.count); // 2
 * ```
 */
export interface KeepAliveTuning {
  /** Silence before the first probe, in ms (TCP_KEEPIDLE; rounded up to seconds). */
  idleMs?: number;
  /** Time between probes, in ms (TCP_KEEPINTVL; rounded up to seconds). */
  intervalMs?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  count?: number;
}

// The setsockopt calls a tuning asks for, checked before any is made.
function keepAliveValues(tuning: KeepAliveTuning | undefined): [number, number][] {
  if (tuning === undefined) return [];
  if (tuning === null || typeof tuning !== "object") {
    throw new TypeError("keepalive tuning must be an object");
  }
  const out: [number, number][] = [];
  const seconds = (ms: unknown, name: string): number => {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || Math.ceil(ms / 1000) > 32767) {
      throw new RangeError(`${name} must be a number of ms in (0, 32767 s], got ${String(ms)}`);
    }
    return Math.ceil(ms / 1000);
  };
  if (tuning.idleMs !== undefined) out.push([TCP_KEEPIDLE, seconds(tuning.idleMs, "idleMs")]);
  if (tuning.intervalMs !== undefined) out.push([TCP_KEEPINTVL, seconds(tuning.intervalMs, "intervalMs")]);
  if (tuning.count !== undefined) {
    if (!Number.isInteger(tuning.count) || tuning.count < 1 || tuning.count > 127) {
      throw new RangeError(`count must be an integer in [1, 127], got ${String(tuning.count)}`);
    }
    out.push([TCP_KEEPCNT, tuning.count]);
  }
  return out;
}

let connectFinished: (conn: Conn, signal: AbortSignal | undefined) => Promise<void>;

/** Resolves when `conn`'s nonblocking connect has ended, well or not (read SO_ERROR next). For `connect()`. */
export function awaitConnect(conn: Conn, signal: AbortSignal | undefined): Promise<void> {
  return connectFinished(conn, signal);
}

/**
 * Options for one `read`, `write` or `accept`.
 *
 * ```ts
 * import { connect, type IoOptions, listen } from "@libc/epoll";
 *
 * using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const options: IoOptions = { signal: AbortSignal.timeout(20) }; // the peer never writes
 * try {
 *   await conn.read(new Uint8Array(8), options);
 * } catch (err) {
 *   console.log((err as Error).name); // TimeoutError
 * }
 * ```
 */
export interface IoOptions {
  /** Abandons the wait (not a syscall in progress) with the signal's reason. */
  signal?: AbortSignal;
}

// All readiness, edge-triggered, registered once.
const CONN_INTEREST = { readable: true, writable: true, readClosed: true, trigger: "edge" } as const;

// What a ConnIo does: read into the caller's buffer, write from it, or read
// into the shared scratch buffer for `readable` (resolving with a copy).
const READ = 0;
const WRITE = 1;
const SCRATCH = 2;
const KIND = 3; // the bits of kind that say which of the three
// kind's flag: the op's signal carries its direction's deadline (a deadline
// set while it waits then reaches it; see #setDeadline).
const TIMED = 4;

let attemptIo: (op: ConnIo) => number;
let endIo: (op: ConnIo, n: number) => void;
let failIo: (op: ConnIo, err: unknown) => void;

// One read or write of a Conn in flight: all it holds while it waits is
// this object and its promise's two functions (no async frame, no closure).
class ConnIo extends IoOp {
  constructor(
    readonly conn: Conn,
    public kind: number, // READ, WRITE or SCRATCH, | TIMED
    public buf: Uint8Array, // SCRATCH: the copy of what came, once it came
    readonly size: number,
    readonly resolve: (value: unknown) => void, // a count, null at EOF, or the SCRATCH copy
    readonly reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    super(signal);
  }
  attempt(): number {
    return attemptIo(this);
  }
  done(n: number): void {
    endIo(this, n);
  }
  fail(reason: unknown): void {
    failIo(this, reason);
  }
}

// The parts of a Conn that most conns never use (an echo server's idle conn
// uses none until it closes): one null field on the conn instead of five.
class ConnMore<A> {
  closeReason: Error | null = null; // what pending calls reject with when a timeout closed the conn
  timers: ConnTimers | null = null; // made when a deadline or idle limit is first set
  localAddr: A | null = null;
  readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
}

// The engine's own, so that a subarray method set on the caller's buffer is not what runs.
const subarray = Uint8Array.prototype.subarray;

// What `receive` (and `readable`'s default reader) reads into, shared by
// every conn and used only synchronously: a chunk is copied out before
// anything else runs.
const scratchBuffer = new ArrayBuffer(64 * 1024);
const scratch = new Uint8Array(scratchBuffer);
const set = Uint8Array.prototype.set;

// A private copy of the first `n` scratch bytes, made with the engine's own
// functions: `scratch.slice` would look `slice` (and the species
// constructor) up on the prototypes, where any code in the process could
// put a function that keeps `this`, the buffer holding every conn's bytes.
function scratchCopy(n: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(n);
  set.call(copy, new Uint8Array(scratchBuffer, 0, n));
  return copy;
}

/**
 * A connected socket: `read`, `write`, `closeWrite`, `close`, addresses and
 * web streams, as `Deno.Conn`.
 *
 * ```ts
 * import { connect, listen } from "@libc/epoll";
 *
 * await using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using server = await listener.accept();
 * await client.writeAll(new TextEncoder().encode("ping"));
 * const buf = new Uint8Array(4);
 * console.log(await server.read(buf), server.remoteAddr); // 4 { transport: "tcp", hostname: "127.0.0.1", port: … }
 * ```
 */
export class Conn<A extends Addr = Addr> implements Disposable {
  /** The socket fd (owned by the Conn: closed by `close()`). */
  readonly fd: number;
  readonly #reactor: Reactor;
  readonly #reg: Registration;
  #closed = false;
  #more: ConnMore<A> | null = null; // what most conns never use, made on first use
  #remoteAddr: A | null;

  /**
   * Wraps a connected nonblocking `fd`, registering it with `reactor`; the
   * Conn owns the fd from then on. `remoteAddr` is the peer as
   * accept4/connect knew it (else getpeername, on first use).
   */
  constructor(fd: number, reactor: Reactor, remoteAddr?: A) {
    checkFd(fd);
    if (!(reactor instanceof Reactor)) throw new TypeError("reactor must be a Reactor");
    this.fd = fd;
    this.#remoteAddr = remoteAddr ?? null;
    this.#reactor = reactor;
    this.#reg = reactor.register(fd, CONN_INTEREST);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The local address (getsockname, read once; still readable after `close()`, as Deno's). */
  get localAddr(): A {
    const more = this.#moreOf();
    if (more.localAddr === null) {
      this.#open();
      more.localAddr = sys.localAddress(this.fd) as A;
    }
    return more.localAddr;
  }

  /** The peer's address (as accepted or connected to; else getpeername, read once; kept after `close()`). */
  get remoteAddr(): A {
    if (this.#remoteAddr === null) {
      this.#open();
      this.#remoteAddr = sys.peerAddress(this.fd) as A;
    }
    return this.#remoteAddr;
  }

  #open(): void {
    if (this.#closed) throw closedError("the connection");
  }

  /**
   * Reads into `p`: resolves with the count, or `null` at EOF (the peer
   * closed or shut down writing). Rejects with `Deno.errors.ConnectionReset`
   * and friends on errors, `Interrupted` if the conn is closed while the read
   * waits, `BadResource` once closed.
   */
  read(p: Uint8Array, options?: IoOptions): Promise<number | null> {
    return this.#start(READ, p, "read", options) as Promise<number | null>;
  }

  /**
   * Writes from `p`: resolves with the count written, at least 1 byte unless
   * `p` is empty (a partial write, like `Deno.Conn.write`; see `writeAll`).
   */
  write(p: Uint8Array, options?: IoOptions): Promise<number> {
    return this.#start(WRITE, p, "write", options) as Promise<number>;
  }

  // A read or write: arguments checked (a rejection, as from an async
  // method), then the op runs: its first attempt now, in this call.
  #start(kind: number, p: Uint8Array, what: string, options: IoOptions | undefined): Promise<unknown> {
    let size: number;
    let signal: AbortSignal | undefined;
    try {
      size = checkBytes(p, what);
      signal = checkIoOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (size === 0) return Promise.resolve(0);
    return this.#io(kind, p, size, signal);
  }

  /**
   * Waits for bytes and resolves with a new array holding exactly the ones
   * that came (at most 64 KiB), or `null` at EOF; rejects as `read` does.
   * Unlike `read`, it holds no buffer while it waits: it reads into one
   * scratch buffer shared by every conn (synchronously, so no other read
   * can touch it) and copies out what came, as `Deno.DatagramConn.receive()`
   * without an argument allocates for you. An idle conn waiting in
   * `receive` costs only the conn and one promise.
   *
   * ```ts
   * import { connect, listen } from "@libc/epoll";
   *
   * await using listener = listen({ hostname: "127.0.0.1", port: 0 });
   * using client = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * using server = await listener.accept();
   * await client.writeAll(new TextEncoder().encode("ping"));
   * const chunk = await server.receive(); // a Uint8Array of exactly the 4 bytes
   * console.log(chunk?.length, new TextDecoder().decode(chunk!)); // 4 ping
   * client.close();
   * console.log(await server.receive()); // null
   * ```
   */
  receive(options?: IoOptions): Promise<Uint8Array<ArrayBuffer> | null> {
    // Deno.DatagramConn.receive(p) fills p: here a buffer would pass as
    // options and be ignored, the caller then reading its zeros.
    if (ArrayBuffer.isView(options)) {
      return Promise.reject(
        new TypeError(
          "receive takes options ({ signal }), not a buffer: it resolves with a new Uint8Array (read(p) fills yours)",
        ),
      );
    }
    let signal: AbortSignal | undefined;
    try {
      signal = checkIoOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#io(SCRATCH, scratch, scratch.byteLength, signal) as Promise<
      Uint8Array<ArrayBuffer> | null
    >;
  }

  /** Writes all of `p`, resuming partial writes on EPOLLOUT. */
  async writeAll(p: Uint8Array, options?: IoOptions): Promise<void> {
    const size = checkBytes(p, "writeAll"); // the true length: a redefined byteLength cannot make this loop spin
    for (let done = 0; done < size;) {
      done += await this.write(subarray.call(p, done) as Uint8Array, options);
    }
  }

  // The short-transfer rule (tokio #4840): a read or write that moved less
  // than asked proves the socket drained or full, so readiness is cleared and
  // the next call waits for an edge instead of a syscall that would only say
  // EAGAIN. Cleared here, in the same synchronous run as the syscall: after
  // an await, an event dispatched meanwhile would be wiped and its edge lost.
  #shortClears(direction: Direction, n: number, asked: number): number {
    if (n > 0 && n < asked) {
      if (direction === "read") this.#reg.clearReadable();
      else this.#reg.clearWritable();
    }
    return n;
  }

  // One read or write, to completion, through the registration's readiness
  // loop. Each attempt checks the conn is open and the deadline not passed
  // (Go checks it before every call, data waiting or not); a transfer
  // restarts the idle clock. A wait that the conn's own close() ended is
  // Interrupted, as in Deno (TimedOut when the idle limit closed it).
  #io(kind: number, buf: Uint8Array, size: number, caller: AbortSignal | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError("the connection")); // BadResource, as Deno
    const direction: Direction = kind === WRITE ? "write" : "read";
    let signal: AbortSignal | undefined;
    try {
      const timers = this.#more?.timers;
      signal = timers ? timers.signal(direction, caller) : caller;
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal !== caller) kind |= TIMED;
    return new Promise((resolve, reject) => {
      startIo(this.#reg, direction, new ConnIo(this, kind, buf, size, resolve, reject, signal));
    });
  }

  static {
    attemptIo = (op) => {
      const conn = op.conn;
      conn.#open();
      const kind = op.kind & KIND;
      const timers = conn.#more?.timers;
      if (timers) {
        const direction = kind === WRITE ? "write" : "read";
        timers.check(direction);
        // Begun with no deadline, set since: wait again under it, or it never fires for this op.
        if ((op.kind & TIMED) === 0 && timers.hasDeadline(direction)) {
          op.signal = timers.signal(direction, op.signal);
          op.kind |= TIMED;
        }
      }
      if (kind === WRITE) return conn.#shortClears("write", sys.send(conn.fd, op.buf), op.size);
      const n = conn.#shortClears("read", sys.read(conn.fd, op.buf), op.size);
      // The copy is made here, before anything else can run: the scratch buffer is every conn's.
      if (kind === SCRATCH && n > 0) op.buf = scratchCopy(n);
      return n;
    };
    endIo = (op, n) => {
      if (n > 0) op.conn.#more?.timers?.touch();
      const kind = op.kind & KIND;
      if (kind === WRITE) op.resolve(n);
      else if (n === 0) op.resolve(null);
      else op.resolve(kind === READ ? n : op.buf);
    };
    failIo = (op, err) => {
      const conn = op.conn;
      if (conn.#closed && err instanceof Deno.errors.BadResource) {
        op.reject(conn.#more?.closeReason ?? interruptedError("the connection"));
      } else op.reject(err);
    };
  }

  /**
   * Sets the read and write deadlines at once, as Go's `SetDeadline`: see
   * {@linkcode Conn.setReadDeadline}.
   */
  setDeadline(t: Date | number | null): void {
    const at = toMonotonic(t);
    this.#open();
    this.#setDeadline("read", at);
    this.#setDeadline("write", at);
  }

  /**
   * Go's `SetReadDeadline`: `t` is a `Date` or epoch milliseconds
   * (`Date.now() + 5000`), `null` to clear. Past it, pending and future
   * reads reject with `Deno.errors.TimedOut` (even if data is waiting);
   * moving the deadline makes the conn usable again. Moving it costs a field
   * write (no syscall, no timer), so resetting it before every read is fine.
   *
   * ```ts
   * import { connect, listen } from "@libc/epoll";
   *
   * await using listener = listen({ hostname: "127.0.0.1", port: 0 });
   * using conn = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * conn.setReadDeadline(Date.now() + 20); // the server never writes
   * try {
   *   await conn.read(new Uint8Array(16));
   * } catch (err) {
   *   console.log(err instanceof Deno.errors.TimedOut); // true
   * }
   * ```
   */
  setReadDeadline(t: Date | number | null): void {
    const at = toMonotonic(t);
    this.#open();
    this.#setDeadline("read", at);
  }

  /** Go's `SetWriteDeadline`: as {@linkcode Conn.setReadDeadline}, for writes. */
  setWriteDeadline(t: Date | number | null): void {
    const at = toMonotonic(t);
    this.#open();
    this.#setDeadline("write", at);
  }

  // Calls parked while the direction had no deadline wait without its
  // signal: the first deadline makes them try again now, and each attempt
  // checks the deadline and waits again under it. Moving a deadline that
  // exists stays a field write.
  #setDeadline(direction: Direction, at: number): void {
    const timers = this.#timersOf();
    const had = timers.hasDeadline(direction);
    timers.setDeadline(direction, at);
    if (!had && at !== Infinity) retryParked(this.#reg, direction);
  }

  /**
   * Closes the conn when no byte has been read or written for `ms`
   * milliseconds (0 turns it off); pending calls then reject with
   * `Deno.errors.TimedOut`. Each transfer restarts the clock for the cost of
   * one field write.
   */
  setIdleTimeout(ms: number): void {
    checkIdleMs(ms);
    this.#open();
    if (ms === 0 && !this.#more?.timers) return;
    this.#timersOf().setIdle(ms);
  }

  #moreOf(): ConnMore<A> {
    return this.#more ??= new ConnMore<A>();
  }

  #timersOf(): ConnTimers {
    const more = this.#moreOf();
    return more.timers ??= new ConnTimers((reason) => this.#closeWith(reason), wheelOf(this.#reactor));
  }

  #closeWith(reason: Error): void {
    if (this.#closed) return;
    this.#moreOf().closeReason = reason;
    this.close();
  }

  static {
    // For connect(): a nonblocking connect ends with EPOLLOUT (or an error).
    // Not a method: only the net layer waits on a conn's raw readiness.
    connectFinished = async (conn, signal) => {
      try {
        await conn.#reg.writable(signal);
      } catch (err) {
        if (conn.#closed && err instanceof Deno.errors.BadResource) throw interruptedError("the connection");
        throw err;
      }
    };
  }

  /** Whether this conn keeps the process alive while a call waits (the default). */
  get refed(): boolean {
    return this.#reg.refed;
  }

  /** Keeps the process alive while a read or write waits (the default), as `Deno.Conn.ref()`. */
  ref(): void {
    this.#reg.ref();
  }

  /**
   * Lets the process exit while this conn's calls wait, as
   * `Deno.Conn.unref()`: a pending `read` on an unref'd conn does not keep
   * the process alive (the nonblocking poll-worker strategy, the default).
   */
  unref(): void {
    this.#reg.unref();
  }

  /** Shuts down the writing side (the peer reads EOF); reading goes on. */
  closeWrite(): Promise<void> {
    try {
      this.#open();
      sys.call(() => shutdown(this.fd, SHUT_WR));
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sets TCP_NODELAY (default true): small writes go out at once. TCP only, as `Deno.TcpConn`. */
  setNoDelay(noDelay = true): void {
    checkBoolean(noDelay, "noDelay");
    this.#tcpOnly("setNoDelay");
    sys.call(() => setsockopt(this.fd, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0));
  }

  /**
   * Sets SO_KEEPALIVE (default true), TCP only, as `Deno.TcpConn`. The
   * optional `tuning` sets when the kernel starts probing a silent peer
   * (`idleMs`, TCP_KEEPIDLE), how often it probes (`intervalMs`,
   * TCP_KEEPINTVL) and how many unanswered probes drop the connection
   * (`count`, TCP_KEEPCNT); a dropped connection's calls reject with
   * `Deno.errors.TimedOut`. The kernel counts in whole seconds: times are
   * rounded up (1 ms becomes 1 s), within [1, 32767] s, and `count` is in
   * [1, 127].
   *
   * ```ts
   * import { connect, listen } from "@libc/epoll";
   *
   * using listener = listen({ hostname: "127.0.0.1", port: 0 });
   * using conn = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * conn.setKeepAlive(true, { idleMs: 30_000, intervalMs: 10_000, count: 3 }); // dead after ~60 s of silence
   * ```
   */
  setKeepAlive(keepAlive = true, tuning?: KeepAliveTuning): void {
    checkBoolean(keepAlive, "keepAlive");
    const values = keepAliveValues(tuning);
    this.#tcpOnly("setKeepAlive");
    sys.call(() => setsockopt(this.fd, SOL_SOCKET, SO_KEEPALIVE, keepAlive ? 1 : 0));
    for (const [option, value] of values) sys.call(() => setsockopt(this.fd, IPPROTO_TCP, option, value));
  }

  /** Whether TCP_NODELAY is set. TCP only. */
  get noDelay(): boolean {
    this.#tcpOnly("noDelay");
    return sys.call(() => getsockopt(this.fd, IPPROTO_TCP, TCP_NODELAY)) !== 0;
  }

  #tcpOnly(what: string): void {
    this.#open();
    if (this.localAddr.transport !== "tcp") {
      throw new Deno.errors.NotSupported(
        `${what} applies to TCP connections, not ${this.localAddr.transport}`,
      );
    }
  }

  /**
   * The conn as a byte stream (`type: "bytes"`: BYOB readers work), as
   * `Deno.Conn.readable`: it closes the conn at EOF and on an error, and
   * cancelling it closes the conn.
   *
   * Unlike Deno's, a default reader holds no buffer while it waits: the
   * stream waits for readiness first, reads into one scratch buffer shared
   * by every conn (synchronously, so no other read can touch it), and
   * enqueues a copy of just the bytes that came. Ten thousand idle conns
   * being read this way hold no read buffers at all.
   *
   * ```ts
   * import { type Conn, connect, listen } from "@libc/epoll";
   *
   * await using listener = listen({ hostname: "127.0.0.1", port: 0 });
   * const served = (async () => {
   *   const conn: Conn = await listener.accept();
   *   await conn.readable.pipeTo(conn.writable); // echo; at EOF both close the conn
   * })();
   * using client = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * await client.writeAll(new TextEncoder().encode("echo me"));
   * await client.closeWrite();
   * for await (const chunk of client.readable) console.log(new TextDecoder().decode(chunk)); // echo me
   * await served;
   * ```
   */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#moreOf().readable ??= new ReadableStream({
      type: "bytes",
      pull: (controller) => this.#pull(controller),
      cancel: () => this.close(),
    });
  }

  async #pull(controller: ReadableByteStreamController): Promise<void> {
    try {
      const request = controller.byobRequest; // a BYOB reader brought its own buffer
      if (request !== null) {
        const view = request.view!;
        const n = await this.read(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
        if (n === null) this.#endStream(controller, request);
        else request.respond(n);
        return;
      }
      const chunk = await this.receive(); // a copy: the scratch buffer is every conn's
      if (chunk === null) return this.#endStream(controller, null);
      controller.enqueue(chunk);
    } catch (err) {
      controller.error(err);
      this.close();
    }
  }

  #endStream(controller: ReadableByteStreamController, request: ReadableStreamBYOBRequest | null): void {
    this.close();
    controller.close();
    request?.respond(0);
  }

  /** Writes every chunk in full; closing or aborting it closes the conn, as `Deno.Conn.writable`. */
  get writable(): WritableStream<Uint8Array> {
    return this.#moreOf().writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.writeAll(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /**
   * Closes the socket; a pending `read` or `write` rejects with
   * `Deno.errors.Interrupted`, later calls with `BadResource`. The addresses
   * stay readable. Unlike `Deno.Conn.close`, a second call is harmless.
   */
  close(): void {
    if (this.#closed) return;
    this.#keepAddresses();
    this.#closed = true;
    this.#more?.timers?.stop();
    this.#reg.deregister(); // before close(): the fd number may be reused at once
    sys.close(this.fd);
  }

  // Deno caches both addresses at creation; we read them lazily (a syscall
  // per conn saved), so read what is missing before the fd goes. A socket
  // the peer reset has no peer name any more: that one stays unknown.
  #keepAddresses(): void {
    try {
      this.localAddr;
      this.remoteAddr;
    } catch { /* ENOTCONN after a reset: the getter throws later, as it would have */ }
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
