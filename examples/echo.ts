/**
 * echo.ts: the classic epoll echo server on @libc/epoll. It is
 * examples/echo.c call for call; the numbered steps match its comments. The
 * one change: C blocks in `epoll_wait(…, -1)`, and here that line is
 * `await poller.wait()`, so Deno's event loop (signals, timers) keeps running.
 *
 *   deno task echo --port 7777 --mode et      # then: nc 127.0.0.1 7777
 *
 * `--workers N` (N > 1) hands off to examples/echo_workers.ts, which runs
 * this file's `EchoServer` in N Workers.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { format as formatBytes } from "@std/fmt/bytes";
import {
  accept4,
  AF_INET,
  bind,
  CLOCK_MONOTONIC,
  close,
  EFD_CLOEXEC,
  encodeIp,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLET,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  ErrnoError,
  eventfd,
  getsockname,
  type IpAddr,
  listen,
  MSG_NOSIGNAL,
  read,
  send,
  setsockopt,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socket,
  SOL_SOCKET,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  timerfd_create,
  timerfd_settime,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import { Poller } from "../reactor/mod.ts";

const MAX_EVENTS = 256;
const BUF_SIZE = 65536; // one read; also the most output a conn may hold back
const SWEEPS_PER_TIMEOUT = 8; // a conn idle for idleTimeout ms is closed at most idleTimeout/8 later
const SWEEP_MIN_MS = 10; // but the sweep runs at most every 10 ms
const MAX_MS = 2 ** 31 - 1; // --idle-timeout: about 24.8 days

/** Server settings from the command line. */
export interface Options {
  hostname: string;
  port: number;
  et: boolean;
  maxConns: number;
  reusePort: boolean;
  busyWait: number | undefined;
  /** ms with no byte read or written after which a conn is closed (0: never). */
  idleTimeout: number;
}

/** struct conn: echo not yet written because the peer is not reading. */
interface ConnState {
  pending: Uint8Array | null;
  off: number;
  last: number; // when a byte was last read or written: the `now` of that batch
}

/** The totals printed at exit. */
export interface Totals {
  connections: number;
  bytes: number;
  peak: number;
  /** Connections closed by the idle sweep. */
  idleClosed: number;
}

/**
 * open_conns and peak_conns of echo.c, against --max-conns (0: no limit).
 * echo_workers.ts shares one count across its Workers, so that the limit is
 * the process's.
 */
export class ConnCount {
  /** The most connections open at once. */
  peak = 0;
  #open = 0;

  /** A count for at most `max` open connections (0: no limit). */
  constructor(readonly max: number) {}

  /** One more open connection, unless `max` are open already. */
  admit(): boolean {
    if (this.max > 0 && this.#open >= this.max) return false;
    if (++this.#open > this.peak) this.peak = this.#open;
    return true;
  }

  /** One fewer. */
  release(): void {
    this.#open--;
  }
}

/** One server loop: a listener, an epoll set, its poller. echo_workers.ts runs one per Worker. */
export class EchoServer {
  readonly totals: Omit<Totals, "peak"> = { connections: 0, bytes: 0, idleClosed: 0 };
  readonly conns: (ConnState | undefined)[] = [];
  readonly buf = new Uint8Array(BUF_SIZE);
  readonly et: number;
  readonly listenFd: number;
  readonly epfd: number;
  readonly poller: Poller;
  running = true;
  reserve = eventfd(0, EFD_CLOEXEC); // libuv's EMFILE trick: an fd to give back
  now = 0; // ms on the monotonic clock (performance.now()), read once per poller.wait() batch
  readonly timerFd: number; // the idle sweep's timerfd, in the epoll set (-1: off)
  readonly sweepMs: number; // its period: idleTimeout / SWEEPS_PER_TIMEOUT, at least SWEEP_MIN_MS
  sweepArmed = false;
  readonly expirations = new Uint8Array(8);

  constructor(readonly opts: Options, readonly count: ConnCount = new ConnCount(opts.maxConns)) {
    this.et = opts.et ? EPOLLET : 0;
    this.sweepMs = Math.max(opts.idleTimeout / SWEEPS_PER_TIMEOUT, SWEEP_MIN_MS);

    // Step 1: a nonblocking listening socket.
    this.listenFd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
    setsockopt(this.listenFd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (opts.reusePort) setsockopt(this.listenFd, SOL_SOCKET, SO_REUSEPORT, 1);
    bind(this.listenFd, encodeIp(opts.hostname, opts.port));
    listen(this.listenFd, 4096);

    // Step 2: the epoll instance.
    this.epfd = epoll_create1(EPOLL_CLOEXEC);

    // Step 3: register the listener for EPOLLIN; with --idle-timeout, the
    // sweep's timerfd too (step 9; armed only while conns are open).
    epoll_ctl(this.epfd, EPOLL_CTL_ADD, this.listenFd, EPOLLIN | this.et);
    this.timerFd = opts.idleTimeout > 0 ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) : -1;
    if (this.timerFd >= 0) epoll_ctl(this.epfd, EPOLL_CTL_ADD, this.timerFd, EPOLLIN);
    // settleTurns 0: every handler below is synchronous, so when a batch is done there is no continuation
    // left to run before the thread blocks (the settle would cost ~1 µs a wait for nothing).
    this.poller = new Poller(this.epfd, {
      maxEvents: MAX_EVENTS,
      busyWaitMicros: opts.busyWait,
      settleTurns: 0,
    });
  }

  get port(): number {
    return (getsockname(this.listenFd) as IpAddr).port;
  }

  // Step 4: the event loop.
  async run(): Promise<void> {
    while (this.running) {
      const events = await this.poller.wait(); // C: epoll_wait(epfd, events, MAX_EVENTS, -1)
      this.now = performance.now(); // one clock read per batch: the time of every transfer in it
      for (let i = 0; i < events.length; i++) {
        const fd = events.data(i);
        const c = this.conns[fd];
        if (fd === this.listenFd) this.onListener();
        else if (fd === this.timerFd) this.sweep();
        else if (c === undefined) continue; // closed earlier in this batch
        else if (c.pending !== null) this.onWritable(fd, c);
        else this.onReadable(fd, c);
      }
    }
  }

  /** Runs the idle sweep every `periodMs`; 0 disarms it. */
  setSweep(periodMs: number): void {
    timerfd_settime(this.timerFd, 0, periodMs, periodMs);
    this.sweepArmed = periodMs > 0;
  }

  setInterest(fd: number, events: number): void {
    epoll_ctl(this.epfd, EPOLL_CTL_MOD, fd, events | this.et);
  }

  closeConn(fd: number): void {
    epoll_ctl(this.epfd, EPOLL_CTL_DEL, fd);
    close(fd);
    this.conns[fd] = undefined;
    this.count.release(); // C: open_conns--
  }

  /** Writes until done or EAGAIN; keeps the rest and waits for EPOLLOUT. Throws on a dead peer. */
  sendOrKeep(fd: number, c: ConnState, len: number): void {
    let done = 0;
    while (done < len) {
      const n = send(fd, done === 0 ? this.buf : this.buf.subarray(done), MSG_NOSIGNAL, len - done);
      if (n === WOULD_BLOCK) break;
      done += n;
    }
    this.totals.bytes += done;
    if (done === len) return;
    c.pending = this.buf.slice(done, len);
    c.off = 0;
    this.setInterest(fd, EPOLLOUT); // OUT only: no IN, no RDHUP until the peer catches up (see onWritable)
  }

  // Step 6: read and echo. ET drains to EAGAIN; LT takes one read per event.
  onReadable(fd: number, c: ConnState): void {
    try {
      for (;;) {
        const n = read(fd, this.buf);
        if (n > 0) {
          c.last = this.now;
          this.sendOrKeep(fd, c, n);
          if (c.pending !== null || !this.et) return;
          continue;
        }
        if (n === 0) this.closeConn(fd); // EOF: everything was echoed
        return; // n === WOULD_BLOCK
      }
    } catch (err) {
      if (!(err instanceof ErrnoError)) throw err;
      this.closeConn(fd); // ECONNRESET, EPIPE
    }
  }

  // Step 7: the peer made room: flush, then read again. Until then the interest
  // is EPOLLOUT alone: in LT mode an EPOLLRDHUP from a peer that half-closed
  // but does not read would be reported on every epoll_wait, a busy loop.
  onWritable(fd: number, c: ConnState): void {
    const pending = c.pending!;
    try {
      while (c.off < pending.length) {
        const n = send(fd, pending.subarray(c.off), MSG_NOSIGNAL);
        if (n === WOULD_BLOCK) return;
        c.off += n;
        this.totals.bytes += n;
        c.last = this.now;
      }
    } catch (err) {
      if (!(err instanceof ErrnoError)) throw err;
      this.closeConn(fd);
      return;
    }
    c.pending = null;
    this.setInterest(fd, EPOLLIN | EPOLLRDHUP); // an EOF that came meanwhile is read now
    this.onReadable(fd, c);
  }

  // Step 5: accept. ET takes every pending connection; LT one per event.
  onListener(): void {
    for (;;) {
      let fd: number;
      try {
        fd = accept4(this.listenFd, SOCK_NONBLOCK | SOCK_CLOEXEC);
      } catch (err) {
        if (err instanceof ErrnoError && err.code === "ECONNABORTED") continue;
        if (err instanceof ErrnoError && (err.code === "EMFILE" || err.code === "ENFILE")) this.shed();
        return;
      }
      if (fd === WOULD_BLOCK) return;
      if (!this.count.admit()) {
        close(fd); // refuse cleanly: the client sees EOF
        continue;
      }
      this.conns[fd] = { pending: null, off: 0, last: this.now };
      epoll_ctl(this.epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | this.et);
      this.totals.connections++;
      if (this.timerFd >= 0 && !this.sweepArmed) this.setSweep(this.sweepMs);
      if (!this.et) return;
    }
  }

  // Step 9: the idle sweep, at each tick of the timerfd: close every conn with
  // no byte read or written for idleTimeout ms. It runs only while conns are
  // open: onListener arms it, and a sweep that leaves none disarms it, so a
  // server without connections is never woken. Each tick costs one pass over
  // the fd table (conns.length slots), every idleTimeout/8.
  sweep(): void {
    let left = 0;
    if (read(this.timerFd, this.expirations) === WOULD_BLOCK) return; // disarmed meanwhile
    for (let fd = 0; fd < this.conns.length; fd++) {
      const c = this.conns[fd];
      if (c === undefined) continue;
      if (this.now - c.last < this.opts.idleTimeout) {
        left++;
        continue;
      }
      this.closeConn(fd);
      this.totals.idleClosed++;
    }
    if (left === 0) this.setSweep(0);
  }

  /**
   * Out of fds: free the reserve, accept-and-close the backlog, take the
   * reserve back. It may still be short (-1): it is taken again at the next
   * shed. Returns how many connections were shed.
   */
  shed(): number {
    let n = 0;
    if (this.reserve >= 0) close(this.reserve);
    for (;;) {
      let fd: number;
      try {
        fd = accept4(this.listenFd, SOCK_CLOEXEC);
      } catch {
        break;
      }
      if (fd === WOULD_BLOCK) break;
      close(fd);
      n++;
    }
    this.reserve = eventfdOrMinusOne();
    return n;
  }

  stop(): void {
    this.running = false;
    this.poller.wake();
  }

  /** What to print at exit: echo.c's three totals. */
  summary(): Totals {
    return { ...this.totals, peak: this.count.peak };
  }

  // Step 8: stop and report.
  async close(): Promise<void> {
    for (let fd = 0; fd < this.conns.length; fd++) if (this.conns[fd] !== undefined) this.closeConn(fd);
    await this.poller.close();
    close(this.listenFd);
    close(this.epfd);
    if (this.timerFd >= 0) close(this.timerFd);
    if (this.reserve >= 0) close(this.reserve);
  }
}

/** C's `eventfd(0, EFD_CLOEXEC)`, which returns -1 on failure (EMFILE) where the wrapper throws. */
function eventfdOrMinusOne(): number {
  try {
    return eventfd(0, EFD_CLOEXEC);
  } catch (err) {
    if (!(err instanceof ErrnoError)) throw err;
    return -1;
  }
}

function usage(): string {
  return `Usage: deno task echo [options]

  --hostname HOST     address to listen on (default 127.0.0.1)
  --port N            port (default 7777; 0 picks a free one)
  --mode et|lt        edge- or level-triggered (default et)
  --workers N         N Workers, each with its own epoll set on a SO_REUSEPORT listener (default 1)
  --max-conns N       close connections beyond N open ones at once (default 0: no limit)
  --reuse-port        SO_REUSEPORT on the listener: several processes can share the port
                      (--workers sets it on its own listeners)
  --idle-timeout MS   close a connection after MS ms with no byte read or written (default 0: off);
                      swept every MS/8 ms (at least 10 ms), so it goes within one period of MS
  --busy-wait US      how long the main thread keeps waiting in the kernel with nothing arriving before
                      it parks on the poll worker, in µs (default 1000; 0: park at once)
  --help              this text

Prints "listening on HOST:PORT" when ready; SIGINT/SIGTERM stop it and print the totals.`;
}

function parseOptions(args: string[]): (Options & { workers: number }) | null {
  const known = ["hostname", "mode", "port", "workers", "max-conns", "busy-wait", "idle-timeout"] as const;
  const flags = parseArgs(args, {
    string: known,
    boolean: ["help", "reuse-port"],
    default: {
      hostname: "127.0.0.1",
      port: "7777",
      mode: "et",
      workers: "1",
      "max-conns": "0",
      "idle-timeout": "0",
    },
    alias: { help: "h" },
    unknown: (arg) => {
      throw new TypeError(`unknown argument ${arg} (see --help)`);
    },
  });
  if (flags.help) return null;
  const int = (name: string, min: number, max: number): number => {
    const text = String(flags[name]);
    const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(v >= min && v <= max)) {
      throw new RangeError(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
    }
    return v;
  };
  if (flags.mode !== "et" && flags.mode !== "lt") throw new RangeError("--mode must be et or lt");
  const workers = int("workers", 1, 256);
  return {
    hostname: flags.hostname,
    port: int("port", 0, 65535),
    et: flags.mode === "et",
    maxConns: int("max-conns", 0, 1 << 30),
    reusePort: flags["reuse-port"] === true || workers > 1,
    busyWait: flags["busy-wait"] === undefined ? undefined : int("busy-wait", 0, 1_000_000),
    idleTimeout: int("idle-timeout", 0, MAX_MS),
    workers,
  };
}

/**
 * Resolves at the first SIGINT or SIGTERM. The listeners go in before
 * "listening on" is printed and are never removed: a second signal while the
 * server shuts down (Ctrl-C twice, or a terminal's and `deno task`'s) finds a
 * listener, not Deno's default action (exit 130, no totals). They do not keep
 * the process alive.
 */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}

/** The poller's counters, whatever fields `PollerStats` has. */
export function pollerLine(stats: object): string {
  return `poller: ${Object.entries(stats).map(([name, value]) => `${name} ${value}`).join(", ")}`;
}

/** The last lines the server prints: the idle closes, then the totals (the tests and the benchmark read it). */
export function report(t: Totals): void {
  console.log(`idle closed: ${t.idleClosed}`);
  console.log(
    `connections: ${t.connections}, bytes echoed: ${formatBytes(t.bytes)} (${t.bytes}), ` +
      `peak connections: ${t.peak}`,
  );
}

/** Runs one server here until SIGINT/SIGTERM. */
async function serveHere(opts: Options): Promise<void> {
  const stopped = stopSignal();
  const server = new EchoServer(opts);
  stopped.then(() => server.stop());
  console.log(`listening on ${opts.hostname}:${server.port}`);
  await server.run();
  const stats = { ...server.poller.stats };
  await server.close();
  console.log(pollerLine(stats));
  report(server.summary());
}

/**
 * Parses the flags and serves until SIGINT/SIGTERM, then exits at once: an
 * exit by the end of the event loop tears down the signal listeners first,
 * and a SIGINT in that gap would end the process with 130.
 */
async function main(args: string[]): Promise<void> {
  try {
    const opts = parseOptions(args);
    if (opts === null) console.log(usage());
    else if (opts.workers > 1) await (await import("./echo_workers.ts")).serveWorkers(opts, opts.workers);
    else await serveHere(opts);
  } catch (err) {
    console.error(`echo: ${err instanceof Error ? err.message : err}`);
    Deno.exitCode = 1;
  }
  Deno.exit();
}

// Not a top-level await: echo_workers.ts imports this module, which must
// have finished evaluating by then.
if (import.meta.main) main(Deno.args);
