/**
 * C-named wrappers over the libc symbols: each validates its arguments
 * (never a crash on NaN, a negative fd or a length past the buffer), calls
 * libc synchronously, and on -1 throws an {@linkcode ErrnoError} read from
 * this thread's errno right after the call.
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
import { checkData, EventBuffer, NATIVE_LAYOUT } from "./epoll_event.ts";
import { decodeSockAddr, type EncodedAddr, type SockAddr, SOCKADDR_STORAGE_SIZE } from "./sockaddr.ts";
import { EPOLL_CTL_DEL, F_GETFL, F_SETFL, O_NONBLOCK } from "./constants.ts";

/** Returned by the nonblocking I/O calls instead of throwing for EAGAIN. */
export const WOULD_BLOCK: -1 = -1;

const I32_MAX = 0x7fffffff;

/** Throws a RangeError unless `fd` is an integer in [0, 2^31). */
export function checkFd(fd: number, name = "fd"): void {
  if ((fd | 0) !== fd || fd < 0) throw new RangeError(`${name} must be an integer in [0, 2^31), got ${fd}`);
}

function checkInt(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function checkBuffer(buf: Uint8Array, name = "buf"): void {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

// The byte count for a buffer call: `len` defaults to the whole buffer and may
// never exceed it (libc would write past the end of the JS buffer).
function span(buf: Uint8Array, len: number | undefined): number {
  checkBuffer(buf);
  if (len === undefined) return buf.byteLength < I32_MAX ? buf.byteLength : I32_MAX;
  if ((len | 0) !== len || len < 0 || len > buf.byteLength) {
    throw new RangeError(`len must be an integer in [0, ${buf.byteLength}] (the buffer's size), got ${len}`);
  }
  return len;
}

// The kernel reads `length` bytes from the address: never past the JS buffer.
function checkAddr(addr: EncodedAddr): void {
  if (addr === null || typeof addr !== "object" || !(addr.bytes instanceof Uint8Array)) {
    throw new TypeError("addr must be an encoded address (see encodeIp, encodeUnix)");
  }
  checkInt(addr.length, "addr.length", 0, addr.bytes.byteLength);
}

// ---------------------------------------------------------------- epoll

// One struct epoll_event for epoll_ctl, reused: calls are synchronous.
const ctlEvent = new EventBuffer(1);

/** `epoll_create1(2)`: a new epoll fd. `flags` is 0 or `EPOLL_CLOEXEC`. */
export function epoll_create1(flags = 0): number {
  const fd = libc.epoll_create1(flags | 0);
  if (fd < 0) throwErrno("epoll_create1");
  return fd;
}

/**
 * `epoll_ctl(2)`: add, modify or delete `fd` in `epfd`. `events` may be any
 * combination of EPOLL* flags, negative `|` results included; `data`
 * (default: `fd`) is an integer in [0, 2^53) returned with each event.
 */
export function epoll_ctl(epfd: number, op: number, fd: number, events = 0, data: number = fd): void {
  checkFd(epfd, "epfd");
  checkFd(fd);
  checkData(data);
  checkInt(events, "events", -(2 ** 31), 0xffffffff); // any | combination, negative ones included
  if (op !== EPOLL_CTL_DEL) ctlEvent.set(0, events, data);
  if (libc.epoll_ctl(epfd, op | 0, fd, ctlEvent.bytes) < 0) throwErrno("epoll_ctl", `fd ${fd}`);
}

function checkWait(events: EventBuffer, maxevents: number, timeoutMs: number): void {
  if (!(events instanceof EventBuffer)) throw new TypeError("events must be an EventBuffer");
  // The kernel writes NATIVE_LAYOUT.size bytes per event, whatever layout
  // the buffer was made for: bound maxevents by the bytes, not the capacity.
  const room = Math.min(events.capacity, Math.floor(events.bytes.byteLength / NATIVE_LAYOUT.size));
  if ((maxevents | 0) !== maxevents || maxevents < 1 || maxevents > room) {
    throw new RangeError(`maxevents must be an integer in [1, ${room}], got ${maxevents}`);
  }
  if ((timeoutMs | 0) !== timeoutMs || timeoutMs < -1) {
    throw new RangeError(`timeoutMs must be an integer in [-1, 2^31), got ${timeoutMs}`);
  }
}

/**
 * `epoll_wait(2)`: fills `events` (and sets `events.length`) with up to
 * `maxevents` ready events, waiting up to `timeoutMs` (-1: forever, 0: poll).
 * Blocks this thread: on the main thread use 0, or the reactor. EINTR
 * returns 0 events.
 */
export function epoll_wait(
  epfd: number,
  events: EventBuffer,
  maxevents = events.capacity,
  timeoutMs = -1,
): number {
  checkFd(epfd, "epfd");
  checkWait(events, maxevents, timeoutMs);
  const n = libc.epoll_wait(epfd, events.bytes, maxevents, timeoutMs);
  if (n < 0) {
    if (lastErrno() !== EINTR) throwErrno("epoll_wait");
    events.length = 0;
    return 0;
  }
  events.length = n;
  return n;
}

// struct timespec { i64 tv_sec; i64 tv_nsec; } as four u32 halves.
const timespec = new Uint32Array(4);
const timespecBytes = new Uint8Array(timespec.buffer);

/**
 * `epoll_pwait2(2)`: like {@linkcode epoll_wait} with a nanosecond timeout
 * (Linux ≥ 5.11). A short bounded wait on the main thread sleeps in the
 * kernel where a spin would burn CPU. EINTR returns 0 events.
 */
export function epoll_pwait2(
  epfd: number,
  events: EventBuffer,
  maxevents: number,
  timeoutNs: number,
): number {
  checkFd(epfd, "epfd");
  checkWait(events, maxevents, 0);
  checkInt(timeoutNs, "timeoutNs", 0, Number.MAX_SAFE_INTEGER);
  const sec = Math.floor(timeoutNs / 1e9);
  timespec[0] = sec >>> 0;
  timespec[1] = Math.floor(sec / 2 ** 32);
  timespec[2] = timeoutNs - sec * 1e9;
  timespec[3] = 0;
  const n = libc.epoll_pwait2(epfd, events.bytes, maxevents, timespecBytes, null);
  if (n < 0) {
    if (lastErrno() !== EINTR) throwErrno("epoll_pwait2");
    events.length = 0;
    return 0;
  }
  events.length = n;
  return n;
}

// ---------------------------------------------------------------- I/O

// Shared tail of the I/O calls: the result, WOULD_BLOCK, a retry (EINTR,
// signalled by -2), or a throw.
function ioResult(n: number, syscall: string): number {
  if (n >= 0) return n;
  const errno = lastErrno();
  if (errno === EAGAIN) return WOULD_BLOCK;
  if (errno === EINTR) return -2;
  throw new ErrnoError(syscall, errno);
}

/** `read(2)` up to `len` (default: `buf.length`) bytes. Returns the count (0 at EOF) or WOULD_BLOCK. */
export function read(fd: number, buf: Uint8Array, len?: number): number {
  checkFd(fd);
  const count = span(buf, len);
  let n;
  do n = ioResult(libc.read(fd, buf, count), "read"); while (n === -2);
  return n;
}

/** `write(2)` up to `len` (default: `buf.length`) bytes. Returns the count written or WOULD_BLOCK. */
export function write(fd: number, buf: Uint8Array, len?: number): number {
  checkFd(fd);
  const count = span(buf, len);
  let n;
  do n = ioResult(libc.write(fd, buf, count), "write"); while (n === -2);
  return n;
}

/** `recv(2)` with `flags` (e.g. MSG_PEEK). Returns the count (0 at EOF) or WOULD_BLOCK. */
export function recv(fd: number, buf: Uint8Array, flags = 0, len?: number): number {
  checkFd(fd);
  const count = span(buf, len);
  let n;
  do n = ioResult(libc.recv(fd, buf, count, flags | 0), "recv"); while (n === -2);
  return n;
}

/** `send(2)` with `flags` (pass MSG_NOSIGNAL to get EPIPE rather than SIGPIPE). Returns the count or WOULD_BLOCK. */
export function send(fd: number, buf: Uint8Array, flags = 0, len?: number): number {
  checkFd(fd);
  const count = span(buf, len);
  let n;
  do n = ioResult(libc.send(fd, buf, count, flags | 0), "send"); while (n === -2);
  return n;
}

/** Room for one `struct sockaddr_storage` and its `socklen_t`, filled by accept4/recvfrom. */
export class SockAddrBuffer {
  /** The address bytes. */
  readonly bytes: Uint8Array<ArrayBuffer> = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  /** The `socklen_t` in/out parameter. */
  readonly len: Uint32Array<ArrayBuffer> = new Uint32Array(1);
  /** The length in bytes as a `socklen_t*` buffer. */
  readonly lenBytes: Uint8Array<ArrayBuffer> = new Uint8Array(this.len.buffer);

  /** Resets the length before a call fills the buffer. */
  reset(): void {
    this.len[0] = SOCKADDR_STORAGE_SIZE;
  }

  /** Decodes what the last call stored. */
  decode(transport: "tcp" | "udp" = "tcp"): SockAddr {
    return decodeSockAddr(this.bytes, this.len[0], transport);
  }
}

/** `recvfrom(2)`: like recv, storing the sender in `from` when given. Returns the count or WOULD_BLOCK. */
export function recvfrom(
  fd: number,
  buf: Uint8Array,
  flags = 0,
  from?: SockAddrBuffer,
  len?: number,
): number {
  checkFd(fd);
  const count = span(buf, len);
  from?.reset();
  let n;
  do {
    n = ioResult(
      libc.recvfrom(fd, buf, count, flags | 0, from?.bytes ?? null, from?.lenBytes ?? null),
      "recvfrom",
    );
  } while (n === -2);
  return n;
}

/** `sendto(2)`: sends `buf` to `to` (an encoded address). Returns the count or WOULD_BLOCK. */
export function sendto(fd: number, buf: Uint8Array, flags: number, to: EncodedAddr, len?: number): number {
  checkFd(fd);
  checkAddr(to);
  const count = span(buf, len);
  let n;
  do n = ioResult(libc.sendto(fd, buf, count, flags | 0, to.bytes, to.length), "sendto"); while (n === -2);
  return n;
}

// ---------------------------------------------------------------- sockets

/** `socket(2)`: a new socket fd. Add SOCK_NONBLOCK | SOCK_CLOEXEC to `type` for a reactor. */
export function socket(domain: number, type: number, protocol = 0): number {
  const fd = libc.socket(domain | 0, type | 0, protocol | 0);
  if (fd < 0) throwErrno("socket");
  return fd;
}

/** `bind(2)` to an encoded address (see `encodeIp`, `encodeUnix`). */
export function bind(fd: number, addr: EncodedAddr): void {
  checkFd(fd);
  checkAddr(addr);
  if (libc.bind(fd, addr.bytes, addr.length) < 0) throwErrno("bind");
}

/** `listen(2)` with `backlog` (default 4096, Linux's SOMAXCONN). */
export function listen(fd: number, backlog = 4096): void {
  checkFd(fd);
  checkInt(backlog, "backlog", 0, I32_MAX);
  if (libc.listen(fd, backlog) < 0) throwErrno("listen");
}

/**
 * `connect(2)`. Returns true when connected at once, false when a
 * nonblocking connect is in progress (EINPROGRESS, or EINTR): wait for
 * EPOLLOUT, then read SO_ERROR for the outcome.
 */
export function connect(fd: number, addr: EncodedAddr): boolean {
  checkFd(fd);
  checkAddr(addr);
  if (libc.connect(fd, addr.bytes, addr.length) === 0) return true;
  const errno = lastErrno();
  if (errno === EINPROGRESS || errno === EINTR) return false;
  throw new ErrnoError("connect", errno);
}

/**
 * `accept4(2)`: the next connection's fd, created with `flags`
 * (SOCK_NONBLOCK | SOCK_CLOEXEC), or WOULD_BLOCK when none is pending. The
 * peer address is stored in `addr` when given. ECONNABORTED, EMFILE and the
 * like throw: the caller decides (see net/).
 */
export function accept4(fd: number, flags = 0, addr?: SockAddrBuffer): number {
  checkFd(fd);
  addr?.reset();
  let n;
  do n = ioResult(
    libc.accept4(fd, addr?.bytes ?? null, addr?.lenBytes ?? null, flags | 0),
    "accept4",
  ); while (
    n === -2
  );
  return n;
}

const optInt = new Int32Array(1);
const optIntBytes = new Uint8Array(optInt.buffer);
const optLen = new Uint32Array(1);
const optLenBytes = new Uint8Array(optLen.buffer);

/** `setsockopt(2)`: a number is passed as an `int`, bytes as they are. */
export function setsockopt(fd: number, level: number, optname: number, value: number | Uint8Array): void {
  checkFd(fd);
  let bytes: Uint8Array;
  if (typeof value === "number") {
    checkInt(value, "value", -(2 ** 31), I32_MAX);
    optInt[0] = value;
    bytes = optIntBytes;
  } else {
    checkBuffer(value, "value");
    bytes = value;
  }
  if (libc.setsockopt(fd, level | 0, optname | 0, bytes, bytes.byteLength) < 0) throwErrno("setsockopt");
}

/** `getsockopt(2)` of an `int` option (SO_ERROR, SO_RCVBUF, TCP_NODELAY, …). */
export function getsockopt(fd: number, level: number, optname: number): number {
  checkFd(fd);
  optLen[0] = 4;
  if (libc.getsockopt(fd, level | 0, optname | 0, optIntBytes, optLenBytes) < 0) throwErrno("getsockopt");
  return optInt[0];
}

const nameBuf = new SockAddrBuffer();

/** `getsockname(2)`, decoded. `transport` labels IP addresses ("tcp" or "udp"). */
export function getsockname(fd: number, transport: "tcp" | "udp" = "tcp"): SockAddr {
  checkFd(fd);
  nameBuf.reset();
  if (libc.getsockname(fd, nameBuf.bytes, nameBuf.lenBytes) < 0) throwErrno("getsockname");
  return nameBuf.decode(transport);
}

/** `getpeername(2)`, decoded. Throws ENOTCONN on an unconnected socket. */
export function getpeername(fd: number, transport: "tcp" | "udp" = "tcp"): SockAddr {
  checkFd(fd);
  nameBuf.reset();
  if (libc.getpeername(fd, nameBuf.bytes, nameBuf.lenBytes) < 0) throwErrno("getpeername");
  return nameBuf.decode(transport);
}

/** `shutdown(2)`: SHUT_RD, SHUT_WR (half-close) or SHUT_RDWR. */
export function shutdown(fd: number, how: number): void {
  checkFd(fd);
  if (libc.shutdown(fd, how | 0) < 0) throwErrno("shutdown");
}

/**
 * `close(2)`. EINTR is not retried: on Linux the fd is released regardless,
 * and a retry could close a number another thread just reused.
 */
export function close(fd: number): void {
  checkFd(fd);
  if (libc.close(fd) < 0 && lastErrno() !== EINTR) throwErrno("close", `fd ${fd}`);
}

// ---------------------------------------------------------------- other fds

/** `eventfd(2)`: a counter fd (EFD_NONBLOCK, EFD_CLOEXEC, EFD_SEMAPHORE). */
export function eventfd(initval = 0, flags = 0): number {
  checkInt(initval, "initval", 0, 0xffffffff);
  const fd = libc.eventfd(initval, flags | 0);
  if (fd < 0) throwErrno("eventfd");
  return fd;
}

const counter = new Uint32Array(2);
const counterBytes = new Uint8Array(counter.buffer);

/** glibc's `eventfd_write`: adds `value` (1 to 2^32-1) to the counter. Returns false if it would block. */
export function eventfd_write(fd: number, value = 1): boolean {
  checkInt(value, "value", 1, 0xffffffff);
  counter[0] = value;
  counter[1] = 0;
  return write(fd, counterBytes) !== WOULD_BLOCK;
}

/** glibc's `eventfd_read`: the counter (and resets it), or WOULD_BLOCK when it is 0 on a nonblocking fd. */
export function eventfd_read(fd: number): number {
  if (read(fd, counterBytes) === WOULD_BLOCK) return WOULD_BLOCK;
  return counter[0] + counter[1] * 2 ** 32;
}

/** `fcntl(2)` with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD). */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  checkFd(fd);
  const r = libc.fcntl(fd, cmd | 0, arg | 0);
  if (r < 0) throwErrno("fcntl");
  return r;
}

const pair = new Int32Array(2);
const pairBytes = new Uint8Array(pair.buffer);

/** `pipe2(2)`: `[readEnd, writeEnd]`, with O_NONBLOCK / O_CLOEXEC flags. */
export function pipe2(flags = 0): [read: number, write: number] {
  if (libc.pipe2(pairBytes, flags | 0) < 0) throwErrno("pipe2");
  return [pair[0], pair[1]];
}

/** `socketpair(2)`: two connected sockets (AF_UNIX; SOCK_STREAM or SOCK_DGRAM, plus flags). */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  if (libc.socketpair(domain | 0, type | 0, protocol | 0, pairBytes) < 0) throwErrno("socketpair");
  return [pair[0], pair[1]];
}

/** `timerfd_create(2)`: a timer fd on CLOCK_MONOTONIC or CLOCK_REALTIME. */
export function timerfd_create(clockid: number, flags = 0): number {
  const fd = libc.timerfd_create(clockid | 0, flags | 0);
  if (fd < 0) throwErrno("timerfd_create");
  return fd;
}

// struct itimerspec { timespec it_interval; timespec it_value; }
const itimerspec = new Uint32Array(8);
const itimerBytes = new Uint8Array(itimerspec.buffer);

function putTimespec(at: number, ms: number): void {
  const ns = Math.round(ms * 1e6);
  checkInt(ns, "time (ns)", 0, Number.MAX_SAFE_INTEGER);
  const sec = Math.floor(ns / 1e9);
  itimerspec[at] = sec >>> 0;
  itimerspec[at + 1] = Math.floor(sec / 2 ** 32);
  itimerspec[at + 2] = ns - sec * 1e9;
  itimerspec[at + 3] = 0;
}

/**
 * `timerfd_settime(2)`: fires after `valueMs` (0 disarms), then every
 * `intervalMs` (0: once). Fractions of a millisecond are kept (ns resolution).
 */
export function timerfd_settime(fd: number, flags: number, valueMs: number, intervalMs = 0): void {
  checkFd(fd);
  putTimespec(0, intervalMs);
  putTimespec(4, valueMs);
  if (libc.timerfd_settime(fd, flags | 0, itimerBytes, null) < 0) throwErrno("timerfd_settime");
}

/** `poll(2)` over `nfds` entries of `struct pollfd { int fd; short events; short revents; }` (8 bytes each). */
export function poll(fds: Uint8Array, nfds: number, timeoutMs: number): number {
  checkBuffer(fds, "fds");
  checkInt(nfds, "nfds", 0, Math.floor(fds.byteLength / 8));
  checkInt(timeoutMs, "timeoutMs", -1, I32_MAX);
  const n = libc.poll(fds, nfds, timeoutMs);
  if (n < 0) {
    if (lastErrno() === EINTR) return 0;
    throwErrno("poll");
  }
  return n;
}

const timeval = new Uint32Array(4);
const timevalBytes = new Uint8Array(timeval.buffer);

/**
 * `select(2)` on 128-byte `fd_set`s (FD_SETSIZE 1024 bits); `timeoutMs`
 * null waits forever. Returns the number of ready fds.
 */
export function select(
  nfds: number,
  readfds: Uint8Array | null,
  writefds: Uint8Array | null,
  exceptfds: Uint8Array | null,
  timeoutMs: number | null,
): number {
  checkInt(nfds, "nfds", 0, 1024);
  for (const set of [readfds, writefds, exceptfds]) {
    if (set !== null && (!(set instanceof Uint8Array) || set.byteLength < 128)) {
      throw new RangeError("an fd_set must be a Uint8Array of at least 128 bytes");
    }
  }
  let tv: Uint8Array | null = null;
  if (timeoutMs !== null) {
    checkInt(timeoutMs, "timeoutMs", 0, I32_MAX);
    timeval[0] = Math.floor(timeoutMs / 1000);
    timeval[1] = 0;
    timeval[2] = (timeoutMs % 1000) * 1000;
    timeval[3] = 0;
    tv = timevalBytes;
  }
  const n = libc.select(nfds, readfds, writefds, exceptfds, tv);
  if (n < 0) {
    if (lastErrno() === EINTR) return 0;
    throwErrno("select");
  }
  return n;
}

const rlim = new BigUint64Array(2);
const rlimBytes = new Uint8Array(rlim.buffer);
const RLIM_INFINITY = 0xffffffffffffffffn;

function fromRlim(v: bigint): number {
  return v === RLIM_INFINITY ? Infinity : Number(v);
}

/** `getrlimit(2)`: `{ soft, hard }`, Infinity for RLIM_INFINITY. */
export function getrlimit(resource: number): { soft: number; hard: number } {
  if (libc.getrlimit(resource | 0, rlimBytes) < 0) throwErrno("getrlimit");
  return { soft: fromRlim(rlim[0]), hard: fromRlim(rlim[1]) };
}

/** `setrlimit(2)`: sets the soft and hard limits (Infinity for RLIM_INFINITY). */
export function setrlimit(resource: number, soft: number, hard: number): void {
  const toRlim = (v: number): bigint => {
    if (v === Infinity) return RLIM_INFINITY;
    checkInt(v, "rlimit", 0, Number.MAX_SAFE_INTEGER);
    return BigInt(v);
  };
  rlim[0] = toRlim(soft);
  rlim[1] = toRlim(hard);
  if (libc.setrlimit(resource | 0, rlimBytes) < 0) throwErrno("setrlimit");
}

/** Sets or clears O_NONBLOCK on `fd` (for fds not created nonblocking). */
export function setNonBlocking(fd: number, on = true): void {
  const flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}
