/**
 * The start-up check of `struct epoll_event` on the running CPU: one real
 * round trip through the kernel with a known `data`, so a wrong layout fails
 * loudly at the first `Epoll` instead of delivering events to wrong fds.
 *
 * @module
 */

import {
  close,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  epoll_wait,
  EPOLLET,
  EPOLLIN,
  EventBuffer,
  eventfd,
  NATIVE_LAYOUT,
} from "../ffi/mod.ts";

// Distinct bytes in both halves, above 2^32, to catch offset and width errors.
const PROBE_DATA = 0x1a2b_3c4d_5e6f;
let checked = false;

/** Runs the check once per thread; throws when the kernel disagrees with {@linkcode NATIVE_LAYOUT}. */
export function selfCheck(): void {
  if (checked) return;
  const epfd = epoll_create1(EPOLL_CLOEXEC);
  const efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
  try {
    epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, PROBE_DATA);
    const events = new EventBuffer(2);
    const n = epoll_wait(epfd, events, 2, 0);
    if (n !== 1 || events.data(0) !== PROBE_DATA || events.events(0) !== EPOLLIN) {
      throw new Error(
        `struct epoll_event self-check failed on ${Deno.build.arch} (size ${NATIVE_LAYOUT.size}, ` +
          `data at ${NATIVE_LAYOUT.dataOffset}): got n=${n}, data=${events.data(0)}, events=${
            events.events(0)
          }`,
      );
    }
    checked = true;
  } finally {
    close(efd);
    close(epfd);
  }
}
