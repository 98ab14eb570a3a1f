/**
 * The echo servers of `bench:reactor`, level-triggered, doing the same work
 * per event as examples/echo.c --mode lt: one read, one send of what was
 * read (the rest held back on EPOLLOUT while the peer is not reading).
 *
 *   deno run --allow-ffi --allow-read bench/servers/reactor_echo.ts --port 0 --mode ffi
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

/**
 * One event on a connection: flush held-back output, or read and echo.
 * Returns the interest it needs next, or 0 at EOF or on an error (the caller closes).
 */
function serve(fd: number): number {
  try {
    let out = pending[fd];
    if (out === undefined) {
      const n = ffi.read(fd, buf);
      if (n === ffi.WOULD_BLOCK) return ffi.EPOLLIN;
      if (n === 0) return 0;
      bytes += n;
      out = buf.subarray(0, n);
    }
    const sent = ffi.send(fd, out, ffi.MSG_NOSIGNAL);
    const rest = out.subarray(sent === ffi.WOULD_BLOCK ? 0 : sent);
    pending[fd] = rest.length > 0 ? rest.slice() : undefined;
    return rest.length > 0 ? ffi.EPOLLOUT : ffi.EPOLLIN;
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
function ffiLoop(lfd: number): void {
  const epfd = ffi.epoll_create1(ffi.EPOLL_CLOEXEC);
  const events = new ffi.EventBuffer(256);
  ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, lfd, ffi.EPOLLIN);
  for (;;) {
    const n = ffi.epoll_wait(epfd, events, 256, -1);
    for (let i = 0; i < n; i++) {
      const fd = events.data(i);
      if (fd === lfd) {
        for (let c = ffi.accept4(lfd, NB); c !== ffi.WOULD_BLOCK; c = ffi.accept4(lfd, NB)) {
          ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_ADD, c, ffi.EPOLLIN, c);
          interest[c] = ffi.EPOLLIN;
        }
        continue;
      }
      const next = serve(fd);
      if (next === 0) ffi.close(fd); // it leaves the set with it
      else if (next !== interest[fd]) ffi.epoll_ctl(epfd, ffi.EPOLL_CTL_MOD, fd, next, fd);
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
  if (f.mode === "ffi") ffiLoop(lfd);
  else if (f.mode === "reactor") {
    const busy = f["busy-wait"] === undefined ? undefined : Number(f["busy-wait"]);
    reactorLoop(lfd, (f.strategy ?? "nonblocking") as ParkStrategy, busy);
  } else throw new Error(`--mode must be ffi or reactor, got ${f.mode}`);
}
