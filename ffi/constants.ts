/**
 * Linux constants, named as in the man pages. Values are the generic Linux
 * ABI shared by x86_64 and aarch64; every flag is a non-negative number
 * (EPOLLET is 2**31, never the negative `1 << 31`).
 *
 * Flags combined with `|` in JS become signed 32-bit (`EPOLLIN | EPOLLET` is
 * negative); every function here that takes flags normalises them with
 * `>>> 0`, and so should code comparing them: `(ev & EPOLLET) !== 0` is safe.
 *
 * @module
 */

// --- epoll_ctl(2) / epoll_wait(2) event bits ---
/**
 * The fd is readable (or a listener has a connection to accept).
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1); // a counter of 1: readable
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLIN); // 1 true
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLLIN = 0x001;
/**
 * Exceptional condition: TCP urgent data, a cgroup or sysfs notification. Ordinary data never
 * raises it: a socket registered for it still reports only EPOLLIN.
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EPOLLPRI, EventBuffer, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLIN | EPOLLPRI);
 * write(b, new Uint8Array([1]));
 * const events = new EventBuffer(1);
 * epoll_wait(epfd, events, 1, 0);
 * console.log(events.events(0) === EPOLLIN, (events.events(0) & EPOLLPRI) === 0); // true true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLPRI = 0x002;
/**
 * The fd is writable.
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLOUT, EventBuffer, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM); // an empty send buffer: writable
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLOUT);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLOUT); // 1 true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLOUT = 0x004;
/**
 * Error on the fd; always reported, never needs requesting. A pipe's write end reports it once the
 * read end is closed.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLERR, EventBuffer, O_NONBLOCK, pipe2 } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [r, w] = pipe2(O_NONBLOCK);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, w, 0); // no interest asked for
 * close(r);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLERR); // 1 true
 * close(w);
 * close(epfd);
 * ```
 */
export const EPOLLERR = 0x008;
/**
 * Hang-up; always reported. Reads may still return buffered data. A pipe's read end reports it once
 * every write end is closed.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLHUP, EventBuffer, O_NONBLOCK, pipe2 } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [r, w] = pipe2(O_NONBLOCK);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, r, 0); // no interest asked for
 * close(w);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLHUP); // 1 true
 * close(r);
 * close(epfd);
 * ```
 */
export const EPOLLHUP = 0x010;
/**
 * Normal data readable (same as EPOLLIN for sockets).
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLRDNORM, EventBuffer, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLRDNORM);
 * write(b, new Uint8Array([1]));
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLRDNORM); // 1 true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLRDNORM = 0x040;
/**
 * Priority band data readable. Linux sockets do not raise it for ordinary data.
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EPOLLRDBAND, EventBuffer, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLIN | EPOLLRDBAND);
 * write(b, new Uint8Array([1]));
 * const events = new EventBuffer(1);
 * epoll_wait(epfd, events, 1, 0);
 * console.log(events.events(0) === EPOLLIN); // true: no EPOLLRDBAND
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLRDBAND = 0x080;
/**
 * Normal data writable (same as EPOLLOUT for sockets).
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLWRNORM, EventBuffer, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLWRNORM);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLWRNORM); // 1 true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLWRNORM = 0x100;
/**
 * Priority band data writable. Unix sockets raise it together with EPOLLOUT.
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLOUT, EPOLLWRBAND, EventBuffer, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLOUT | EPOLLWRBAND);
 * const events = new EventBuffer(1);
 * epoll_wait(epfd, events, 1, 0);
 * console.log(events.events(0) === (EPOLLOUT | EPOLLWRBAND)); // true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLWRBAND = 0x200;
/**
 * Unused by Linux; listed for completeness.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLMSG, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLMSG); // accepted, never reported
 * console.log(epoll_wait(epfd, new EventBuffer(1), 1, 0)); // 0
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLLMSG = 0x400;
/**
 * Stream peer shut down writing (half-close), or the connection closed. It tells a half-close apart
 * from data without a `read` that returns 0.
 *
 * ```ts
 * import { AF_UNIX, close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EPOLLRDHUP, EventBuffer, SHUT_WR, shutdown, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, a, EPOLLIN | EPOLLRDHUP);
 * shutdown(b, SHUT_WR); // the peer is done writing
 * const events = new EventBuffer(1);
 * epoll_wait(epfd, events, 1, 0);
 * console.log((events.events(0) & EPOLLRDHUP) !== 0); // true
 * for (const fd of [a, b, epfd]) close(fd);
 * ```
 */
export const EPOLLRDHUP = 0x2000;
/**
 * Wake one of several epoll instances waiting on the same fd (EPOLL_CTL_ADD only). Allowed with
 * EPOLLIN, EPOLLOUT, EPOLLWAKEUP and EPOLLET; EPOLL_CTL_MOD refuses it (EINVAL).
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLLEXCLUSIVE, EPOLLIN, eventfd, isErrno } from "@libc/epoll/ffi";
 *
 * const [ep1, ep2] = [epoll_create1(), epoll_create1()];
 * const efd = eventfd();
 * // Two waiters (say, two threads' instances) on one fd: a write wakes one of them.
 * epoll_ctl(ep1, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE);
 * epoll_ctl(ep2, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE);
 * try {
 *   epoll_ctl(ep1, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLEXCLUSIVE);
 * } catch (err) {
 *   console.log(isErrno(err, "EINVAL")); // true
 * }
 * for (const fd of [efd, ep1, ep2]) close(fd);
 * ```
 */
export const EPOLLEXCLUSIVE = 0x10000000;
/**
 * Hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND). Without the capability
 * the kernel silently drops the flag; the fd is registered either way.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EPOLLWAKEUP, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLWAKEUP);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLIN); // 1 true
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLLWAKEUP = 0x20000000;
/**
 * Report once, then disable the fd until rearmed with EPOLL_CTL_MOD.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLL_CTL_MOD, epoll_wait, EPOLLIN, EPOLLONESHOT, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1); // stays readable
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLONESHOT);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), epoll_wait(epfd, events, 1, 0)); // 1 0
 * epoll_ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLONESHOT); // rearm
 * console.log(epoll_wait(epfd, events, 1, 0)); // 1
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLLONESHOT = 0x40000000;
/**
 * Edge-triggered: report transitions, not levels. Drain to EAGAIN after each event.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLET, EPOLLIN, EventBuffer, eventfd, eventfd_write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd();
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET);
 * eventfd_write(efd, 1);
 * const events = new EventBuffer(1);
 * // Still readable, but one edge is one event; level-triggered would say 1 1.
 * console.log(epoll_wait(epfd, events, 1, 0), epoll_wait(epfd, events, 1, 0)); // 1 0
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLLET = 0x80000000;

// --- epoll_ctl(2) ops, epoll_create1(2) flags ---
/**
 * Register an fd.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 1234); // data: any integer in [0, 2^53)
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0), events.data(0)); // 1 1234
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLL_CTL_ADD = 1;
/**
 * Deregister an fd.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLL_CTL_DEL, epoll_wait, EPOLLIN, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(1);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * epoll_ctl(epfd, EPOLL_CTL_DEL, efd);
 * console.log(epoll_wait(epfd, new EventBuffer(1), 1, 0)); // 0
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLL_CTL_DEL = 2;
/**
 * Change an fd's events and data.
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLL_CTL_MOD, epoll_wait, EPOLLIN, EPOLLOUT, EventBuffer, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(); // 0: writable, not readable
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * const events = new EventBuffer(1);
 * console.log(epoll_wait(epfd, events, 1, 0)); // 0
 * epoll_ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLOUT, 7);
 * console.log(epoll_wait(epfd, events, 1, 0), events.events(0) === EPOLLOUT, events.data(0)); // 1 true 7
 * close(efd);
 * close(epfd);
 * ```
 */
export const EPOLL_CTL_MOD = 3;
/**
 * Close the epoll fd on exec.
 *
 * ```ts
 * import { close, EPOLL_CLOEXEC, epoll_create1, F_GETFD, fcntl, FD_CLOEXEC } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1(EPOLL_CLOEXEC);
 * console.log(fcntl(epfd, F_GETFD) & FD_CLOEXEC); // 1
 * close(epfd);
 * ```
 */
export const EPOLL_CLOEXEC = 0x80000;

// --- socket(2) ---
/**
 * Unix domain sockets.
 *
 * ```ts
 * import { AF_UNIX, close, read, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new TextEncoder().encode("ping"));
 * const buf = new Uint8Array(8);
 * console.log(new TextDecoder().decode(buf.subarray(0, read(b, buf)))); // ping
 * close(a);
 * close(b);
 * ```
 */
export const AF_UNIX = 1;
/**
 * IPv4.
 *
 * ```ts
 * import { AF_INET, bind, close, encodeIp, getsockname, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * bind(fd, encodeIp("127.0.0.1", 0));
 * const addr = getsockname(fd);
 * console.log("hostname" in addr && addr.hostname); // 127.0.0.1
 * close(fd);
 * ```
 */
export const AF_INET = 2;
/**
 * IPv6.
 *
 * ```ts
 * import { AF_INET6, bind, close, encodeIp, getsockname, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET6, SOCK_STREAM);
 * bind(fd, encodeIp("::1", 0));
 * const addr = getsockname(fd);
 * console.log("hostname" in addr && addr.hostname); // ::1
 * close(fd);
 * ```
 */
export const AF_INET6 = 10;
/**
 * Stream socket (TCP, or a Unix stream).
 *
 * ```ts
 * import { AF_INET, close, getsockopt, SO_TYPE, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const tcp = socket(AF_INET, SOCK_STREAM);
 * console.log(getsockopt(tcp, SOL_SOCKET, SO_TYPE) === SOCK_STREAM); // true
 * close(tcp);
 * ```
 */
export const SOCK_STREAM = 1;
/**
 * Datagram socket (UDP, or a Unix datagram).
 *
 * ```ts
 * import { AF_INET, close, getsockopt, SO_TYPE, SOCK_DGRAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * console.log(getsockopt(udp, SOL_SOCKET, SO_TYPE) === SOCK_DGRAM); // true
 * close(udp);
 * ```
 */
export const SOCK_DGRAM = 2;
/**
 * Sequenced-packet socket. Reliable and ordered like a stream, with message boundaries like
 * datagrams (Unix sockets only here).
 *
 * ```ts
 * import { AF_UNIX, close, read, SOCK_SEQPACKET, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_SEQPACKET);
 * write(a, new Uint8Array([1, 2]));
 * write(a, new Uint8Array([3]));
 * console.log(read(b, new Uint8Array(8)), read(b, new Uint8Array(8))); // 2 1
 * close(a);
 * close(b);
 * ```
 */
export const SOCK_SEQPACKET = 5;
/**
 * `type` flag for socket/accept4/socketpair: nonblocking from the start.
 *
 * ```ts
 * import { AF_UNIX, close, read, SOCK_NONBLOCK, SOCK_STREAM, socketpair, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * console.log(read(a, new Uint8Array(8)) === WOULD_BLOCK); // true: nothing to read, no wait
 * close(a);
 * close(b);
 * ```
 */
export const SOCK_NONBLOCK = 0x800;
/**
 * `type` flag for socket/accept4/socketpair: close on exec.
 *
 * ```ts
 * import { AF_INET, close, F_GETFD, fcntl, FD_CLOEXEC, SOCK_CLOEXEC, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
 * console.log(fcntl(fd, F_GETFD) & FD_CLOEXEC); // 1
 * close(fd);
 * ```
 */
export const SOCK_CLOEXEC = 0x80000;

// --- socket options ---
/**
 * setsockopt level for socket-wide options.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, SO_TYPE, SOCK_DGRAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * console.log(getsockopt(udp, SOL_SOCKET, SO_TYPE) === SOCK_DGRAM); // true
 * close(udp);
 * ```
 */
export const SOL_SOCKET = 1;
/**
 * Socket type (read only).
 *
 * ```ts
 * import { AF_UNIX, close, getsockopt, SO_TYPE, SOCK_SEQPACKET, socketpair, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_SEQPACKET);
 * console.log(getsockopt(a, SOL_SOCKET, SO_TYPE) === SOCK_SEQPACKET); // true
 * close(a);
 * close(b);
 * ```
 */
export const SO_TYPE = 3;
/**
 * Allow binding a port in TIME_WAIT.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, setsockopt, SO_REUSEADDR, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1); // before bind: a restarted server gets its port back
 * console.log(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR)); // 1
 * close(fd);
 * ```
 */
export const SO_REUSEADDR = 2;
/**
 * Pending socket error, cleared by reading it (async connect result). Over a Unix stream, a peer
 * that closed with data unread leaves ECONNRESET here.
 *
 * ```ts
 * import { AF_UNIX, close, ECONNRESET, getsockopt, SO_ERROR, SOCK_STREAM, socketpair, SOL_SOCKET, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1]));
 * close(b); // with a byte unread
 * const first = getsockopt(a, SOL_SOCKET, SO_ERROR);
 * console.log(first === ECONNRESET, getsockopt(a, SOL_SOCKET, SO_ERROR)); // true 0
 * close(a);
 * ```
 */
export const SO_ERROR = 4;
/**
 * Send buffer size.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, setsockopt, SO_SNDBUF, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 65536);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_SNDBUF)); // 131072: Linux doubles it for its bookkeeping
 * close(fd);
 * ```
 */
export const SO_SNDBUF = 7;
/**
 * Receive buffer size.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, setsockopt, SO_RCVBUF, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4096);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_RCVBUF)); // 8192: Linux doubles it for its bookkeeping
 * close(fd);
 * ```
 */
export const SO_RCVBUF = 8;
/**
 * TCP keep-alive probes.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, setsockopt, SO_KEEPALIVE, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE)); // 0
 * setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE)); // 1
 * close(fd);
 * ```
 */
export const SO_KEEPALIVE = 9;
/**
 * Linger on close (`struct linger`); `{1, 0}` makes close send RST. The option is a `struct linger
 * { int l_onoff; int l_linger; }`: pass its 8 bytes.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, setsockopt, SO_LINGER, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, SOL_SOCKET, SO_LINGER, new Uint8Array(new Int32Array([1, 0]).buffer)); // close() will reset
 * console.log(getsockopt(fd, SOL_SOCKET, SO_LINGER)); // 1: l_onoff (getsockopt reads the first int)
 * close(fd);
 * ```
 */
export const SO_LINGER = 13;
/**
 * Several sockets may bind the same address; the kernel balances accepts.
 *
 * ```ts
 * import { AF_INET, bind, close, encodeIp, getsockname, setsockopt, SO_REUSEPORT, SOCK_STREAM, socket, SOL_SOCKET, type IpAddr } from "@libc/epoll/ffi";
 *
 * const [a, b] = [socket(AF_INET, SOCK_STREAM), socket(AF_INET, SOCK_STREAM)];
 * for (const fd of [a, b]) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
 * bind(a, encodeIp("127.0.0.1", 0));
 * bind(b, encodeIp("127.0.0.1", (getsockname(a) as IpAddr).port)); // the same port, no EADDRINUSE
 * console.log((getsockname(a) as IpAddr).port === (getsockname(b) as IpAddr).port); // true
 * close(a);
 * close(b);
 * ```
 */
export const SO_REUSEPORT = 15;
/**
 * setsockopt level for TCP.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, SOCK_STREAM, socket, TCP_NODELAY } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); // also the level of TCP_* options
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)); // 0
 * close(fd);
 * ```
 */
export const IPPROTO_TCP = 6;
/**
 * setsockopt level for UDP.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_UDP, SO_TYPE, SOCK_DGRAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
 * console.log(getsockopt(fd, SOL_SOCKET, SO_TYPE) === SOCK_DGRAM); // true
 * close(fd);
 * ```
 */
export const IPPROTO_UDP = 17;
/**
 * setsockopt level for IPv6.
 *
 * ```ts
 * import { AF_INET6, close, getsockopt, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET6, SOCK_STREAM);
 * console.log(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY)); // 0: the default of net.ipv6.bindv6only
 * close(fd);
 * ```
 */
export const IPPROTO_IPV6 = 41;
/**
 * Disable Nagle's algorithm.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, setsockopt, SOCK_STREAM, socket, TCP_NODELAY } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1); // small writes leave at once
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)); // 1
 * close(fd);
 * ```
 */
export const TCP_NODELAY = 1;
/**
 * Seconds a connection stays idle before the first keepalive probe (with SO_KEEPALIVE on).
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, setsockopt, SO_KEEPALIVE, SOCK_STREAM, socket, SOL_SOCKET, TCP_KEEPIDLE } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
 * setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 60);
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE)); // 60
 * close(fd);
 * ```
 */
export const TCP_KEEPIDLE = 4;
/**
 * Seconds between keepalive probes.
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, setsockopt, SOCK_STREAM, socket, TCP_KEEPINTVL } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 10);
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL)); // 10
 * close(fd);
 * ```
 */
export const TCP_KEEPINTVL = 5;
/**
 * Unanswered keepalive probes before the connection is dropped (ETIMEDOUT).
 *
 * ```ts
 * import { AF_INET, close, getsockopt, IPPROTO_TCP, setsockopt, SOCK_STREAM, socket, TCP_KEEPCNT } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
 * console.log(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT)); // 3
 * close(fd);
 * ```
 */
export const TCP_KEEPCNT = 6;
/**
 * An AF_INET6 socket accepts IPv6 only.
 *
 * ```ts
 * import { AF_INET6, close, getsockopt, IPPROTO_IPV6, IPV6_V6ONLY, setsockopt, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET6, SOCK_STREAM);
 * setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1); // before bind: "::" then leaves IPv4 to another socket
 * console.log(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY)); // 1
 * close(fd);
 * ```
 */
export const IPV6_V6ONLY = 26;

// --- getaddrinfo(3) ---
/**
 * `ai_family` for "any": IPv6 and IPv4 results, in the order RFC 6724 sorts them. {@linkcode
 * getaddrinfo} asks with it. `connect(2)` to an address of family AF_UNSPEC dissolves a UDP
 * socket's association.
 *
 * ```ts
 * import { AF_INET, AF_UNSPEC, close, connect, encodeIp, getpeername, isErrno, SOCK_DGRAM, SOCKADDR_IN_SIZE, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * connect(udp, encodeIp("127.0.0.1", 9));
 * const unspec = { bytes: new Uint8Array(SOCKADDR_IN_SIZE), length: SOCKADDR_IN_SIZE, family: AF_UNSPEC };
 * connect(udp, unspec); // sa_family 0 (AF_UNSPEC): not connected any more
 * try {
 *   getpeername(udp, "udp");
 * } catch (err) {
 *   console.log(isErrno(err, "ENOTCONN")); // true
 * }
 * close(udp);
 * ```
 */
export const AF_UNSPEC = 0;

// --- shutdown(2) ---
/**
 * Shut down reading.
 *
 * ```ts
 * import { AF_UNIX, close, read, SHUT_RD, shutdown, SOCK_NONBLOCK, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK);
 * shutdown(a, SHUT_RD);
 * console.log(read(a, new Uint8Array(8))); // 0: end of file, not WOULD_BLOCK
 * close(a);
 * close(b);
 * ```
 */
export const SHUT_RD = 0;
/**
 * Shut down writing (half-close: the peer reads EOF).
 *
 * ```ts
 * import { AF_UNIX, close, read, SHUT_WR, shutdown, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1, 2, 3]));
 * shutdown(a, SHUT_WR); // a can still read
 * const buf = new Uint8Array(8);
 * console.log(read(b, buf), read(b, buf)); // 3 0
 * close(a);
 * close(b);
 * ```
 */
export const SHUT_WR = 1;
/**
 * Shut down both directions.
 *
 * ```ts
 * import { AF_UNIX, close, isErrno, MSG_NOSIGNAL, read, send, SHUT_RDWR, shutdown, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * shutdown(a, SHUT_RDWR); // unlike close, the fd stays valid
 * console.log(read(b, new Uint8Array(8))); // 0
 * try {
 *   send(a, new Uint8Array([1]), MSG_NOSIGNAL);
 * } catch (err) {
 *   console.log(isErrno(err, "EPIPE")); // true
 * }
 * close(a);
 * close(b);
 * ```
 */
export const SHUT_RDWR = 2;

// --- send(2) / recv(2) flags ---
/**
 * Peek at data without removing it.
 *
 * ```ts
 * import { AF_UNIX, close, MSG_PEEK, recv, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1, 2, 3]));
 * const buf = new Uint8Array(8);
 * console.log(recv(b, buf, MSG_PEEK), recv(b, buf), buf[0]); // 3 3 1
 * close(a);
 * close(b);
 * ```
 */
export const MSG_PEEK = 0x2;
/**
 * Nonblocking for this call only.
 *
 * ```ts
 * import { AF_UNIX, close, MSG_DONTWAIT, recv, SOCK_STREAM, socketpair, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM); // blocking fds
 * console.log(recv(a, new Uint8Array(8), MSG_DONTWAIT) === WOULD_BLOCK); // true
 * close(a);
 * close(b);
 * ```
 */
export const MSG_DONTWAIT = 0x40;
/**
 * Return EPIPE instead of raising SIGPIPE on a broken stream. (Deno ignores
 * SIGPIPE, so `write` gets EPIPE as well; the flag matters once a listener
 * for SIGPIPE is added with `Deno.addSignalListener`.)
 *
 * ```ts
 * import { AF_UNIX, close, isErrno, MSG_NOSIGNAL, send, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * close(b);
 * try {
 *   send(a, new Uint8Array([1]), MSG_NOSIGNAL); // no SIGPIPE is raised
 * } catch (err) {
 *   console.log(isErrno(err, "EPIPE")); // true
 * }
 * close(a);
 * ```
 */
export const MSG_NOSIGNAL = 0x4000;

// --- fcntl(2), open flags ---
/**
 * Get the fd flags (FD_CLOEXEC).
 *
 * ```ts
 * import { close, EFD_CLOEXEC, eventfd, F_GETFD, fcntl, FD_CLOEXEC } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(0, EFD_CLOEXEC);
 * console.log(fcntl(fd, F_GETFD) === FD_CLOEXEC); // true
 * close(fd);
 * ```
 */
export const F_GETFD = 1;
/**
 * Set the fd flags.
 *
 * ```ts
 * import { close, eventfd, F_GETFD, F_SETFD, fcntl, FD_CLOEXEC } from "@libc/epoll/ffi";
 *
 * const fd = eventfd();
 * fcntl(fd, F_SETFD, FD_CLOEXEC);
 * console.log(fcntl(fd, F_GETFD)); // 1
 * close(fd);
 * ```
 */
export const F_SETFD = 2;
/**
 * Get the file status flags (O_NONBLOCK).
 *
 * ```ts
 * import { close, F_GETFL, fcntl, O_NONBLOCK, pipe2 } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * console.log((fcntl(r, F_GETFL) & O_NONBLOCK) !== 0); // true
 * close(r);
 * close(w);
 * ```
 */
export const F_GETFL = 3;
/**
 * Set the file status flags.
 *
 * ```ts
 * import { close, F_GETFL, F_SETFL, fcntl, O_NONBLOCK, pipe2 } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2();
 * fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_NONBLOCK); // what setNonBlocking does
 * console.log((fcntl(r, F_GETFL) & O_NONBLOCK) !== 0); // true
 * close(r);
 * close(w);
 * ```
 */
export const F_SETFL = 4;
/**
 * fd flag: close on exec.
 *
 * ```ts
 * import { close, F_GETFD, F_SETFD, fcntl, FD_CLOEXEC, pipe2 } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2();
 * fcntl(w, F_SETFD, FD_CLOEXEC); // a child process will not inherit w
 * console.log(fcntl(r, F_GETFD) & FD_CLOEXEC, fcntl(w, F_GETFD) & FD_CLOEXEC); // 0 1
 * close(r);
 * close(w);
 * ```
 */
export const FD_CLOEXEC = 1;
/**
 * Status flag: nonblocking I/O.
 *
 * ```ts
 * import { close, O_NONBLOCK, pipe2, read, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * console.log(read(r, new Uint8Array(8)) === WOULD_BLOCK); // true
 * close(r);
 * close(w);
 * ```
 */
export const O_NONBLOCK = 0x800;
/**
 * pipe2 flag: close on exec.
 *
 * ```ts
 * import { close, F_GETFD, fcntl, FD_CLOEXEC, O_CLOEXEC, pipe2 } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_CLOEXEC);
 * console.log(fcntl(r, F_GETFD) & FD_CLOEXEC, fcntl(w, F_GETFD) & FD_CLOEXEC); // 1 1
 * close(r);
 * close(w);
 * ```
 */
export const O_CLOEXEC = 0x80000;

// --- eventfd(2), timerfd_create(2) ---
/**
 * eventfd: reads return 1 and decrement, instead of the whole count.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, EFD_SEMAPHORE, eventfd, eventfd_read } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
 * console.log(eventfd_read(fd), eventfd_read(fd), eventfd_read(fd)); // 1 1 -1
 * close(fd);
 * ```
 */
export const EFD_SEMAPHORE = 1;
/**
 * eventfd: nonblocking.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, eventfd, eventfd_read, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(0, EFD_NONBLOCK);
 * console.log(eventfd_read(fd) === WOULD_BLOCK); // true: a counter of 0 does not wait
 * close(fd);
 * ```
 */
export const EFD_NONBLOCK = 0x800;
/**
 * eventfd: close on exec.
 *
 * ```ts
 * import { close, EFD_CLOEXEC, eventfd, F_GETFD, fcntl, FD_CLOEXEC } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(0, EFD_CLOEXEC);
 * console.log(fcntl(fd, F_GETFD) & FD_CLOEXEC); // 1
 * close(fd);
 * ```
 */
export const EFD_CLOEXEC = 0x80000;
/**
 * timerfd: nonblocking.
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, read, TFD_NONBLOCK, timerfd_create, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
 * console.log(read(fd, new Uint8Array(8)) === WOULD_BLOCK); // true: not armed, no wait
 * close(fd);
 * ```
 */
export const TFD_NONBLOCK = 0x800;
/**
 * timerfd: close on exec.
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, F_GETFD, fcntl, FD_CLOEXEC, TFD_CLOEXEC, timerfd_create } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
 * console.log(fcntl(fd, F_GETFD) & FD_CLOEXEC); // 1
 * close(fd);
 * ```
 */
export const TFD_CLOEXEC = 0x80000;
/**
 * timerfd_settime: the time is absolute. A deadline already past fires at once, and the count says
 * how many intervals were missed.
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, read, TFD_NONBLOCK, TFD_TIMER_ABSTIME, timerfd_create, timerfd_settime } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
 * timerfd_settime(fd, TFD_TIMER_ABSTIME, 1, 1); // 1 ms after boot, then every ms
 * const count = new BigUint64Array(1);
 * console.log(read(fd, new Uint8Array(count.buffer)), count[0] > 1n); // 8 true
 * close(fd);
 * ```
 */
export const TFD_TIMER_ABSTIME = 1;
/**
 * Wall-clock time. Here only as a relative timer: {@linkcode timerfd_settime} takes at most 2^53 ns
 * (about 104 days), so an absolute wall-clock deadline does not fit.
 *
 * ```ts
 * import { CLOCK_REALTIME, close, read, TFD_NONBLOCK, timerfd_create, timerfd_settime, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
 * timerfd_settime(fd, 0, 60_000); // in a minute
 * console.log(read(fd, new Uint8Array(8)) === WOULD_BLOCK); // true: not yet
 * close(fd);
 * ```
 */
export const CLOCK_REALTIME = 0;
/**
 * Monotonic time, unaffected by clock changes.
 *
 * ```ts
 * import { CLOCK_MONOTONIC, close, read, TFD_NONBLOCK, TFD_TIMER_ABSTIME, timerfd_create, timerfd_settime } from "@libc/epoll/ffi";
 *
 * const fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
 * timerfd_settime(fd, TFD_TIMER_ABSTIME, 1); // 1 ms after boot: long past
 * const count = new BigUint64Array(1);
 * console.log(read(fd, new Uint8Array(count.buffer)), count[0]); // 8 1n
 * close(fd);
 * ```
 */
export const CLOCK_MONOTONIC = 1;

// --- poll(2) ---
/**
 * poll: readable.
 *
 * ```ts
 * import { close, eventfd, poll, POLLIN } from "@libc/epoll/ffi";
 *
 * const fd = eventfd(1);
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, fd, true);
 * pollfd.setInt16(4, POLLIN, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLIN); // 1 true
 * close(fd);
 * ```
 */
export const POLLIN = 0x001;
/**
 * poll: urgent data. Ordinary data never raises it.
 *
 * ```ts
 * import { AF_UNIX, close, poll, POLLIN, POLLPRI, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(b, new Uint8Array([1]));
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, a, true);
 * pollfd.setInt16(4, POLLIN | POLLPRI, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLIN); // 1 true
 * close(a);
 * close(b);
 * ```
 */
export const POLLPRI = 0x002;
/**
 * poll: writable.
 *
 * ```ts
 * import { AF_UNIX, close, poll, POLLOUT, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, a, true);
 * pollfd.setInt16(4, POLLOUT, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLOUT); // 1 true
 * close(a);
 * close(b);
 * ```
 */
export const POLLOUT = 0x004;
/**
 * poll: error (output only).
 *
 * ```ts
 * import { close, pipe2, poll, POLLERR } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2();
 * close(r); // no reader left
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, w, true);
 * pollfd.setInt16(4, 0, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLERR); // 1 true
 * close(w);
 * ```
 */
export const POLLERR = 0x008;
/**
 * poll: hang-up (output only).
 *
 * ```ts
 * import { close, pipe2, poll, POLLHUP } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2();
 * close(w); // no writer left
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, r, true);
 * pollfd.setInt16(4, 0, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLHUP); // 1 true
 * close(r);
 * ```
 */
export const POLLHUP = 0x010;
/**
 * poll: fd not open (output only).
 *
 * ```ts
 * import { poll, POLLNVAL } from "@libc/epoll/ffi";
 *
 * const pollfd = new DataView(new ArrayBuffer(8)); // struct pollfd { int fd; short events; short revents; }
 * pollfd.setInt32(0, 2 ** 31 - 1, true);
 * pollfd.setInt16(4, 0, true);
 * console.log(poll(new Uint8Array(pollfd.buffer), 1, 0), pollfd.getInt16(6, true) === POLLNVAL); // 1 true
 * // an fd that is not open
 * ```
 */
export const POLLNVAL = 0x020;
/**
 * select(2): the highest fd + 1 an fd_set can hold. An `fd_set` is `FD_SETSIZE` bits: 128 bytes.
 *
 * ```ts
 * import { AF_UNIX, close, FD_SETSIZE, select, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1]));
 * const readfds = new Uint8Array(FD_SETSIZE / 8);
 * readfds[b >> 3] |= 1 << (b & 7); // FD_SET(b, &readfds)
 * console.log(select(b + 1, readfds, null, null, 0), (readfds[b >> 3] >> (b & 7)) & 1); // 1 1
 * close(a);
 * close(b);
 * ```
 */
export const FD_SETSIZE = 1024;

// --- getrlimit(2) ---
/**
 * Resource: the maximum number of open fds.
 *
 * ```ts
 * import { getrlimit, RLIMIT_NOFILE } from "@libc/epoll/ffi";
 *
 * const { soft, hard } = getrlimit(RLIMIT_NOFILE);
 * console.log(soft > 2, soft <= hard); // true true: one server fd per connection, up to `soft`
 * ```
 */
export const RLIMIT_NOFILE = 7;
