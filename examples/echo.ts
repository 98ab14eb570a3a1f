/**
 * echo.ts: the classic epoll echo server on @libc/epoll. It is
 * examples/echo.c call for call; the numbered steps match its comments. The
 * one change: C blocks in `epoll_wait(…, -1)`, and here that line is
 * `await poller.wait()`, so Deno's event loop (signals, timers) keeps running.
 *
 *   deno task echo --port 7777 --mode et      # then: nc 127.0.0.1 7777
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { format as formatBytes } from "@std/fmt/bytes";
import {
  accept4,
  AF_INET,
  bind,
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
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import { Poller } from "../reactor/mod.ts";

const MAX_EVENTS = 256;
const BUF_SIZE = 65536; // one read; also the most output a conn may hold back
const WORKER_NAME = "echo-worker";

/** Server settings from the command line. */
interface Options {
  hostname: string;
  port: number;
  et: boolean;
  maxConns: number;
  reusePort: boolean;
  busyWait: number | undefined;
}

/** struct conn: echo not yet written because the peer is not reading. */
interface ConnState {
  pending: Uint8Array | null;
  off: number;
}

/** The totals printed at exit. */
interface Totals {
  connections: number;
  bytes: number;
  peak: number;
}

/** One server loop: a listener, an epoll set, its poller. Workers each run one. */
class EchoServer {
  readonly totals: Totals = { connections: 0, bytes: 0, peak: 0 };
  readonly conns: (ConnState | undefined)[] = [];
  readonly buf = new Uint8Array(BUF_SIZE);
  readonly et: number;
  readonly listenFd: number;
  readonly epfd: number;
  readonly poller: Poller;
  openConns = 0;
  running = true;
  reserve = eventfd(0, EFD_CLOEXEC); // libuv's EMFILE trick: an fd to give back

  constructor(readonly opts: Options) {
    this.et = opts.et ? EPOLLET : 0;

    // Step 1: a nonblocking listening socket.
    this.listenFd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
    setsockopt(this.listenFd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (opts.reusePort) setsockopt(this.listenFd, SOL_SOCKET, SO_REUSEPORT, 1);
    bind(this.listenFd, encodeIp(opts.hostname, opts.port));
    listen(this.listenFd, 4096);

    // Step 2: the epoll instance.
    this.epfd = epoll_create1(EPOLL_CLOEXEC);

    // Step 3: register the listener for EPOLLIN.
    epoll_ctl(this.epfd, EPOLL_CTL_ADD, this.listenFd, EPOLLIN | this.et);
    this.poller = new Poller(this.epfd, { maxEvents: MAX_EVENTS, busyWaitMicros: opts.busyWait });
  }

  get port(): number {
    return (getsockname(this.listenFd) as IpAddr).port;
  }

  // Step 4: the event loop.
  async run(): Promise<void> {
    while (this.running) {
      const events = await this.poller.wait(); // C: epoll_wait(epfd, events, MAX_EVENTS, -1)
      for (let i = 0; i < events.length; i++) {
        const fd = events.data(i);
        const c = this.conns[fd];
        if (fd === this.listenFd) this.onListener();
        else if (c === undefined) continue; // closed earlier in this batch
        else if (c.pending !== null) this.onWritable(fd, c);
        else this.onReadable(fd, c);
      }
    }
  }

  setInterest(fd: number, events: number): void {
    epoll_ctl(this.epfd, EPOLL_CTL_MOD, fd, events | EPOLLRDHUP | this.et);
  }

  closeConn(fd: number): void {
    epoll_ctl(this.epfd, EPOLL_CTL_DEL, fd);
    close(fd);
    this.conns[fd] = undefined;
    this.openConns--;
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
    this.setInterest(fd, EPOLLOUT); // stop reading until the peer catches up
  }

  // Step 6: read and echo. ET drains to EAGAIN; LT takes one read per event.
  onReadable(fd: number, c: ConnState): void {
    try {
      for (;;) {
        const n = read(fd, this.buf);
        if (n > 0) {
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

  // Step 7: the peer made room: flush, then read again.
  onWritable(fd: number, c: ConnState): void {
    const pending = c.pending!;
    try {
      while (c.off < pending.length) {
        const n = send(fd, pending.subarray(c.off), MSG_NOSIGNAL);
        if (n === WOULD_BLOCK) return;
        c.off += n;
        this.totals.bytes += n;
      }
    } catch (err) {
      if (!(err instanceof ErrnoError)) throw err;
      this.closeConn(fd);
      return;
    }
    c.pending = null;
    this.setInterest(fd, EPOLLIN); // an EOF that came meanwhile is read now
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
      if (this.opts.maxConns > 0 && this.openConns >= this.opts.maxConns) {
        close(fd); // refuse cleanly: the client sees EOF
        continue;
      }
      this.conns[fd] = { pending: null, off: 0 };
      epoll_ctl(this.epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | this.et);
      this.totals.connections++;
      if (++this.openConns > this.totals.peak) this.totals.peak = this.openConns;
      if (!this.et) return;
    }
  }

  /** Out of fds: free the reserve, accept-and-close the backlog, take the reserve back. */
  shed(): void {
    close(this.reserve);
    for (;;) {
      let fd: number;
      try {
        fd = accept4(this.listenFd, SOCK_CLOEXEC);
      } catch {
        break;
      }
      if (fd === WOULD_BLOCK) break;
      close(fd);
    }
    this.reserve = eventfd(0, EFD_CLOEXEC);
  }

  stop(): void {
    this.running = false;
    this.poller.wake();
  }

  // Step 8: stop and report.
  async close(): Promise<void> {
    for (let fd = 0; fd < this.conns.length; fd++) if (this.conns[fd] !== undefined) this.closeConn(fd);
    await this.poller.close();
    close(this.listenFd);
    close(this.epfd);
    close(this.reserve);
  }
}

function usage(): string {
  return `Usage: deno task echo [options]

  --hostname HOST   address to listen on (default 127.0.0.1)
  --port N          port (default 7777; 0 picks a free one)
  --mode et|lt      edge- or level-triggered (default et)
  --workers N       N Workers, each with its own epoll set on a SO_REUSEPORT listener (default 1)
  --max-conns N     close connections beyond N open ones at once (default 0: no limit)
  --busy-wait US    longest kernel sleep on the main thread before parking on the poll worker, in µs
                    (default: the Poller's)
  --help            this text

Prints "listening on HOST:PORT" when ready; SIGINT/SIGTERM stop it and print the totals.`;
}

function parseOptions(args: string[]): (Options & { workers: number }) | null {
  const known = ["hostname", "mode", "port", "workers", "max-conns", "busy-wait"];
  const flags = parseArgs(args, {
    string: known,
    boolean: ["help"],
    default: { hostname: "127.0.0.1", port: "7777", mode: "et", workers: "1", "max-conns": "0" },
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
    reusePort: workers > 1,
    busyWait: flags["busy-wait"] === undefined ? undefined : int("busy-wait", 0, 1_000_000),
    workers,
  };
}

function report(t: Totals): void {
  console.log(
    `connections: ${t.connections}, bytes echoed: ${formatBytes(t.bytes)} (${t.bytes}), ` +
      `peak connections: ${t.peak}`,
  );
}

/** Runs one server here until SIGINT/SIGTERM. */
async function serveHere(opts: Options): Promise<void> {
  const server = new EchoServer(opts);
  console.log(`listening on ${opts.hostname}:${server.port}`);
  const stop = (): void => server.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.run();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  const { drains, busyWaits, parks, yields } = server.poller.stats;
  await server.close();
  console.log(`poller: ${drains} drains, ${busyWaits} bounded sleeps, ${parks} parks, ${yields} yields`);
  report(server.totals);
}

/** Runs `n` Workers, each an EchoServer on a SO_REUSEPORT listener, until SIGINT/SIGTERM. */
async function serveWorkers(opts: Options, n: number): Promise<void> {
  const self = new URL(import.meta.url);
  if (
    self.protocol === "file:" && Deno.permissions.querySync({ name: "read", path: self }).state !== "granted"
  ) {
    throw new Deno.errors.NotCapable(`--workers loads ${self.pathname} in each Worker: add --allow-read`);
  }
  // Hold the port (bound, not listening: it takes no connections) so that
  // port 0 means one port for every worker.
  const holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
  setsockopt(holder, SOL_SOCKET, SO_REUSEADDR, 1);
  setsockopt(holder, SOL_SOCKET, SO_REUSEPORT, 1);
  bind(holder, encodeIp(opts.hostname, opts.port));
  const port = (getsockname(holder) as IpAddr).port;
  const workers = Array.from(
    { length: n },
    () => new Worker(import.meta.url, { type: "module", name: WORKER_NAME }),
  );
  const replies = workers.map((w) => {
    w.postMessage({ ...opts, port });
    return messages(w);
  });
  for (const r of replies) await r.next(); // "ready"
  console.log(`listening on ${opts.hostname}:${port}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  for (const w of workers) w.postMessage("stop");
  const sum: Totals = { connections: 0, bytes: 0, peak: 0 };
  for (const r of replies) {
    const t = await r.next() as Totals;
    sum.connections += t.connections;
    sum.bytes += t.bytes;
    sum.peak += t.peak; // per-worker peaks, summed: an upper bound
  }
  workers.forEach((w) => w.terminate());
  close(holder);
  report(sum);
}

/** The worker's messages in order. The handler is set at once, before any `next()`, so none is lost. */
function messages(w: Worker): { next(): Promise<unknown> } {
  const queue: unknown[] = [];
  let wake: (() => void) | null = null;
  w.onmessage = (e) => {
    queue.push(e.data);
    wake?.();
  };
  return {
    async next(): Promise<unknown> {
      while (queue.length === 0) await new Promise<void>((r) => wake = r);
      return queue.shift();
    },
  };
}

/** Worker side: serve until the parent says "stop", then send the totals. */
function workerMain(): void {
  const scope = globalThis as unknown as {
    onmessage: (e: MessageEvent) => void;
    postMessage(m: unknown): void;
  };
  let server: EchoServer | null = null;
  scope.onmessage = async (e: MessageEvent) => {
    if (e.data === "stop") {
      server?.stop();
      return;
    }
    server = new EchoServer(e.data as Options);
    scope.postMessage("ready");
    await server.run();
    await server.close();
    scope.postMessage(server.totals);
  };
}

if ((globalThis as { name?: string }).name === WORKER_NAME) {
  workerMain();
} else if (import.meta.main) {
  try {
    const opts = parseOptions(Deno.args);
    if (opts === null) console.log(usage());
    else if (opts.workers > 1) await serveWorkers(opts, opts.workers);
    else await serveHere(opts);
  } catch (err) {
    console.error(`echo: ${err instanceof Error ? err.message : err}`);
    Deno.exitCode = 1;
  }
}
