/**
 * The libc layer of `@libc/epoll`: C-named wrappers that throw
 * {@linkcode ErrnoError}, constants, errno names, `struct epoll_event` and
 * `struct sockaddr_*` layouts.
 *
 * Names follow the man pages. The I/O calls return {@linkcode WOULD_BLOCK}
 * for EAGAIN instead of throwing, so an edge-triggered loop drains without
 * exceptions.
 *
 * Every export checks its arguments before native code sees them: a bad
 * value is a RangeError or TypeError with this package's message, never a
 * crash or a silent coercion. The raw symbol table these wrappers call is
 * deliberately not exported: it checks nothing.
 *
 * ```ts
 * import { EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_wait, EPOLL_CTL_ADD, eventfd, eventfd_write, close } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd();
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * eventfd_write(efd, 1);
 * const events = new EventBuffer(8);
 * const n = epoll_wait(epfd, events, 8, 0); // 0 ms: only look
 * console.log(n, events.data(0) === efd); // 1 true: efd is readable
 * close(efd);
 * close(epfd);
 * ```
 *
 * @module
 */

// Named lists, so that the modules' internal helpers (the private-state
// accessors the calls use) and the raw symbol table stay private.
export * from "./constants.ts";
export {
  accept4,
  bind,
  close,
  connect,
  epoll_create1,
  epoll_ctl,
  epoll_pwait2,
  epoll_wait,
  eventfd,
  eventfd_read,
  eventfd_write,
  fcntl,
  getpeername,
  getrlimit,
  getsockname,
  getsockopt,
  listen,
  pipe2,
  poll,
  read,
  recv,
  recvfrom,
  select,
  send,
  sendto,
  setNonBlocking,
  setrlimit,
  setsockopt,
  shutdown,
  socket,
  socketpair,
  timerfd_create,
  timerfd_settime,
  unlink,
  WOULD_BLOCK,
  write,
} from "./calls.ts";
export { AddrInfoError, getaddrinfo } from "./resolve.ts";
export { checkFd } from "./checks.ts";
export {
  checkData,
  type EpollEventLayout,
  EventBuffer,
  LAYOUT_AARCH64,
  LAYOUT_X86_64,
  layoutFor,
  NATIVE_LAYOUT,
} from "./epoll_event.ts";
export {
  decodeSockAddr,
  type EncodedAddr,
  encodeIp,
  encodeUnix,
  formatIPv4,
  formatIPv6,
  type IpAddr,
  parseIPv4,
  parseIPv6,
  type SockAddr,
  SOCKADDR_IN6_SIZE,
  SOCKADDR_IN_SIZE,
  SOCKADDR_STORAGE_SIZE,
  SOCKADDR_UN_SIZE,
  SockAddrBuffer,
  UNIX_PATH_MAX,
  type UnixAddr,
} from "./sockaddr.ts";
export * from "./errno.ts";
export { DEFAULT_LIBC, LIBC_PATH_ENV, libcCandidates, libcPath } from "./libc.ts";
