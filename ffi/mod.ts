/**
 * The libc layer of `@libc/epoll`: the symbol table, C-named wrappers that
 * throw {@linkcode ErrnoError}, constants, `struct epoll_event` and
 * `struct sockaddr_*` layouts.
 *
 * Names follow the man pages. The I/O calls return {@linkcode WOULD_BLOCK}
 * for EAGAIN instead of throwing, so an edge-triggered loop drains without
 * exceptions.
 *
 * ```ts
 * import { EPOLLIN, EventBuffer, epoll_create1, epoll_ctl, epoll_wait, EPOLL_CTL_ADD, eventfd, eventfd_write, close } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd();
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * eventfd_write(efd, 1);
 * const events = new EventBuffer(8);
 * const n = epoll_wait(epfd, events, 8, 0); // 1: efd is readable
 * console.log(n, events.data(0) === efd);
 * close(efd);
 * close(epfd);
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./calls.ts";
export * from "./epoll_event.ts";
export * from "./sockaddr.ts";
export {
  EAGAIN,
  EINPROGRESS,
  EINTR,
  ErrnoError,
  errnoName,
  errnoNumbers,
  lastErrno,
  strerror,
  throwErrno,
} from "./errno.ts";
export type { ErrnoName } from "./errno.ts";
export { DEFAULT_LIBC, libc, LIBC_PATH_ENV, libcPath } from "./libc.ts";
export type { LibcSymbols } from "./libc.ts";
export { symbols } from "./symbols.ts";
