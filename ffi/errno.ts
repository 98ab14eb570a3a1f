/**
 * errno: reading it cheaply on the calling thread, naming it, and the
 * {@linkcode ErrnoError} every wrapper throws.
 *
 * @module
 */

import { libc } from "./libc.ts";

/** Linux errno numbers (asm-generic, the same on x86_64 and aarch64). */
export const errnoNumbers = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ECANCELED: 125,
} as const;

/** A known errno name such as `"EAGAIN"`. */
export type ErrnoName = keyof typeof errnoNumbers;

/** `EAGAIN` (== `EWOULDBLOCK` on Linux): the nonblocking fd is not ready. */
export const EAGAIN = 11;
/** `EINTR`: interrupted by a signal before anything happened. */
export const EINTR = 4;
/** `EINPROGRESS`: a nonblocking connect has started. */
export const EINPROGRESS = 115;

const names: string[] = [];
for (const [name, n] of Object.entries(errnoNumbers)) names[n] = name;

/** The name of an errno number (`11` → `"EAGAIN"`), or `"E<n>"` for unknown ones. */
export function errnoName(errno: number): string {
  return names[errno] ?? `E${errno}`;
}

// Pointer views (UnsafePointerView) need the unscoped --allow-ffi; under a
// scoped --allow-ffi=<libc path> they throw. Then libc copies the bytes into
// a buffer of ours instead (memcpy, strncpy): ~10 ns slower, same results.
function canViewPointers(ptr: Deno.PointerObject): boolean {
  try {
    Deno.UnsafePointerView.getArrayBuffer(ptr, 4);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) return false;
    throw err;
  }
}

const errnoPtr = libc.__errno_location();
if (errnoPtr === null) throw new Error("__errno_location() returned NULL");
const viewable = canViewPointers(errnoPtr);

const message = new Uint8Array(256);

/** libc's own message for an errno (`strerror`); only called on error paths. */
export function strerror(errno: number): string {
  const ptr = libc.strerror(errno);
  if (ptr === null) return `errno ${errno}`;
  if (viewable) return Deno.UnsafePointerView.getCString(ptr);
  libc.strncpy(message, ptr, message.length - 1);
  return new TextDecoder().decode(message.subarray(0, message.indexOf(0)));
}

// The calling thread's errno, as a live Int32Array over glibc's thread-local
// slot: reading it costs under 1 ns, against ~50 ns for getInt32 on a pointer
// view. Each JS thread (Worker) evaluates this module itself, so each gets its
// own thread's slot. Only valid right after a *sync* call on this thread.
const errnoCell = viewable
  ? new Int32Array(Deno.UnsafePointerView.getArrayBuffer(errnoPtr, 4))
  : new Int32Array(1);
const errnoBytes = new Uint8Array(errnoCell.buffer);

/** errno of this thread. Read it immediately after the failed sync call. */
export function lastErrno(): number {
  if (!viewable) libc.memcpy(errnoBytes, errnoPtr, 4); // scoped --allow-ffi: copy it
  return errnoCell[0];
}

/**
 * A failed libc call: the errno number, its name, the syscall, and libc's
 * message. `code` matches Node's `err.code` (`"ECONNRESET"`).
 */
export class ErrnoError extends Error {
  /** The errno number (`11`). */
  readonly errno: number;
  /** The errno name (`"EAGAIN"`), or `"E<n>"` for numbers this package does not name. */
  readonly code: string;
  /** The failing call (`"epoll_ctl"`). */
  readonly syscall: string;

  /** Builds the error for `syscall` failing with `errno`; `detail` is appended to the message. */
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    const where = detail === undefined ? "" : ` (${detail})`;
    super(`${syscall}: ${strerror(errno)} [${code}]${where}`);
    this.name = "ErrnoError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** Throws an {@linkcode ErrnoError} for `syscall` with the thread's current errno. */
export function throwErrno(syscall: string, detail?: string): never {
  throw new ErrnoError(syscall, lastErrno(), detail);
}
