/**
 * {@linkcode Waker}: an eventfd in the reactor's epoll set. Writing it makes
 * the set ready, which ends a parked wait (on the poll worker) or a bounded
 * wait on the main thread. Any thread may wake it: another Worker writes the
 * same fd number with `eventfd_write(fd, 1)`.
 *
 * @module
 */

import { close, EFD_CLOEXEC, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "../ffi/mod.ts";

/** An eventfd used to interrupt a wait on the epoll set that contains it. */
export class Waker implements Disposable {
  /** The eventfd; register it for EPOLLIN in the set to be woken. */
  readonly fd: number;
  #closed = false;

  /** Creates the eventfd (nonblocking, close-on-exec). */
  constructor() {
    this.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }

  /** Makes the fd readable. Harmless to call many times (the counter saturates nothing here). */
  wake(): void {
    if (!this.#closed) eventfd_write(this.fd, 1);
  }

  /** Resets the fd to not-readable; call when its event is seen. */
  drain(): void {
    if (!this.#closed) eventfd_read(this.fd);
  }

  /** Closes the eventfd. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    close(this.fd);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
