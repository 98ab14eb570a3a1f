/**
 * echo_workers.ts: `deno task echo --workers N`. N Workers each run the
 * EchoServer of examples/echo.ts (its own epoll set and poller) on its own
 * SO_REUSEPORT listener of one port; the kernel spreads connections over
 * them. echo.ts hands off here when --workers > 1.
 *
 * What Workers need beyond echo.ts, because they share one fd table:
 * - `--max-conns` is one limit for the process: a count in a
 *   SharedArrayBuffer, changed with Atomics by every Worker.
 * - At EMFILE, the fd one Worker's `shed` frees may be taken by another
 *   Worker before the first takes its reserve back. The reserve may then be
 *   -1 (echo.ts takes it again at the next shed) and nothing is shed: the
 *   listener stays ready, so this Worker stops watching it for a while
 *   instead of spinning on it, as net/listener.ts does.
 *
 * `--idle-timeout` needs nothing more: each Worker's EchoServer sweeps its
 * own connections with its own timerfd, and the process prints the sum.
 *
 * @module
 */

import {
  AF_INET,
  bind,
  close,
  encodeIp,
  epoll_ctl,
  EPOLL_CTL_MOD,
  EPOLLIN,
  getsockname,
  type IpAddr,
  setsockopt,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  socket,
  SOL_SOCKET,
} from "../ffi/mod.ts";
import { ConnCount, EchoServer, type Options, pollerLine, report, stopSignal, type Totals } from "./echo.ts";

const WORKER_NAME = "echo-worker";
const BACKOFF_FIRST_MS = 5;
const BACKOFF_MAX_MS = 1000;

/** What the main thread sends each Worker to start it. */
interface Start {
  opts: Options;
  /** One Int32: the connections open across all Workers. */
  open: SharedArrayBuffer;
}

/** What each Worker sends back once stopped. */
interface Done {
  totals: Totals;
  stats: Record<string, number>;
}

/** A {@linkcode ConnCount} shared by every Worker: the open count lives in a SharedArrayBuffer. */
class SharedConnCount extends ConnCount {
  readonly #open: Int32Array;

  constructor(max: number, open: SharedArrayBuffer) {
    super(max);
    this.#open = new Int32Array(open);
  }

  // Compare-and-swap, so two Workers admitting at once never pass `max`
  // together. `peak` is the highest count this Worker saw itself make: the
  // process's peak is the largest of the Workers' peaks.
  override admit(): boolean {
    for (;;) {
      const open = Atomics.load(this.#open, 0);
      if (this.max > 0 && open >= this.max) return false;
      if (Atomics.compareExchange(this.#open, 0, open, open + 1) === open) {
        if (open + 1 > this.peak) this.peak = open + 1;
        return true;
      }
    }
  }

  override release(): void {
    Atomics.sub(this.#open, 0, 1);
  }
}

/** An EchoServer that backs off when another Worker took the fd its `shed` freed. */
class WorkerEchoServer extends EchoServer {
  #delay = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #servedAtBackoff = -1;

  override shed(): number {
    const n = super.shed();
    if (n === 0) this.#backOff();
    return n;
  }

  // Nothing shed: the listener is still ready and accept4 would fail again
  // at once. Unwatch it for 5 ms, doubling to 1 s while it keeps happening
  // (Go's net/http backs off the same way), then watch it again: the MOD
  // re-checks readiness, so a waiting backlog is reported in ET mode too. A
  // JS timer, not a timerfd: that would need the fd we lack.
  #backOff(): void {
    if (this.totals.connections !== this.#servedAtBackoff) this.#delay = 0; // served since: start short
    this.#servedAtBackoff = this.totals.connections;
    this.#delay = Math.min(this.#delay === 0 ? BACKOFF_FIRST_MS : this.#delay * 2, BACKOFF_MAX_MS);
    epoll_ctl(this.epfd, EPOLL_CTL_MOD, this.listenFd, this.et);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.running) epoll_ctl(this.epfd, EPOLL_CTL_MOD, this.listenFd, EPOLLIN | this.et);
    }, this.#delay);
  }

  override async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await super.close();
  }
}

/** Runs `n` Workers, each an EchoServer on a SO_REUSEPORT listener, until SIGINT/SIGTERM. */
export async function serveWorkers(opts: Options, n: number): Promise<void> {
  const stopped = stopSignal(); // before "listening on", kept to the end: see stopSignal
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
  const start: Start = { opts: { ...opts, port, reusePort: true }, open: new SharedArrayBuffer(4) };
  const workers = Array.from({ length: n }, () => new Worker(self, { type: "module", name: WORKER_NAME }));
  const replies = workers.map((w) => {
    w.postMessage(start);
    return messages(w);
  });
  for (const r of replies) await r.next(); // "ready"
  console.log(`listening on ${opts.hostname}:${port}`);
  await stopped;
  for (const w of workers) w.postMessage("stop");
  const sum: Totals = { connections: 0, bytes: 0, peak: 0, idleClosed: 0 };
  const stats: Record<string, number> = {};
  for (const r of replies) {
    const done = await r.next() as Done;
    sum.connections += done.totals.connections;
    sum.bytes += done.totals.bytes;
    sum.idleClosed += done.totals.idleClosed;
    sum.peak = Math.max(sum.peak, done.totals.peak); // each saw the shared count: the largest is the process's
    for (const [name, value] of Object.entries(done.stats)) stats[name] = (stats[name] ?? 0) + value;
  }
  workers.forEach((w) => w.terminate());
  close(holder);
  console.log(pollerLine(stats));
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

/** Worker side: serve until the parent says "stop", then send the totals and the poller's counters. */
function workerMain(): void {
  const scope = globalThis as unknown as {
    onmessage: (e: MessageEvent) => void;
    postMessage(m: unknown): void;
  };
  let server: WorkerEchoServer | null = null;
  scope.onmessage = async (e: MessageEvent) => {
    if (e.data === "stop") {
      server?.stop(); // sent only after every Worker said "ready"
      return;
    }
    const { opts, open } = e.data as Start;
    server = new WorkerEchoServer(opts, new SharedConnCount(opts.maxConns, open));
    scope.postMessage("ready");
    await server.run();
    const stats: Record<string, number> = Object.fromEntries(Object.entries(server.poller.stats));
    await server.close();
    scope.postMessage({ totals: server.summary(), stats } satisfies Done);
  };
}

if ((globalThis as { name?: string }).name === WORKER_NAME) workerMain();
