/**
 * C-named wrappers over the libc symbols: each validates its arguments
 * (never a crash on NaN, a negative fd or a length past the buffer), calls
 * libc synchronously, and on -1 throws an {@linkcode ErrnoError} read from
 * this thread's errno right after the call.
 *
 * Every byte count the kernel relies on comes from state the caller cannot
 * change: a buffer's size as the engine knows it (see `checks.ts`), and the
 * private memory of {@linkcode EventBuffer} and {@linkcode SockAddrBuffer}
 * (look-alike objects are a TypeError). Nothing is coerced: NaN, strings and
 * fractions are refused, never turned into 0.
 *
 * EAGAIN is the hot path of every nonblocking server, so the I/O calls do not
 * throw for it: `read`, `write`, `recv`, `send`, `recvfrom`, `sendto` and
 * `accept4` return {@linkcode WOULD_BLOCK} (-1, like C, but -1 means nothing
 * else here). EINTR is retried by the I/O calls and turned into "0 events" by
 * `epoll_wait` (as libuv does), so callers never see it.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { EAGAIN, EINPROGRESS, EINTR, ErrnoError, lastErrno, throwErrno } from "./errno.ts";
import { EventBuffer, eventBytes, eventRoom, setFilled } from "./epoll_event.ts";
import {
  addrBytes,
  type EncodedAddr,
  prepareSockAddr,
  type SockAddr,
  SockAddrBuffer,
  sockAddrBytes,
  sockLenBytes,
} from "./sockaddr.ts";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  F_GETFD,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  O_NONBLOCK,
} from "./constants.ts";
import {
  byteLengthOf,
  checkFd,
  checkFlags,
  checkInt,
  checkString,
  describe,
  I32_MAX,
  I32_MIN,
  span,
  U32_MAX,
} from "./checks.ts";

/**
 * Returned by the nonblocking I/O calls instead of throwing for EAGAIN.
 *
 * ```ts
 * import { close, pipe2, O_NONBLOCK, read, WOULD_BLOCK, write } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * const buf = new Uint8Array(8);
 * console.log(read(r, buf) === WOULD_BLOCK); // true: empty, try again when EPOLLIN says so
 * write(w, new Uint8Array([1, 2]));
 * console.log(read(r, buf)); // 2
 * close(r);
 * close(w);
 * ```
 */
export const WOULD_BLOCK: -1 = -1;

// ---------------------------------------------------------------- EINTR and EAGAIN

// After a nonblocking I/O call returned -1: true for EINTR (call again),
// false for EAGAIN (the caller returns WOULD_BLOCK); any other errno throws.
// The callers loop inline, `while ((n = libc.x(…)) < 0) if (!retry("x")) …`,
// rather than pass the call as a closure: a closure per call allocated
// ~100 bytes, three times per echoed message, and fed the GC a scavenge
// every few ms under load.
function retry(syscall: string): boolean {
  const errno = lastErrno();
  if (errno === EINTR) return true;
  if (errno === EAGAIN) return false;
  throw new ErrnoError(syscall, errno);
}

// epoll_wait, poll and select report EINTR as "nothing ready" (as libuv does):
// their callers loop anyway, and a retry would restart the full timeout.
function readyCount(n: number, syscall: string): number {
  if (n >= 0) return n;
  if (lastErrno() === EINTR) return 0;
  throwErrno(syscall);
}

function checkTimeoutMs(timeoutMs: number): number {
  return checkInt(timeoutMs, "timeoutMs", -1, I32_MAX);
}

// ---------------------------------------------------------------- epoll

// One struct epoll_event for epoll_ctl, reused: calls are synchronous.
const ctlEvent = new EventBuffer(1);
const ctlBytes = eventBytes(ctlEvent);

/**
 * `epoll_create1(2)`: a new epoll fd. `flags` is 0 or `EPOLL_CLOEXEC`.
 *
 * ```ts
 * import { close, EPOLL_CLOEXEC, EventBuffer, epoll_create1, epoll_wait } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1(EPOLL_CLOEXEC);
 * console.log(epoll_wait(epfd, new EventBuffer(1), 1, 0)); // 0: nothing registered yet
 * close(epfd);
 * ```
 */
export function epoll_create1(flags = 0): number {
  const fd = libc.epoll_create1(checkFlags(flags));
  if (fd < 0) throwErrno("epoll_create1");
  return fd;
}

/**
 * `epoll_ctl(2)`: add, modify or delete `fd` in `epfd`. `events` may be any
 * combination of EPOLL* flags, negative `|` results included; `data`
 * (default: `fd`) is an integer in [0, 2^53) returned with each event.
 *
 * ```ts
 * import { close, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_wait, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * const events = new EventBuffer(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 2 ** 40); // data: a token of yours
 * console.log(epoll_wait(epfd, events, 1, 0), events.data(0)); // 1 1099511627776
 * epoll_ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLET); // data back to the default: efd
 * console.log(epoll_wait(epfd, events, 1, 0), events.data(0) === efd); // 1 true
 * epoll_ctl(epfd, EPOLL_CTL_DEL, efd);
 * close(efd);
 * close(epfd);
 * ```
 */
export function epoll_ctl(epfd: number, op: number, fd: number, events = 0, data: number = fd): void {
  epfd = checkFd(epfd, "epfd");
  if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_MOD && op !== EPOLL_CTL_DEL) {
    throw new RangeError(`op must be EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL, got ${describe(op)}`);
  }
  fd = checkFd(fd);
  ctlEvent.set(0, events, data); // checks events and data; DEL ignores the struct
  if (libc.epoll_ctl(epfd, op, fd, ctlBytes) < 0) throwErrno("epoll_ctl", `fd ${fd}`);
}

// The checked maxevents: by default, and at most, the native events the
// buffer's private memory holds (the kernel writes NATIVE_LAYOUT.size bytes
// per event, whatever layout the buffer was made for).
function maxEventsFor(events: EventBuffer, maxevents: number | undefined): number {
  const room = eventRoom(events);
  if (maxevents === undefined) return room;
  return checkInt(maxevents, "maxevents", 1, room);
}

/**
 * `epoll_wait(2)`: fills `events` (and sets `events.length`) with up to
 * `maxevents` (default: all it holds) ready events, waiting up to
 * `timeoutMs` (-1: forever, 0: poll). Blocks this thread: on the main thread
 * use 0, or the reactor. EINTR returns 0 events.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, EPOLL_CTL_ADD, EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_wait, eventfd, eventfd_read, eventfd_write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const fds = [eventfd(0, EFD_NONBLOCK), eventfd(0, EFD_NONBLOCK)];
 * for (const fd of fds) epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
 * eventfd_write(fds[1], 5);
 * const events = new EventBuffer(8);
 * const n = epoll_wait(epfd, events, undefined, 0); // 0 ms: only look
 * for (let i = 0; i < n; i++) console.log(events.data(i) === fds[1], eventfd_read(events.data(i))); // true 5
 * for (const fd of [...fds, epfd]) close(fd);
 * ```
 */
export function epoll_wait(epfd: number, events: EventBuffer, maxevents?: number, timeoutMs = -1): number {
  epfd = checkFd(epfd, "epfd");
  const max = maxEventsFor(events, maxevents);
  timeoutMs = checkTimeoutMs(timeoutMs);
  const n = readyCount(libc.epoll_wait(epfd, eventBytes(events), max, timeoutMs), "epoll_wait");
  setFilled(events, n);
  return n;
}

// struct timespec { i64 tv_sec; i64 tv_nsec; } as four u32 halves.
const timespec = new Uint32Array(4);
const timespecBytes = new Uint8Array(timespec.buffer);

/**
 * `epoll_pwait2(2)`: like {@linkcode epoll_wait} with a nanosecond timeout
 * (Linux ≥ 5.11). A short bounded wait on the main thread sleeps in the
 * kernel where a spin would burn CPU. EINTR returns 0 events.
 *
 * ```ts
 * import { close, EPOLL_CTL_ADD, EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_pwait2, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * const events = new EventBuffer(4);
 * console.log(epoll_pwait2(epfd, events, 4, 500_000)); // 1: ready, so no wait at all (the bound was 0.5 ms)
 * close(efd);
 * close(epfd);
 * ```
 */
export function epoll_pwait2(
  epfd: number,
  events: EventBuffer,
  maxevents: number,
  timeoutNs: number,
): number {
  epfd = checkFd(epfd, "epfd");
  const max = maxEventsFor(events, maxevents);
  timeoutNs = checkInt(timeoutNs, "timeoutNs", 0, Number.MAX_SAFE_INTEGER);
  const sec = Math.floor(timeoutNs / 1e9);
  timespec[0] = sec >>> 0;
  timespec[1] = Math.floor(sec / 2 ** 32);
  timespec[2] = timeoutNs - sec * 1e9;
  timespec[3] = 0;
  const n = readyCount(libc.epoll_pwait2(epfd, eventBytes(events), max, timespecBytes, null), "epoll_pwait2");
  setFilled(events, n);
  return n;
}

// ---------------------------------------------------------------- I/O

/**
 * `read(2)` up to `len` (default: `buf.length`) bytes. Returns the count (0 at
 * EOF) or WOULD_BLOCK.
 *
 * ```ts
 * import { close, pipe2, O_NONBLOCK, read, WOULD_BLOCK, write } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * write(w, new TextEncoder().encode("hello"));
 * const buf = new Uint8Array(16);
 * const n = read(r, buf, 4); // at most 4 bytes
 * console.log(n, new TextDecoder().decode(buf.subarray(0, n))); // 4 hell
 * close(w);
 * console.log(read(r, buf), read(r, buf), read(r, buf) === WOULD_BLOCK); // 1 0 false
 * close(r);
 * ```
 */
export function read(fd: number, buf: Uint8Array, len?: number): number {
  fd = checkFd(fd);
  const count = span(buf, len);
  let n: number;
  while ((n = libc.read(fd, buf, count)) < 0) if (!retry("read")) return WOULD_BLOCK;
  return n;
}

/**
 * `write(2)` up to `len` (default: `buf.length`) bytes. Returns the count
 * written or WOULD_BLOCK.
 *
 * ```ts
 * import { close, pipe2, O_NONBLOCK, WOULD_BLOCK, write } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * const chunk = new Uint8Array(64 * 1024);
 * let total = 0;
 * for (let n; (n = write(w, chunk)) !== WOULD_BLOCK;) total += n; // fill the pipe
 * console.log(total > 0, write(w, chunk) === WOULD_BLOCK); // true true: full, wait for EPOLLOUT
 * close(r);
 * close(w);
 * ```
 */
export function write(fd: number, buf: Uint8Array, len?: number): number {
  fd = checkFd(fd);
  const count = span(buf, len);
  let n: number;
  while ((n = libc.write(fd, buf, count)) < 0) if (!retry("write")) return WOULD_BLOCK;
  return n;
}

/**
 * `recv(2)` with `flags` (e.g. MSG_PEEK). Returns the count (0 at EOF) or
 * WOULD_BLOCK.
 *
 * ```ts
 * import { AF_UNIX, close, MSG_PEEK, recv, SOCK_NONBLOCK, SOCK_STREAM, socketpair, WOULD_BLOCK, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * const buf = new Uint8Array(8);
 * console.log(recv(b, buf) === WOULD_BLOCK); // true
 * write(a, new Uint8Array([7, 8, 9]));
 * console.log(recv(b, buf, MSG_PEEK, 1), recv(b, buf), buf[0]); // 1 3 7
 * close(a);
 * close(b);
 * ```
 */
export function recv(fd: number, buf: Uint8Array, flags = 0, len?: number): number {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  const count = span(buf, len);
  let n: number;
  while ((n = libc.recv(fd, buf, count, f)) < 0) if (!retry("recv")) return WOULD_BLOCK;
  return n;
}

/**
 * `send(2)` with `flags` (pass MSG_NOSIGNAL to get EPIPE rather than SIGPIPE).
 * Returns the count or WOULD_BLOCK.
 *
 * ```ts
 * import { AF_UNIX, close, isErrno, MSG_NOSIGNAL, read, send, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * console.log(send(a, new Uint8Array([1, 2, 3]), MSG_NOSIGNAL), read(b, new Uint8Array(8))); // 3 3
 * close(b);
 * try {
 *   send(a, new Uint8Array([4]), MSG_NOSIGNAL);
 * } catch (err) {
 *   console.log(isErrno(err, "EPIPE")); // true
 * }
 * close(a);
 * ```
 */
export function send(fd: number, buf: Uint8Array, flags = 0, len?: number): number {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  const count = span(buf, len);
  let n: number;
  while ((n = libc.send(fd, buf, count, f)) < 0) if (!retry("send")) return WOULD_BLOCK;
  return n;
}

/**
 * `recvfrom(2)`: like recv, storing the sender in `from` (a {@linkcode
 * SockAddrBuffer}) when given. Returns the count or WOULD_BLOCK.
 *
 * ```ts
 * import { AF_UNIX, bind, close, encodeUnix, recvfrom, sendto, SOCK_DGRAM, SOCK_NONBLOCK, SockAddrBuffer, socket, type UnixAddr } from "@libc/epoll/ffi";
 *
 * const server = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
 * const serverAddr = encodeUnix(`\0libc-epoll-doc-recvfrom-${Deno.pid}-server`);
 * bind(server, serverAddr);
 * const client = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
 * bind(client, encodeUnix(`\0libc-epoll-doc-recvfrom-${Deno.pid}-client`));
 * sendto(client, new Uint8Array([1, 2, 3]), 0, serverAddr);
 * const from = new SockAddrBuffer();
 * const n = recvfrom(server, new Uint8Array(64), 0, from);
 * console.log(n, (from.decode() as UnixAddr).path.endsWith("-client")); // 3 true: where to send a reply
 * close(client);
 * close(server);
 * ```
 */
export function recvfrom(
  fd: number,
  buf: Uint8Array,
  flags = 0,
  from?: SockAddrBuffer,
  len?: number,
): number {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  const count = span(buf, len);
  if (from === undefined || from === null) {
    let n: number;
    while ((n = libc.recvfrom(fd, buf, count, f, null, null)) < 0) if (!retry("recvfrom")) return WOULD_BLOCK;
    return n;
  }
  prepareSockAddr(from, "from");
  const addr = sockAddrBytes(from);
  const addrLen = sockLenBytes(from);
  return storingPeer(
    addrLen,
    () => {
      let n: number;
      while ((n = libc.recvfrom(fd, buf, count, f, addr, addrLen)) < 0) {
        if (!retry("recvfrom")) return WOULD_BLOCK;
      }
      return n;
    },
  );
}

/**
 * `sendto(2)`: sends `buf` to `to` (an encoded address). Returns the count or
 * WOULD_BLOCK.
 *
 * ```ts
 * import { AF_UNIX, bind, close, encodeUnix, read, sendto, SOCK_DGRAM, SOCK_NONBLOCK, socket } from "@libc/epoll/ffi";
 *
 * const to = encodeUnix(`\0libc-epoll-doc-sendto-${Deno.pid}`);
 * const server = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
 * bind(server, to);
 * const client = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK); // unbound, unconnected
 * console.log(sendto(client, new Uint8Array(5), 0, to, 2), read(server, new Uint8Array(64))); // 2 2
 * close(client);
 * close(server);
 * ```
 */
export function sendto(fd: number, buf: Uint8Array, flags: number, to: EncodedAddr, len?: number): number {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  const { bytes, length } = addrBytes(to, "to");
  const count = span(buf, len);
  let n: number;
  while ((n = libc.sendto(fd, buf, count, f, bytes, length)) < 0) if (!retry("sendto")) return WOULD_BLOCK;
  return n;
}

// ---------------------------------------------------------------- sockets

/**
 * `socket(2)`: a new socket fd. Add SOCK_NONBLOCK | SOCK_CLOEXEC to `type` for
 * a reactor.
 *
 * ```ts
 * import { AF_INET, close, F_GETFL, fcntl, O_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
 * console.log((fcntl(fd, F_GETFL) & O_NONBLOCK) !== 0); // true
 * close(fd);
 * ```
 */
export function socket(domain: number, type: number, protocol = 0): number {
  domain = checkInt(domain, "domain", 0, I32_MAX);
  const t = checkFlags(type, "type");
  protocol = checkInt(protocol, "protocol", 0, I32_MAX);
  const fd = libc.socket(domain, t, protocol);
  if (fd < 0) throwErrno("socket");
  return fd;
}

/**
 * `bind(2)` to an encoded address (see `encodeIp`, `encodeUnix`).
 *
 * ```ts
 * import { AF_INET, bind, close, getsockname, type IpAddr, encodeIp, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * bind(fd, encodeIp("127.0.0.1", 0)); // port 0: the kernel picks a free one
 * console.log((getsockname(fd) as IpAddr).port > 0); // true
 * close(fd);
 * ```
 */
export function bind(fd: number, addr: EncodedAddr): void {
  fd = checkFd(fd);
  const { bytes, length } = addrBytes(addr);
  if (libc.bind(fd, bytes, length) < 0) throwErrno("bind");
}

/**
 * `listen(2)` with `backlog` (default 4096, Linux's SOMAXCONN).
 *
 * ```ts
 * import { accept4, AF_UNIX, bind, close, connect, listen, encodeUnix, SOCK_NONBLOCK, SOCK_STREAM, socket, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const addr = encodeUnix(`\0libc-epoll-doc-listen-${Deno.pid}`);
 * const server = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * bind(server, addr);
 * listen(server, 128);
 * console.log(accept4(server) === WOULD_BLOCK); // true: nobody yet
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, addr); // queued until accepted
 * const conn = accept4(server);
 * console.log(conn >= 0); // true
 * for (const fd of [conn, client, server]) close(fd);
 * ```
 */
export function listen(fd: number, backlog = 4096): void {
  fd = checkFd(fd);
  backlog = checkInt(backlog, "backlog", 0, I32_MAX);
  if (libc.listen(fd, backlog) < 0) throwErrno("listen");
}

/**
 * `connect(2)`. Returns true when connected at once, false when a
 * nonblocking connect is in progress (EINPROGRESS, or EINTR): wait for
 * EPOLLOUT, then read SO_ERROR for the outcome.
 *
 * ```ts
 * import { AF_INET, AF_UNIX, bind, close, connect, getsockname, type IpAddr, listen, encodeIp, encodeUnix, SOCK_NONBLOCK, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * // A Unix stream connects at once (the listener's queue has room).
 * const path = encodeUnix(`\0libc-epoll-doc-connect-${Deno.pid}`);
 * const unixServer = socket(AF_UNIX, SOCK_STREAM);
 * bind(unixServer, path);
 * listen(unixServer);
 * const unixClient = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * console.log(connect(unixClient, path)); // true
 * // A nonblocking TCP connect is under way when it returns: wait for EPOLLOUT, then read SO_ERROR.
 * const tcpServer = socket(AF_INET, SOCK_STREAM);
 * bind(tcpServer, encodeIp("127.0.0.1", 0));
 * listen(tcpServer);
 * const tcpClient = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
 * console.log(connect(tcpClient, encodeIp("127.0.0.1", (getsockname(tcpServer) as IpAddr).port))); // false
 * for (const fd of [unixClient, unixServer, tcpClient, tcpServer]) close(fd);
 * ```
 */
export function connect(fd: number, addr: EncodedAddr): boolean {
  fd = checkFd(fd);
  const { bytes, length } = addrBytes(addr);
  if (libc.connect(fd, bytes, length) === 0) return true;
  const errno = lastErrno();
  // EINTR: the connect goes on in the background, exactly as EINPROGRESS.
  if (errno === EINPROGRESS || errno === EINTR) return false;
  throw new ErrnoError("connect", errno);
}

/**
 * `accept4(2)`: the next connection's fd, created with `flags`
 * (SOCK_NONBLOCK | SOCK_CLOEXEC), or WOULD_BLOCK when none is pending. The
 * peer address is stored in `addr` (a {@linkcode SockAddrBuffer}) when
 * given. ECONNABORTED, EMFILE and the like throw: the caller decides (see
 * net/).
 *
 * ```ts
 * import { accept4, AF_UNIX, bind, close, connect, listen, encodeUnix, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SockAddrBuffer, socket, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const addr = encodeUnix(`\0libc-epoll-doc-accept4-${Deno.pid}`);
 * const server = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * bind(server, addr);
 * listen(server);
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, addr);
 * const peer = new SockAddrBuffer();
 * const conns: number[] = [];
 * // Drain the queue; read `peer` after each accept (the next call reuses it).
 * for (let fd; (fd = accept4(server, SOCK_NONBLOCK | SOCK_CLOEXEC, peer)) !== WOULD_BLOCK;) {
 *   conns.push(fd);
 *   console.log(peer.decode()); // { transport: "unix", path: "" }: the client never bound a name
 * }
 * console.log(conns.length); // 1
 * for (const fd of [...conns, client, server]) close(fd);
 * ```
 */
export function accept4(fd: number, flags = 0, addr?: SockAddrBuffer): number {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  if (addr === undefined || addr === null) {
    let conn: number;
    while ((conn = libc.accept4(fd, null, null, f)) < 0) if (!retry("accept4")) return WOULD_BLOCK;
    return conn;
  }
  prepareSockAddr(addr);
  const bytes = sockAddrBytes(addr);
  const len = sockLenBytes(addr);
  return storingPeer(len, () => {
    let conn: number;
    while ((conn = libc.accept4(fd, bytes, len, f)) < 0) if (!retry("accept4")) return WOULD_BLOCK;
    return conn;
  });
}

// A call that fills a SockAddrBuffer: when it stores nothing (WOULD_BLOCK or
// an error), the buffer's length goes to 0, so that `length` and `decode()`
// never describe the 128 bytes of room it was prepared with.
function storingPeer(len: Uint8Array, call: () => number): number {
  try {
    const n = call();
    if (n < 0) len.fill(0);
    return n;
  } catch (err) {
    len.fill(0);
    throw err;
  }
}

const optInt = new Int32Array(1);
const optIntBytes = new Uint8Array(optInt.buffer);
const optLen = new Uint32Array(1);
const optLenBytes = new Uint8Array(optLen.buffer);

function checkOptName(level: number, optname: number): void {
  checkInt(level, "level", 0, I32_MAX);
  checkInt(optname, "optname", 0, I32_MAX);
}

/**
 * `setsockopt(2)`: a number is passed as an `int`, bytes as they are.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, setsockopt, SO_LINGER, SOCK_STREAM, socket, SOL_SOCKET, TCP_NODELAY } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1); // an int option
 * setsockopt(fd, SOL_SOCKET, SO_LINGER, new Uint8Array(new Int32Array([1, 0]).buffer)); // a struct, as bytes
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)); // 1
 * close(fd);
 * ```
 */
export function setsockopt(fd: number, level: number, optname: number, value: number | Uint8Array): void {
  fd = checkFd(fd);
  checkOptName(level, optname);
  level = level | 0; // -0 as 0
  optname = optname | 0;
  let bytes: Uint8Array;
  let size: number;
  if (typeof value === "number") {
    value = checkInt(value, "value", I32_MIN, I32_MAX);
    optInt[0] = value;
    bytes = optIntBytes;
    size = 4;
  } else {
    size = byteLengthOf(value, "value");
    bytes = value;
  }
  if (libc.setsockopt(fd, level, optname, bytes, Math.min(size, I32_MAX)) < 0) throwErrno("setsockopt");
}

/**
 * `getsockopt(2)` of an `int` option (SO_ERROR, SO_RCVBUF, TCP_NODELAY, …).
 *
 * ```ts
 * import { AF_INET, close, getsockopt, SO_ERROR, SO_RCVBUF, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_ERROR), getsockopt(fd, SOL_SOCKET, SO_RCVBUF) > 0); // 0 true
 * close(fd);
 * ```
 */
export function getsockopt(fd: number, level: number, optname: number): number {
  fd = checkFd(fd);
  checkOptName(level, optname);
  level = level | 0; // -0 as 0
  optname = optname | 0;
  optLen[0] = 4;
  if (libc.getsockopt(fd, level, optname, optIntBytes, optLenBytes) < 0) throwErrno("getsockopt");
  return optInt[0];
}

const nameBuf = new SockAddrBuffer();

function checkTransport(transport: "tcp" | "udp"): void {
  if (transport !== "tcp" && transport !== "udp") {
    throw new TypeError(`transport must be "tcp" or "udp", got ${describe(transport)}`);
  }
}

/**
 * `getsockname(2)`, decoded. `transport` labels IP addresses ("tcp" or "udp").
 *
 * ```ts
 * import { AF_INET6, bind, close, getsockname, encodeIp, SOCK_DGRAM, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET6, SOCK_DGRAM);
 * bind(udp, encodeIp("::1", 0));
 * const addr = getsockname(udp, "udp");
 * console.log("hostname" in addr && addr.hostname, "port" in addr && addr.port > 0); // ::1 true
 * close(udp);
 * ```
 */
export function getsockname(fd: number, transport: "tcp" | "udp" = "tcp"): SockAddr {
  fd = checkFd(fd);
  checkTransport(transport);
  prepareSockAddr(nameBuf);
  if (libc.getsockname(fd, sockAddrBytes(nameBuf), sockLenBytes(nameBuf)) < 0) throwErrno("getsockname");
  return nameBuf.decode(transport);
}

/**
 * `getpeername(2)`, decoded. Throws ENOTCONN on an unconnected socket.
 *
 * ```ts
 * import { AF_UNIX, bind, close, connect, getpeername, listen, encodeUnix, SOCK_STREAM, socket, type UnixAddr } from "@libc/epoll/ffi";
 *
 * const name = `\0libc-epoll-doc-getpeername-${Deno.pid}`;
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * bind(server, encodeUnix(name));
 * listen(server);
 * const client = socket(AF_UNIX, SOCK_STREAM);
 * connect(client, encodeUnix(name));
 * console.log((getpeername(client) as UnixAddr).path === name); // true
 * close(client);
 * close(server);
 * ```
 */
export function getpeername(fd: number, transport: "tcp" | "udp" = "tcp"): SockAddr {
  fd = checkFd(fd);
  checkTransport(transport);
  prepareSockAddr(nameBuf);
  if (libc.getpeername(fd, sockAddrBytes(nameBuf), sockLenBytes(nameBuf)) < 0) throwErrno("getpeername");
  return nameBuf.decode(transport);
}

/**
 * `shutdown(2)`: SHUT_RD, SHUT_WR (half-close) or SHUT_RDWR.
 *
 * ```ts
 * import { AF_UNIX, close, read, SHUT_WR, shutdown, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new TextEncoder().encode("request"));
 * shutdown(a, SHUT_WR); // "that is all": b reads EOF after the data, and can still answer
 * const buf = new Uint8Array(16);
 * console.log(read(b, buf), read(b, buf), write(b, buf.subarray(0, 2))); // 7 0 2
 * close(a);
 * close(b);
 * ```
 */
export function shutdown(fd: number, how: number): void {
  fd = checkFd(fd);
  how = checkInt(how, "how", 0, 2);
  if (libc.shutdown(fd, how) < 0) throwErrno("shutdown");
}

/**
 * `close(2)`. EINTR is not retried: on Linux the fd is released regardless,
 * and a retry could close a number another thread just reused.
 *
 * ```ts
 * import { close, EPOLL_CTL_ADD, EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_wait, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * close(efd); // its last fd: epoll forgets it too
 * console.log(epoll_wait(epfd, new EventBuffer(1), 1, 0)); // 0
 * close(epfd);
 * ```
 */
export function close(fd: number): void {
  fd = checkFd(fd);
  if (libc.close(fd) < 0 && lastErrno() !== EINTR) throwErrno("close", `fd ${fd}`);
}

// ---------------------------------------------------------------- other fds

/**
 * `eventfd(2)`: a counter fd (EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE).
 *
 * ```ts
 * import { close, EFD_CLOEXEC, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
 * eventfd_write(fd, 2);
 * eventfd_write(fd, 3);
 * console.log(eventfd_read(fd)); // 5: writes add up until a read
 * close(fd);
 * ```
 */
export function eventfd(initval = 0, flags = 0): number {
  initval = checkInt(initval, "initval", 0, U32_MAX);
  const fd = libc.eventfd(initval, checkFlags(flags));
  if (fd < 0) throwErrno("eventfd");
  return fd;
}

const counter = new Uint32Array(2);
const counterBytes = new Uint8Array(counter.buffer);

/**
 * glibc's `eventfd_write`: adds `value` (1 to 2^32-1) to the counter. Returns
 * false if it would block.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, eventfd, eventfd_write } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(0, EFD_NONBLOCK);
 * console.log(eventfd_write(fd, 2 ** 32 - 1), eventfd_write(fd, 2 ** 32 - 1)); // true true
 * // The counter stops one short of 2^64 - 1, so the word ends far away; a full counter returns false.
 * close(fd);
 * ```
 */
export function eventfd_write(fd: number, value = 1): boolean {
  fd = checkFd(fd);
  value = checkInt(value, "value", 1, U32_MAX);
  counter[0] = value;
  counter[1] = 0;
  return write(fd, counterBytes) !== WOULD_BLOCK;
}

/**
 * glibc's `eventfd_read`: the counter (and resets it), or WOULD_BLOCK when it
 * is 0 on a nonblocking fd.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, eventfd, eventfd_read, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(7, EFD_NONBLOCK);
 * console.log(eventfd_read(fd), eventfd_read(fd) === WOULD_BLOCK); // 7 true: the read reset it
 * close(fd);
 * ```
 */
export function eventfd_read(fd: number): number {
  if (read(fd, counterBytes) === WOULD_BLOCK) return WOULD_BLOCK;
  return counter[0] + counter[1] * 2 ** 32;
}

// Only commands whose third argument is an int: one that takes a pointer
// (F_GETLK, F_SETOWN_EX, …) would let an int reach the kernel as an address.
const FCNTL_INT_COMMANDS: ReadonlySet<number> = new Set([F_GETFD, F_SETFD, F_GETFL, F_SETFL]);

/**
 * `fcntl(2)` with an int argument: `cmd` is F_GETFL, F_SETFL, F_GETFD or
 * F_SETFD.
 *
 * ```ts
 * import { close, F_GETFD, F_GETFL, F_SETFL, fcntl, FD_CLOEXEC, pipe2, O_CLOEXEC, O_NONBLOCK } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_CLOEXEC);
 * fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_NONBLOCK);
 * console.log((fcntl(r, F_GETFL) & O_NONBLOCK) !== 0, fcntl(r, F_GETFD) === FD_CLOEXEC); // true true
 * close(r);
 * close(w);
 * ```
 */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  fd = checkFd(fd);
  if (!FCNTL_INT_COMMANDS.has(cmd)) {
    throw new RangeError(`fcntl cmd must be F_GETFD, F_SETFD, F_GETFL or F_SETFL, got ${describe(cmd)}`);
  }
  const r = libc.fcntl(fd, cmd, checkFlags(arg, "arg"));
  if (r < 0) throwErrno("fcntl");
  return r;
}

const pair = new Int32Array(2);
const pairBytes = new Uint8Array(pair.buffer);

/**
 * `pipe2(2)`: `[readEnd, writeEnd]`, with O_NONBLOCK / O_CLOEXEC flags.
 *
 * ```ts
 * import { close, pipe2, O_CLOEXEC, O_NONBLOCK, read, write } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
 * write(w, new Uint8Array([42]));
 * const buf = new Uint8Array(1);
 * console.log(read(r, buf), buf[0]); // 1 42
 * close(r);
 * close(w);
 * ```
 */
export function pipe2(flags = 0): [read: number, write: number] {
  if (libc.pipe2(pairBytes, checkFlags(flags)) < 0) throwErrno("pipe2");
  return [pair[0], pair[1]];
}

/**
 * `socketpair(2)`: two connected sockets (AF_UNIX; SOCK_STREAM or SOCK_DGRAM,
 * plus flags).
 *
 * ```ts
 * import { AF_UNIX, close, read, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
 * write(a, new Uint8Array(3));
 * write(a, new Uint8Array(5));
 * console.log(read(b, new Uint8Array(64)), read(b, new Uint8Array(64))); // 3 5: one datagram per read
 * close(a);
 * close(b);
 * ```
 */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  domain = checkInt(domain, "domain", 0, I32_MAX);
  const t = checkFlags(type, "type");
  protocol = checkInt(protocol, "protocol", 0, I32_MAX);
  if (libc.socketpair(domain, t, protocol, pairBytes) < 0) throwErrno("socketpair");
  return [pair[0], pair[1]];
}

/**
 * `timerfd_create(2)`: a timer fd on CLOCK_MONOTONIC or CLOCK_REALTIME.
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, timerfd_create, read, TFD_CLOEXEC, TFD_NONBLOCK, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
 * console.log(read(fd, new Uint8Array(8)) === WOULD_BLOCK); // true: created disarmed
 * close(fd);
 * ```
 */
export function timerfd_create(clockid: number, flags = 0): number {
  clockid = checkInt(clockid, "clockid", 0, I32_MAX);
  const fd = libc.timerfd_create(clockid, checkFlags(flags));
  if (fd < 0) throwErrno("timerfd_create");
  return fd;
}

// struct itimerspec { timespec it_interval; timespec it_value; }
const itimerspec = new Uint32Array(8);
const itimerBytes = new Uint8Array(itimerspec.buffer);

// A time in ms as whole seconds and nanoseconds, checked before anything is
// written. Seconds, not one nanosecond count: an absolute CLOCK_REALTIME time
// (~1.8e12 ms) is far past 2^53 ns, and so is a CLOCK_MONOTONIC one after 104
// days of uptime.
function toTimespec(ms: number, name: string): [sec: number, nsec: number] {
  if (typeof ms !== "number" || !(ms >= 0) || !Number.isSafeInteger(Math.floor(ms / 1000))) {
    throw new RangeError(`${name} must be a time in ms, at least 0 and under 2^53 s, got ${describe(ms)}`);
  }
  let sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (nsec >= 1e9) [sec, nsec] = [sec + 1, nsec - 1e9];
  return [sec, nsec];
}

function putTimespec(at: number, [sec, nsec]: [number, number]): void {
  itimerspec[at] = sec >>> 0;
  itimerspec[at + 1] = Math.floor(sec / 2 ** 32);
  itimerspec[at + 2] = nsec;
  itimerspec[at + 3] = 0;
}

/**
 * `timerfd_settime(2)`: fires after `valueMs` (0 disarms), then every
 * `intervalMs` (0: once). Fractions of a millisecond are kept (ns resolution).
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, timerfd_create, timerfd_settime, read, TFD_NONBLOCK, TFD_TIMER_ABSTIME, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
 * const expirations = new BigUint64Array(1);
 * const bytes = new Uint8Array(expirations.buffer);
 * timerfd_settime(fd, 0, 60_000, 1000); // in a minute, then every second
 * console.log(read(fd, bytes) === WOULD_BLOCK); // true: not yet
 * timerfd_settime(fd, TFD_TIMER_ABSTIME, 0.5); // 0.5 ms after boot: already past
 * console.log(read(fd, bytes), expirations[0]); // 8 1n
 * timerfd_settime(fd, 0, 0); // disarm
 * close(fd);
 * ```
 */
export function timerfd_settime(fd: number, flags: number, valueMs: number, intervalMs = 0): void {
  fd = checkFd(fd);
  const f = checkFlags(flags);
  const value = toTimespec(valueMs, "valueMs");
  const interval = toTimespec(intervalMs, "intervalMs");
  putTimespec(0, interval);
  putTimespec(4, value);
  if (libc.timerfd_settime(fd, f, itimerBytes, null) < 0) throwErrno("timerfd_settime");
}

/**
 * `poll(2)` over `nfds` entries of `struct pollfd { int fd; short events; short
 * revents; }` (8 bytes each).
 *
 * ```ts
 * import { AF_UNIX, close, poll, POLLIN, POLLOUT, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1]));
 * // Two struct pollfd { int fd; short events; short revents; }, 8 bytes each.
 * const fds = new DataView(new ArrayBuffer(16));
 * fds.setInt32(0, a, true);
 * fds.setInt16(4, POLLIN, true); // a: nothing to read
 * fds.setInt32(8, b, true);
 * fds.setInt16(12, POLLIN | POLLOUT, true);
 * const n = poll(new Uint8Array(fds.buffer), 2, 0);
 * console.log(n, fds.getInt16(6, true), fds.getInt16(14, true) === (POLLIN | POLLOUT)); // 1 0 true
 * close(a);
 * close(b);
 * ```
 */
export function poll(fds: Uint8Array, nfds: number, timeoutMs: number): number {
  const size = byteLengthOf(fds, "fds");
  nfds = checkInt(nfds, "nfds", 0, Math.floor(size / 8));
  timeoutMs = checkTimeoutMs(timeoutMs);
  return readyCount(libc.poll(fds, nfds, timeoutMs), "poll");
}

const timeval = new Uint32Array(4);
const timevalBytes = new Uint8Array(timeval.buffer);
const FD_SET_BYTES = 128;

function checkFdSet(set: Uint8Array | null, name: string): void {
  if (set === null) return;
  if (byteLengthOf(set, name) < FD_SET_BYTES) {
    throw new RangeError(`${name} must be a Uint8Array of at least ${FD_SET_BYTES} bytes (an fd_set)`);
  }
}

/**
 * `select(2)` on 128-byte `fd_set`s (FD_SETSIZE 1024 bits); `timeoutMs`
 * null waits forever. Returns the number of ready fds.
 *
 * ```ts
 * import { AF_UNIX, close, FD_SETSIZE, select, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * const writefds = new Uint8Array(FD_SETSIZE / 8); // an fd_set; fds must be below FD_SETSIZE
 * writefds[a >> 3] |= 1 << (a & 7);
 * console.log(select(a + 1, null, writefds, null, 0), (writefds[a >> 3] >> (a & 7)) & 1); // 1 1
 * close(a);
 * close(b);
 * ```
 */
export function select(
  nfds: number,
  readfds: Uint8Array | null,
  writefds: Uint8Array | null,
  exceptfds: Uint8Array | null,
  timeoutMs: number | null,
): number {
  nfds = checkInt(nfds, "nfds", 0, 1024);
  checkFdSet(readfds, "readfds");
  checkFdSet(writefds, "writefds");
  checkFdSet(exceptfds, "exceptfds");
  let tv: Uint8Array | null = null;
  if (timeoutMs !== null) {
    timeoutMs = checkInt(timeoutMs, "timeoutMs", 0, I32_MAX);
    timeval[0] = Math.floor(timeoutMs / 1000);
    timeval[1] = 0;
    timeval[2] = (timeoutMs % 1000) * 1000;
    timeval[3] = 0;
    tv = timevalBytes;
  }
  return readyCount(libc.select(nfds, readfds, writefds, exceptfds, tv), "select");
}

const rlim = new BigUint64Array(2);
const rlimBytes = new Uint8Array(rlim.buffer);
const RLIM_INFINITY = 0xffffffffffffffffn;

function fromRlim(v: bigint): number {
  return v === RLIM_INFINITY ? Infinity : Number(v);
}

function toRlim(v: number, name: string): bigint {
  if (v === Infinity) return RLIM_INFINITY;
  return BigInt(checkInt(v, name, 0, Number.MAX_SAFE_INTEGER));
}

/**
 * `getrlimit(2)`: `{ soft, hard }`, Infinity for RLIM_INFINITY.
 *
 * ```ts
 * import { getrlimit, RLIMIT_NOFILE } from "@libc/epoll/ffi";
 *
 * const { soft, hard } = getrlimit(RLIMIT_NOFILE);
 * console.log(Number.isInteger(soft) || soft === Infinity, soft <= hard); // true true
 * ```
 */
export function getrlimit(resource: number): { soft: number; hard: number } {
  resource = checkInt(resource, "resource", 0, I32_MAX);
  if (libc.getrlimit(resource, rlimBytes) < 0) throwErrno("getrlimit");
  return { soft: fromRlim(rlim[0]), hard: fromRlim(rlim[1]) };
}

/**
 * `setrlimit(2)`: sets the soft and hard limits (Infinity for RLIM_INFINITY).
 *
 * ```ts
 * import { getrlimit, RLIMIT_NOFILE, setrlimit } from "@libc/epoll/ffi";
 *
 * const { soft, hard } = getrlimit(RLIMIT_NOFILE);
 * // A server may raise its soft limit up to the hard one; this sets them as they are.
 * setrlimit(RLIMIT_NOFILE, soft, hard);
 * console.log(getrlimit(RLIMIT_NOFILE).soft === soft); // true
 * ```
 */
export function setrlimit(resource: number, soft: number, hard: number): void {
  resource = checkInt(resource, "resource", 0, I32_MAX);
  const s = toRlim(soft, "soft");
  const h = toRlim(hard, "hard");
  rlim[0] = s;
  rlim[1] = h;
  if (libc.setrlimit(resource, rlimBytes) < 0) throwErrno("setrlimit");
}

/**
 * Sets or clears O_NONBLOCK on `fd` (for fds not created nonblocking).
 *
 * ```ts
 * import { close, pipe2, read, setNonBlocking, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(); // blocking: a read would wait
 * setNonBlocking(r);
 * console.log(read(r, new Uint8Array(8)) === WOULD_BLOCK); // true
 * close(r);
 * close(w);
 * ```
 */
export function setNonBlocking(fd: number, on = true): void {
  if (typeof on !== "boolean") throw new TypeError(`on must be a boolean, got ${describe(on)}`);
  const flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/**
 * `unlink(2)`: removes `path` (a Unix socket's file, say). Throws
 * `ErrnoError` ENOENT when there is none.
 *
 * ```ts
 * import { AF_UNIX, bind, close, isErrno, encodeUnix, SOCK_STREAM, socket, unlink } from "@libc/epoll/ffi";
 *
 * const dir = Deno.makeTempDirSync();
 * const path = `${dir}/app.sock`;
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * bind(fd, encodeUnix(path)); // creates the file
 * close(fd); // leaves it behind
 * unlink(path); // so the next bind to this path works
 * try {
 *   unlink(path);
 * } catch (err) {
 *   console.log(isErrno(err, "ENOENT")); // true
 * }
 * Deno.removeSync(dir);
 * ```
 */
export function unlink(path: string): void {
  checkString(path, "path");
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.includes(0)) throw new TypeError("path must be non-empty, without NUL bytes");
  const bytes = new Uint8Array(name.length + 1);
  bytes.set(name);
  if (libc.unlink(bytes) < 0) throwErrno("unlink", path);
}
