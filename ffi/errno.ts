/**
 * errno: reading it cheaply on the calling thread, naming it, and the
 * {@linkcode ErrnoError} every wrapper throws.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { checkInt, checkString, describe, I32_MAX } from "./checks.ts";

/**
 * Linux errno numbers (asm-generic, the same on x86_64 and aarch64): the one
 * table of them in this package. Every name is also exported on its own
 * (`EAGAIN`, `ECONNRESET`, …); no other file writes an errno as a number.
 */
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
Object.freeze(errnoNumbers); // a caller must not renumber what every check compares against

/** A known errno name such as `"EAGAIN"`. */
export type ErrnoName = keyof typeof errnoNumbers;

// Each name as a constant, read from the table above (never retyped).
/** `EPERM`: Operation not permitted. */
export const EPERM: typeof errnoNumbers.EPERM = errnoNumbers.EPERM;
/** `ENOENT`: No such file or directory. */
export const ENOENT: typeof errnoNumbers.ENOENT = errnoNumbers.ENOENT;
/** `ESRCH`: No such process. */
export const ESRCH: typeof errnoNumbers.ESRCH = errnoNumbers.ESRCH;
/** `EINTR`: interrupted by a signal before anything happened. */
export const EINTR: typeof errnoNumbers.EINTR = errnoNumbers.EINTR;
/** `EIO`: Input/output error. */
export const EIO: typeof errnoNumbers.EIO = errnoNumbers.EIO;
/** `ENXIO`: No such device or address. */
export const ENXIO: typeof errnoNumbers.ENXIO = errnoNumbers.ENXIO;
/** `E2BIG`: Argument list too long. */
export const E2BIG: typeof errnoNumbers.E2BIG = errnoNumbers.E2BIG;
/** `ENOEXEC`: Exec format error. */
export const ENOEXEC: typeof errnoNumbers.ENOEXEC = errnoNumbers.ENOEXEC;
/** `EBADF`: Bad file descriptor. */
export const EBADF: typeof errnoNumbers.EBADF = errnoNumbers.EBADF;
/** `ECHILD`: No child processes. */
export const ECHILD: typeof errnoNumbers.ECHILD = errnoNumbers.ECHILD;
/** `EAGAIN` (== `EWOULDBLOCK` on Linux): the nonblocking fd is not ready. */
export const EAGAIN: typeof errnoNumbers.EAGAIN = errnoNumbers.EAGAIN;
/** `ENOMEM`: Cannot allocate memory. */
export const ENOMEM: typeof errnoNumbers.ENOMEM = errnoNumbers.ENOMEM;
/** `EACCES`: Permission denied. */
export const EACCES: typeof errnoNumbers.EACCES = errnoNumbers.EACCES;
/** `EFAULT`: Bad address. */
export const EFAULT: typeof errnoNumbers.EFAULT = errnoNumbers.EFAULT;
/** `EBUSY`: Device or resource busy. */
export const EBUSY: typeof errnoNumbers.EBUSY = errnoNumbers.EBUSY;
/** `EEXIST`: File exists. */
export const EEXIST: typeof errnoNumbers.EEXIST = errnoNumbers.EEXIST;
/** `EXDEV`: Invalid cross-device link. */
export const EXDEV: typeof errnoNumbers.EXDEV = errnoNumbers.EXDEV;
/** `ENODEV`: No such device. */
export const ENODEV: typeof errnoNumbers.ENODEV = errnoNumbers.ENODEV;
/** `ENOTDIR`: Not a directory. */
export const ENOTDIR: typeof errnoNumbers.ENOTDIR = errnoNumbers.ENOTDIR;
/** `EISDIR`: Is a directory. */
export const EISDIR: typeof errnoNumbers.EISDIR = errnoNumbers.EISDIR;
/** `EINVAL`: Invalid argument. */
export const EINVAL: typeof errnoNumbers.EINVAL = errnoNumbers.EINVAL;
/** `ENFILE`: Too many open files in system. */
export const ENFILE: typeof errnoNumbers.ENFILE = errnoNumbers.ENFILE;
/** `EMFILE`: Too many open files. */
export const EMFILE: typeof errnoNumbers.EMFILE = errnoNumbers.EMFILE;
/** `ENOTTY`: Inappropriate ioctl for device. */
export const ENOTTY: typeof errnoNumbers.ENOTTY = errnoNumbers.ENOTTY;
/** `EFBIG`: File too large. */
export const EFBIG: typeof errnoNumbers.EFBIG = errnoNumbers.EFBIG;
/** `ENOSPC`: No space left on device. */
export const ENOSPC: typeof errnoNumbers.ENOSPC = errnoNumbers.ENOSPC;
/** `ESPIPE`: Illegal seek. */
export const ESPIPE: typeof errnoNumbers.ESPIPE = errnoNumbers.ESPIPE;
/** `EROFS`: Read-only file system. */
export const EROFS: typeof errnoNumbers.EROFS = errnoNumbers.EROFS;
/** `EPIPE`: Broken pipe. */
export const EPIPE: typeof errnoNumbers.EPIPE = errnoNumbers.EPIPE;
/** `ERANGE`: Numerical result out of range. */
export const ERANGE: typeof errnoNumbers.ERANGE = errnoNumbers.ERANGE;
/** `EDEADLK`: Resource deadlock avoided. */
export const EDEADLK: typeof errnoNumbers.EDEADLK = errnoNumbers.EDEADLK;
/** `ENAMETOOLONG`: File name too long. */
export const ENAMETOOLONG: typeof errnoNumbers.ENAMETOOLONG = errnoNumbers.ENAMETOOLONG;
/** `ENOSYS`: Function not implemented. */
export const ENOSYS: typeof errnoNumbers.ENOSYS = errnoNumbers.ENOSYS;
/** `ELOOP`: Too many levels of symbolic links. */
export const ELOOP: typeof errnoNumbers.ELOOP = errnoNumbers.ELOOP;
/** `ENODATA`: No data available. */
export const ENODATA: typeof errnoNumbers.ENODATA = errnoNumbers.ENODATA;
/** `EPROTO`: Protocol error. */
export const EPROTO: typeof errnoNumbers.EPROTO = errnoNumbers.EPROTO;
/** `EOVERFLOW`: Value too large for defined data type. */
export const EOVERFLOW: typeof errnoNumbers.EOVERFLOW = errnoNumbers.EOVERFLOW;
/** `ENOTSOCK`: Socket operation on non-socket. */
export const ENOTSOCK: typeof errnoNumbers.ENOTSOCK = errnoNumbers.ENOTSOCK;
/** `EDESTADDRREQ`: Destination address required. */
export const EDESTADDRREQ: typeof errnoNumbers.EDESTADDRREQ = errnoNumbers.EDESTADDRREQ;
/** `EMSGSIZE`: Message too long. */
export const EMSGSIZE: typeof errnoNumbers.EMSGSIZE = errnoNumbers.EMSGSIZE;
/** `EPROTOTYPE`: Protocol wrong type for socket. */
export const EPROTOTYPE: typeof errnoNumbers.EPROTOTYPE = errnoNumbers.EPROTOTYPE;
/** `ENOPROTOOPT`: Protocol not available. */
export const ENOPROTOOPT: typeof errnoNumbers.ENOPROTOOPT = errnoNumbers.ENOPROTOOPT;
/** `EPROTONOSUPPORT`: Protocol not supported. */
export const EPROTONOSUPPORT: typeof errnoNumbers.EPROTONOSUPPORT = errnoNumbers.EPROTONOSUPPORT;
/** `ESOCKTNOSUPPORT`: Socket type not supported. */
export const ESOCKTNOSUPPORT: typeof errnoNumbers.ESOCKTNOSUPPORT = errnoNumbers.ESOCKTNOSUPPORT;
/** `EOPNOTSUPP`: Operation not supported. */
export const EOPNOTSUPP: typeof errnoNumbers.EOPNOTSUPP = errnoNumbers.EOPNOTSUPP;
/** `EPFNOSUPPORT`: Protocol family not supported. */
export const EPFNOSUPPORT: typeof errnoNumbers.EPFNOSUPPORT = errnoNumbers.EPFNOSUPPORT;
/** `EAFNOSUPPORT`: Address family not supported by protocol. */
export const EAFNOSUPPORT: typeof errnoNumbers.EAFNOSUPPORT = errnoNumbers.EAFNOSUPPORT;
/** `EADDRINUSE`: Address already in use. */
export const EADDRINUSE: typeof errnoNumbers.EADDRINUSE = errnoNumbers.EADDRINUSE;
/** `EADDRNOTAVAIL`: Cannot assign requested address. */
export const EADDRNOTAVAIL: typeof errnoNumbers.EADDRNOTAVAIL = errnoNumbers.EADDRNOTAVAIL;
/** `ENETDOWN`: Network is down. */
export const ENETDOWN: typeof errnoNumbers.ENETDOWN = errnoNumbers.ENETDOWN;
/** `ENETUNREACH`: Network is unreachable. */
export const ENETUNREACH: typeof errnoNumbers.ENETUNREACH = errnoNumbers.ENETUNREACH;
/** `ENETRESET`: Network dropped connection on reset. */
export const ENETRESET: typeof errnoNumbers.ENETRESET = errnoNumbers.ENETRESET;
/** `ECONNABORTED`: Software caused connection abort. */
export const ECONNABORTED: typeof errnoNumbers.ECONNABORTED = errnoNumbers.ECONNABORTED;
/** `ECONNRESET`: Connection reset by peer. */
export const ECONNRESET: typeof errnoNumbers.ECONNRESET = errnoNumbers.ECONNRESET;
/** `ENOBUFS`: No buffer space available. */
export const ENOBUFS: typeof errnoNumbers.ENOBUFS = errnoNumbers.ENOBUFS;
/** `EISCONN`: Transport endpoint is already connected. */
export const EISCONN: typeof errnoNumbers.EISCONN = errnoNumbers.EISCONN;
/** `ENOTCONN`: Transport endpoint is not connected. */
export const ENOTCONN: typeof errnoNumbers.ENOTCONN = errnoNumbers.ENOTCONN;
/** `ESHUTDOWN`: Cannot send after transport endpoint shutdown. */
export const ESHUTDOWN: typeof errnoNumbers.ESHUTDOWN = errnoNumbers.ESHUTDOWN;
/** `ETIMEDOUT`: Connection timed out. */
export const ETIMEDOUT: typeof errnoNumbers.ETIMEDOUT = errnoNumbers.ETIMEDOUT;
/** `ECONNREFUSED`: Connection refused. */
export const ECONNREFUSED: typeof errnoNumbers.ECONNREFUSED = errnoNumbers.ECONNREFUSED;
/** `EHOSTDOWN`: Host is down. */
export const EHOSTDOWN: typeof errnoNumbers.EHOSTDOWN = errnoNumbers.EHOSTDOWN;
/** `EHOSTUNREACH`: No route to host. */
export const EHOSTUNREACH: typeof errnoNumbers.EHOSTUNREACH = errnoNumbers.EHOSTUNREACH;
/** `EALREADY`: Operation already in progress. */
export const EALREADY: typeof errnoNumbers.EALREADY = errnoNumbers.EALREADY;
/** `EINPROGRESS`: a nonblocking connect has started. */
export const EINPROGRESS: typeof errnoNumbers.EINPROGRESS = errnoNumbers.EINPROGRESS;
/** `ECANCELED`: Operation canceled. */
export const ECANCELED: typeof errnoNumbers.ECANCELED = errnoNumbers.ECANCELED;

const names: string[] = [];
for (const [name, n] of Object.entries(errnoNumbers)) names[n] = name;

function checkErrno(errno: number): number {
  return checkInt(errno, "errno", 0, I32_MAX);
}

/** The name of an errno number (`11` → `"EAGAIN"`), or `"E<n>"` for unknown ones. */
export function errnoName(errno: number): string {
  errno = checkErrno(errno);
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
  errno = checkErrno(errno);
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
    checkString(syscall, "syscall");
    if (detail !== undefined) checkString(detail, "detail");
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

const MAX_CAUSES = 8; // how far isErrno follows `cause` (a cycle must not loop)

/**
 * Whether `err` is an {@linkcode ErrnoError} with one of `names` (any errno
 * when none are given), or wraps one as its `cause`, as the net layer's
 * `Deno.errors.*` do.
 *
 * ```ts
 * import { close, isErrno } from "@libc/epoll/ffi";
 *
 * try {
 *   close(2 ** 31 - 1);
 * } catch (err) {
 *   console.log(isErrno(err, "EBADF")); // true
 * }
 * ```
 */
export function isErrno(err: unknown, ...names: ErrnoName[]): boolean {
  for (const name of names) {
    if (typeof name !== "string" || !Object.hasOwn(errnoNumbers, name)) {
      throw new TypeError(`not an errno name: ${describe(name)} (see errnoNumbers)`);
    }
  }
  let e = err;
  for (let depth = 0; depth < MAX_CAUSES && e instanceof Error; depth++, e = e.cause) {
    if (e instanceof ErrnoError) {
      const errno = e.errno;
      return names.length === 0 || names.some((name) => errnoNumbers[name] === errno);
    }
  }
  return false;
}
