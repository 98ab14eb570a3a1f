/**
 * The echo servers of `bench:reactor`, level-triggered, doing the same work
 * per event as examples/echo.c --mode lt: one read, one send of what was
 * read (the rest held back on EPOLLOUT while the peer is not reading).
 * `--mode ffi-et` is the bare loop edge-triggered, reading until EAGAIN as
 * echo.c --mode et does: `bench:echo`'s floor for examples/echo.ts.
 *
 *   deno run --allow-ffi --allow-read bench/servers/reactor_echo.ts --port 0 --mode ffi|ffi-et
 *   deno run --allow-ffi --allow-read bench/servers/reactor_echo.ts --port 0 --mode reactor \
 *     [--strategy nonblocking|worker] [--busy-wait US]
 *
 * - ffi: the C loop through the FFI layer, nothing else: `epoll_wait(…, -1)`
 *   blocking the main thread, read, send. The floor for any loop in Deno.
 * - reactor: the same read and send as handlers of a {@linkcode Reactor},
 *   with its poller's options; SIGTERM prints the poller's counters.
 *
 * Prints `listening on 127.0.0.1:PORT` when ready.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import * as ffi from "../../ffi/mod.ts";
import { type ParkStrategy, Reactor, type Registration } from "../../reactor/mod.ts";

const NB = ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC;
const buf = new Uint8Array(65536);
const pending: (Uint8Array | undefined)[] = []; // output held back per fd while the peer is not reading
const interest: number[] = []; // EPOLLIN, or EPOLLOUT while output is held back
let bytes = 0;
let drained = false; // the last serve() read up to EAGAIN: where an edge-triggered loop stops

/**
 * One event on a connection: flush held-back output, or read and echo.
 * Returns the interest it needs next, or 0 at EOF or on an error (the caller closes).
 */
function serve(fd: number): number {
  drained = false;
  try {
    let out = pending[fd];
    let len: number;
    if (out === undefined) {
      const n = ffi.read(fd, buf);
      drained = n === ffi.WOULD_BLOCK;
      if (drained) return ffi.EPOLLIN;
      if (n === 0) return 0;
      bytes += n;
      out = buf; // sent straight from the read buffer, as echo.c does: no view per message
      len = n;
    } else len = out.length;
    const sent = Math.max(ffi.send(fd, out, ffi.MSG_NOSIGNAL, len), 0); // WOULD_BLOCK: none sent
    pending[fd] = sent < len ? out.slice(sent, len) : undefined;
    return sent < len ? ffi.EPOLLOUT : ffi.EPOLLIN;
  } catch { // ECONNRESET, EPIPE: the peer is gone
    pending[fd] = undefined;
    return 0;
  }
}

function listener(port: number): number {
  const fd = ffi.socket(ffi.AF_INET, ffi.SOCK_STREAM | NB);
  ffi.setsockopt(fd, ffi.SOL_SOCKET, ffi.SO_REUSEADDR, 1);
  ffi.bind(fd, ffi.encodeIp("127.0.0.1", port));
  ffi.listen(fd, 4096);
  console.log(`listening on 127.0.0.1:${(ffi.getsockname(fd) as ffi.IpAddr).port}`);
  return fd;
}

/** The bare loop; never returns (SIGTERM's default action ends it). */
function ffiLoop(lfd: number, et: number): void {
  const epfd = ffi.epoll_create1(ffi.EPOLL_CLOEXEC);
  const events = new ffi.EventBuffer(256);
  ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, lfd, ffi.EPOLLIN | et);
  for (;;) {
    const n = ffi.epoll_wait(epfd, events, 256, -1);
    for (let i = 0; i < n; i++) {
      const fd = events.data(i);
      if (fd === lfd) {
        for (let c = ffi.accept4(lfd, NB); c !== ffi.WOULD_BLOCK; c = ffi.accept4(lfd, NB)) {
          ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, c, ffi.EPOLLIN | et, c);
          interest[c] = ffi.EPOLLIN;
        }
        continue;
      }
      let next = serve(fd);
      while (et !== 0 && next === ffi.EPOLLIN && !drained) next = serve(fd);
      if (next === 0) ffi.close(fd); // it leaves the set with it
      else if (next !== interest[fd]) ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_MOD, fd, next | et, fd);
      interest[fd] = next;
    }
  }
}

function reactorLoop(lfd: number, strategy: ParkStrategy, busyWaitMicros: number | undefined): void {
  const reactor = new Reactor({ strategy, busyWaitMicros });
  const onConn = (_events: number, reg: Registration): void => {
    const next = serve(reg.fd);
    if (next === 0) return reg.deregister(), ffi.close(reg.fd);
    if (next !== interest[reg.fd]) {
      reg.modify(next === ffi.EPOLLOUT ? { writable: true } : { readable: true });
    }
    interest[reg.fd] = next;
  };
  reactor.register(lfd, { readable: true }, () => {
    for (let c = ffi.accept4(lfd, NB); c !== ffi.WOULD_BLOCK; c = ffi.accept4(lfd, NB)) {
      reactor.register(c, { readable: true }, onConn);
      interest[c] = ffi.EPOLLIN;
    }
  });
  Deno.addSignalListener("SIGTERM", () => {
    console.log(`poller: ${Object.entries(reactor.stats).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    console.log(`bytes echoed: ${bytes}`);
    Deno.exit(0);
  });
}

if (import.meta.main) {
  const f = parseArgs(Deno.args, { string: ["port", "mode", "strategy", "busy-wait"] });
  const lfd = listener(Number(f.port ?? 0));
  if (f.mode === "ffi" || f.mode === "ffi-et") ffiLoop(lfd, f.mode === "ffi" ? 0 : ffi.EPOLLET);
  else if (f.mode === "reactor") {
    const busy = f["busy-wait"] === undefined ? undefined : Number(f["busy-wait"]);
    reactorLoop(lfd, (f.strategy ?? "nonblocking") as ParkStrategy, busy);
  } else throw new Error(`--mode must be ffi, ffi-et or reactor, got ${f.mode}`);
}
