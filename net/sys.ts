/**
 * The net layer's one boundary to libc: every call `net/` makes goes through
 * here, and every {@linkcode ErrnoError} leaves as the `Deno.errors` class
 * `Deno.Conn` would throw (the ErrnoError kept as `cause`). The I/O calls
 * keep `WOULD_BLOCK` as a return value: it is the readiness protocol, not an
 * error.
 *
 * @module
 */

import * as ffi from "../ffi/mod.ts";
import { ErrnoError, isErrno, type SockAddr, type SockAddrBuffer } from "../ffi/mod.ts";
import { toDenoError } from "./errors.ts";

// Runs one libc call, converting its error. A plain function (not a closure
// per call on the hot paths below): V8 inlines both.
function fail(err: unknown): never {
  throw toDenoError(err);
}

/** `read(2)`: a count, 0 at EOF, or WOULD_BLOCK. */
export function read(fd: number, p: Uint8Array): number {
  try {
    return ffi.read(fd, p);
  } catch (err) {
    fail(err);
  }
}

/** `send(2)` with MSG_NOSIGNAL (EPIPE, never SIGPIPE): a count or WOULD_BLOCK. */
export function send(fd: number, p: Uint8Array): number {
  try {
    return ffi.send(fd, p, ffi.MSG_NOSIGNAL);
  } catch (err) {
    fail(err);
  }
}

/** What one accept attempt gave, besides an fd. */
export const ACCEPT_RETRY = -2;
/** accept4 failed for want of fds (EMFILE/ENFILE): the caller sheds or backs off. */
export const ACCEPT_EXHAUSTED = -3;

/**
 * `accept4(2)` nonblocking and close-on-exec: the new fd, WOULD_BLOCK,
 * {@linkcode ACCEPT_RETRY} for a connection that died in the queue
 * (ECONNABORTED, EPROTO, EPERM from a firewall: the next one is fine), or
 * {@linkcode ACCEPT_EXHAUSTED}.
 */
export function accept(fd: number, peer?: SockAddrBuffer): number {
  try {
    return ffi.accept4(fd, ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC, peer);
  } catch (err) {
    if (isErrno(err, "ECONNABORTED", "EPROTO", "EPERM")) return ACCEPT_RETRY;
    if (isErrno(err, "EMFILE", "ENFILE")) return ACCEPT_EXHAUSTED;
    fail(err);
  }
}

/** Runs a libc call that reports failure by throwing, converting the error. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    fail(err);
  }
}

/** `getsockname(2)`, decoded. */
export function localAddress(fd: number): SockAddr {
  return call(() => ffi.getsockname(fd, "tcp"));
}

/** `getpeername(2)`, decoded. */
export function peerAddress(fd: number): SockAddr {
  return call(() => ffi.getpeername(fd, "tcp"));
}

/** `close(2)`. */
export function close(fd: number): void {
  call(() => ffi.close(fd));
}

/**
 * Removes a Unix socket file this process bound (a listener closing). A
 * file already gone is fine: someone cleaned up first.
 */
export function removeSocketFile(path: string): void {
  try {
    ffi.unlink(path);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) fail(err);
  }
}

/** The error a nonblocking connect ended with (SO_ERROR), or null when it succeeded. */
export function connectError(fd: number): unknown {
  const errno = call(() => ffi.getsockopt(fd, ffi.SOL_SOCKET, ffi.SO_ERROR));
  return errno === 0 ? null : new ErrnoError("connect", errno);
}
