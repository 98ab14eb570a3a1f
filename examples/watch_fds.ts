/**
 * watch_fds.ts: one reactor watching fds that are not TCP connections: a
 * pipe, a timerfd, an eventfd (written from a JS timer here; any thread
 * could) and a UDP socket. Each handler drains its fd (edge-triggered) and
 * deregisters it when done; the program ends when all four are done.
 *
 *   deno run --allow-ffi examples/watch_fds.ts
 *
 * @module
 */

import { Reactor, type Registration } from "../mod.ts";
import {
  AF_INET,
  bind,
  CLOCK_MONOTONIC,
  close,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  encodeIp,
  eventfd,
  eventfd_read,
  eventfd_write,
  getsockname,
  type IpAddr,
  O_CLOEXEC,
  O_NONBLOCK,
  pipe2,
  read,
  recvfrom,
  sendto,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SockAddrBuffer,
  socket,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  timerfd_create,
  timerfd_settime,
  WOULD_BLOCK,
  write,
} from "../ffi/mod.ts";

const reactor = new Reactor();
const text = new TextDecoder();
const buf = new Uint8Array(2048);
const edge = { readable: true, trigger: "edge" } as const;
const done: Promise<void>[] = [];

/** Deregisters `reg` and marks its fd done. */
function finished(reg: Registration, resolve: () => void): void {
  reg.deregister();
  resolve();
}

function track(): () => void {
  const { promise, resolve } = Promise.withResolvers<void>();
  done.push(promise);
  return resolve;
}

// A pipe: whatever is written comes out on the read end.
const [pipeR, pipeW] = pipe2(O_NONBLOCK | O_CLOEXEC);
const pipe = reactor.register(pipeR, edge, () => {
  for (let n; (n = read(pipeR, buf)) > 0;) {
    console.log(`pipe: ${JSON.stringify(text.decode(buf.subarray(0, n)))}`);
  }
  pipe.deregister();
});
write(pipeW, new TextEncoder().encode("hello through a pipe"));

// A timerfd: three ticks, 20 ms apart.
const tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
let ticks = 0;
const timerDone = track();
const timer = reactor.register(tfd, edge, () => {
  read(tfd, buf, 8); // the expiration count; resets readiness
  console.log(`timerfd: tick ${++ticks}`);
  if (ticks === 3) finished(timer, timerDone);
});
timerfd_settime(tfd, 0, 20, 20);

// An eventfd: a counter other code (or another thread) adds to.
const efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
const counterDone = track();
const counter = reactor.register(efd, edge, () => {
  const value = eventfd_read(efd);
  if (value === WOULD_BLOCK) return; // spurious: nothing to read
  console.log(`eventfd: counter ${value}`);
  finished(counter, counterDone);
});
setTimeout(() => eventfd_write(efd, 42), 30);

// A UDP socket on 127.0.0.1, sent a datagram by itself.
const udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
bind(udp, encodeIp("127.0.0.1", 0));
const port = (getsockname(udp, "udp") as IpAddr).port;
const from = new SockAddrBuffer();
const udpDone = track();
const datagrams = reactor.register(udp, edge, () => {
  for (let n; (n = recvfrom(udp, buf, 0, from)) !== WOULD_BLOCK;) {
    const sender = from.decode("udp") as IpAddr;
    console.log(
      `udp: ${JSON.stringify(text.decode(buf.subarray(0, n)))} from ${sender.hostname}:${sender.port}`,
    );
  }
  finished(datagrams, udpDone);
});
sendto(udp, new TextEncoder().encode("hello over UDP"), 0, encodeIp("127.0.0.1", port));

await Promise.all(done); // with nothing registered, the reactor's loop has stopped
await reactor.close();
for (const fd of [pipeR, pipeW, tfd, efd, udp]) close(fd);
console.log("all fds served; exiting");
