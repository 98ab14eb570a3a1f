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
 * The table is frozen.
 *
 * ```ts
 * import { errnoNumbers, type ErrnoName } from "@libc/epoll/ffi";
 *
 * console.log(errnoNumbers.ECONNRESET); // 104
 * const byNumber = new Map(Object.entries(errnoNumbers).map(([name, n]) => [n, name as ErrnoName]));
 * console.log(byNumber.get(errnoNumbers.EAGAIN), Object.isFrozen(errnoNumbers)); // EAGAIN true
 * ```
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

/**
 * A known errno name such as `"EAGAIN"`: a key of {@linkcode errnoNumbers},
 * what {@linkcode isErrno} accepts.
 *
 * ```ts
 * import { close, type ErrnoName, isErrno } from "@libc/epoll/ffi";
 *
 * const gone: ErrnoName[] = ["EBADF", "ECONNRESET", "EPIPE"];
 * try {
 *   close(2 ** 31 - 1);
 * } catch (err) {
 *   console.log(isErrno(err, ...gone)); // true
 * }
 * ```
 */
export type ErrnoName = keyof typeof errnoNumbers;

// Each name as a constant, read from the table above (never retyped).
/**
 * `EPERM`: Operation not permitted. `epoll_ctl` answers it for an fd that cannot be polled (a
 * regular file or a directory); `setrlimit` for raising a hard limit without privilege.
 *
 * ```ts
 * import { EPERM, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("epoll_ctl", EPERM);
 * console.log(isErrno(err, "EPERM"), err.errno === EPERM); // true true
 * console.log(err.message); // epoll_ctl: Operation not permitted [EPERM]
 * ```
 */
export const EPERM: typeof errnoNumbers.EPERM = errnoNumbers.EPERM;
/**
 * `ENOENT`: No such file or directory. `epoll_ctl` answers it for `EPOLL_CTL_DEL` or
 * `EPOLL_CTL_MOD` of an fd that is not registered; `connect` and `bind` for a Unix path whose
 * directory does not exist.
 *
 * ```ts
 * import { close, ENOENT, epoll_create1, epoll_ctl, EPOLL_CTL_DEL, ErrnoError, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd();
 * try {
 *   epoll_ctl(epfd, EPOLL_CTL_DEL, efd); // never added
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ENOENT); // true
 * }
 * close(efd);
 * close(epfd);
 * ```
 */
export const ENOENT: typeof errnoNumbers.ENOENT = errnoNumbers.ENOENT;
/**
 * `ESRCH`: No such process.
 *
 * ```ts
 * import { ESRCH, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ESRCH, strerror(ESRCH)); // 3 No such process
 * ```
 */
export const ESRCH: typeof errnoNumbers.ESRCH = errnoNumbers.ESRCH;
/**
 * `EINTR`: a blocking call was interrupted by a signal before it did anything. The I/O wrappers
 * retry it and `epoll_wait`, `poll` and `select` return 0 events for it, so callers of this package
 * never see it thrown.
 *
 * ```ts
 * import { EINTR, errnoName, strerror } from "@libc/epoll/ffi";
 *
 * console.log(errnoName(EINTR), strerror(EINTR)); // EINTR Interrupted system call
 * ```
 */
export const EINTR: typeof errnoNumbers.EINTR = errnoNumbers.EINTR;
/**
 * `EIO`: Input/output error.
 *
 * ```ts
 * import { EIO, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EIO, strerror(EIO)); // 5 Input/output error
 * ```
 */
export const EIO: typeof errnoNumbers.EIO = errnoNumbers.EIO;
/**
 * `ENXIO`: No such device or address.
 *
 * ```ts
 * import { ENXIO, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENXIO, strerror(ENXIO)); // 6 No such device or address
 * ```
 */
export const ENXIO: typeof errnoNumbers.ENXIO = errnoNumbers.ENXIO;
/**
 * `E2BIG`: Argument list too long.
 *
 * ```ts
 * import { E2BIG, strerror } from "@libc/epoll/ffi";
 *
 * console.log(E2BIG, strerror(E2BIG)); // 7 Argument list too long
 * ```
 */
export const E2BIG: typeof errnoNumbers.E2BIG = errnoNumbers.E2BIG;
/**
 * `ENOEXEC`: Exec format error.
 *
 * ```ts
 * import { ENOEXEC, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENOEXEC, strerror(ENOEXEC)); // 8 Exec format error
 * ```
 */
export const ENOEXEC: typeof errnoNumbers.ENOEXEC = errnoNumbers.ENOEXEC;
/**
 * `EBADF`: Bad file descriptor: the number is not an open fd (often one closed twice).
 *
 * ```ts
 * import { close, EBADF, ErrnoError } from "@libc/epoll/ffi";
 *
 * try {
 *   close(2 ** 31 - 1); // never open
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EBADF, (err as ErrnoError).code); // true EBADF
 * }
 * ```
 */
export const EBADF: typeof errnoNumbers.EBADF = errnoNumbers.EBADF;
/**
 * `ECHILD`: No child processes.
 *
 * ```ts
 * import { ECHILD, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ECHILD, strerror(ECHILD)); // 10 No child processes
 * ```
 */
export const ECHILD: typeof errnoNumbers.ECHILD = errnoNumbers.ECHILD;
/**
 * `EAGAIN` (== `EWOULDBLOCK` on Linux): the nonblocking fd is not ready. The I/O wrappers return
 * {@linkcode WOULD_BLOCK} for it instead of throwing; errno still holds it right after.
 *
 * ```ts
 * import { close, EAGAIN, lastErrno, O_NONBLOCK, pipe2, read, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const [r, w] = pipe2(O_NONBLOCK);
 * console.log(read(r, new Uint8Array(8)) === WOULD_BLOCK, lastErrno() === EAGAIN); // true true
 * close(r);
 * close(w);
 * ```
 */
export const EAGAIN: typeof errnoNumbers.EAGAIN = errnoNumbers.EAGAIN;
/**
 * `ENOMEM`: Cannot allocate memory (the kernel's memory, e.g. for a new epoll instance or a socket
 * buffer).
 *
 * ```ts
 * import { ENOMEM, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("epoll_create1", ENOMEM);
 * console.log(isErrno(err, "ENOMEM"), err.errno === ENOMEM); // true true
 * console.log(err.message); // epoll_create1: Cannot allocate memory [ENOMEM]
 * ```
 */
export const ENOMEM: typeof errnoNumbers.ENOMEM = errnoNumbers.ENOMEM;
/**
 * `EACCES`: Permission denied, e.g. `bind` to a port below 1024 without `CAP_NET_BIND_SERVICE`, or
 * a Unix socket path in a directory the process may not write.
 *
 * ```ts
 * import { EACCES, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("bind", EACCES);
 * console.log(isErrno(err, "EACCES"), err.errno === EACCES); // true true
 * console.log(err.message); // bind: Permission denied [EACCES]
 * ```
 */
export const EACCES: typeof errnoNumbers.EACCES = errnoNumbers.EACCES;
/**
 * `EFAULT`: Bad address. The wrappers' argument checks exist so that this package never hands the
 * kernel one.
 *
 * ```ts
 * import { EFAULT, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EFAULT, strerror(EFAULT)); // 14 Bad address
 * ```
 */
export const EFAULT: typeof errnoNumbers.EFAULT = errnoNumbers.EFAULT;
/**
 * `EBUSY`: Device or resource busy.
 *
 * ```ts
 * import { EBUSY, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EBUSY, strerror(EBUSY)); // 16 Device or resource busy
 * ```
 */
export const EBUSY: typeof errnoNumbers.EBUSY = errnoNumbers.EBUSY;
/**
 * `EEXIST`: File exists. `epoll_ctl` answers it for `EPOLL_CTL_ADD` of an fd that is already
 * registered.
 *
 * ```ts
 * import { close, EEXIST, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLLIN, ErrnoError, eventfd } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd();
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * try {
 *   epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EEXIST); // true
 * }
 * close(efd);
 * close(epfd);
 * ```
 */
export const EEXIST: typeof errnoNumbers.EEXIST = errnoNumbers.EEXIST;
/**
 * `EXDEV`: Invalid cross-device link.
 *
 * ```ts
 * import { EXDEV, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EXDEV, strerror(EXDEV)); // 18 Invalid cross-device link
 * ```
 */
export const EXDEV: typeof errnoNumbers.EXDEV = errnoNumbers.EXDEV;
/**
 * `ENODEV`: No such device.
 *
 * ```ts
 * import { ENODEV, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENODEV, strerror(ENODEV)); // 19 No such device
 * ```
 */
export const ENODEV: typeof errnoNumbers.ENODEV = errnoNumbers.ENODEV;
/**
 * `ENOTDIR`: Not a directory: a component of a path (here a Unix socket path) is a file.
 *
 * ```ts
 * import { AF_UNIX, bind, close, encodeUnix, ENOTDIR, ErrnoError, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * try {
 *   bind(fd, encodeUnix("/dev/null/sock"));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ENOTDIR); // true
 * }
 * close(fd);
 * ```
 */
export const ENOTDIR: typeof errnoNumbers.ENOTDIR = errnoNumbers.ENOTDIR;
/**
 * `EISDIR`: Is a directory.
 *
 * ```ts
 * import { EISDIR, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EISDIR, strerror(EISDIR)); // 21 Is a directory
 * ```
 */
export const EISDIR: typeof errnoNumbers.EISDIR = errnoNumbers.EISDIR;
/**
 * `EINVAL`: Invalid argument as the kernel sees it, e.g. an epoll instance added to itself. (Values
 * this package can tell are wrong never reach the kernel: they are a RangeError or TypeError.)
 *
 * ```ts
 * import { close, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, EPOLLIN, ErrnoError, EINVAL } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * try {
 *   epoll_ctl(epfd, EPOLL_CTL_ADD, epfd, EPOLLIN);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EINVAL); // true
 * }
 * close(epfd);
 * ```
 */
export const EINVAL: typeof errnoNumbers.EINVAL = errnoNumbers.EINVAL;
/**
 * `ENFILE`: Too many open files in system: the system-wide file table is full.
 *
 * ```ts
 * import { ENFILE, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("accept4", ENFILE);
 * console.log(isErrno(err, "ENFILE"), err.errno === ENFILE); // true true
 * console.log(err.message); // accept4: Too many open files in system [ENFILE]
 * ```
 */
export const ENFILE: typeof errnoNumbers.ENFILE = errnoNumbers.ENFILE;
/**
 * `EMFILE`: Too many open files: this process is at its `RLIMIT_NOFILE`. A server's `accept4` sees
 * it under load; see {@linkcode getrlimit}.
 *
 * ```ts
 * import { EMFILE, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("accept4", EMFILE);
 * console.log(isErrno(err, "EMFILE"), err.errno === EMFILE); // true true
 * console.log(err.message); // accept4: Too many open files [EMFILE]
 * ```
 */
export const EMFILE: typeof errnoNumbers.EMFILE = errnoNumbers.EMFILE;
/**
 * `ENOTTY`: Inappropriate ioctl for device.
 *
 * ```ts
 * import { ENOTTY, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENOTTY, strerror(ENOTTY)); // 25 Inappropriate ioctl for device
 * ```
 */
export const ENOTTY: typeof errnoNumbers.ENOTTY = errnoNumbers.ENOTTY;
/**
 * `EFBIG`: File too large.
 *
 * ```ts
 * import { EFBIG, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EFBIG, strerror(EFBIG)); // 27 File too large
 * ```
 */
export const EFBIG: typeof errnoNumbers.EFBIG = errnoNumbers.EFBIG;
/**
 * `ENOSPC`: No space left on device (also: the `max_user_watches` limit of epoll registrations).
 *
 * ```ts
 * import { ENOSPC, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENOSPC, strerror(ENOSPC)); // 28 No space left on device
 * ```
 */
export const ENOSPC: typeof errnoNumbers.ENOSPC = errnoNumbers.ENOSPC;
/**
 * `ESPIPE`: Illegal seek.
 *
 * ```ts
 * import { ESPIPE, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ESPIPE, strerror(ESPIPE)); // 29 Illegal seek
 * ```
 */
export const ESPIPE: typeof errnoNumbers.ESPIPE = errnoNumbers.ESPIPE;
/**
 * `EROFS`: Read-only file system.
 *
 * ```ts
 * import { EROFS, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EROFS, strerror(EROFS)); // 30 Read-only file system
 * ```
 */
export const EROFS: typeof errnoNumbers.EROFS = errnoNumbers.EROFS;
/**
 * `EPIPE`: Broken pipe: writing to a stream whose reader is gone. Deno ignores SIGPIPE, so every
 * write gets it; `send` with `MSG_NOSIGNAL` gets it without raising the signal at all.
 *
 * ```ts
 * import { AF_UNIX, close, EPIPE, ErrnoError, MSG_NOSIGNAL, send, SOCK_STREAM, socketpair } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * close(b);
 * try {
 *   send(a, new Uint8Array([1]), MSG_NOSIGNAL);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EPIPE); // true
 * }
 * close(a);
 * ```
 */
export const EPIPE: typeof errnoNumbers.EPIPE = errnoNumbers.EPIPE;
/**
 * `ERANGE`: Numerical result out of range.
 *
 * ```ts
 * import { ERANGE, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ERANGE, strerror(ERANGE)); // 34 Numerical result out of range
 * ```
 */
export const ERANGE: typeof errnoNumbers.ERANGE = errnoNumbers.ERANGE;
/**
 * `EDEADLK`: Resource deadlock avoided.
 *
 * ```ts
 * import { EDEADLK, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EDEADLK, strerror(EDEADLK)); // 35 Resource deadlock avoided
 * ```
 */
export const EDEADLK: typeof errnoNumbers.EDEADLK = errnoNumbers.EDEADLK;
/**
 * `ENAMETOOLONG`: File name too long. ({@linkcode encodeUnix} refuses a Unix socket path over
 * `UNIX_PATH_MAX` bytes itself.)
 *
 * ```ts
 * import { ENAMETOOLONG, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENAMETOOLONG, strerror(ENAMETOOLONG)); // 36 File name too long
 * ```
 */
export const ENAMETOOLONG: typeof errnoNumbers.ENAMETOOLONG = errnoNumbers.ENAMETOOLONG;
/**
 * `ENOSYS`: Function not implemented: what a kernel older than 5.11 answers to `epoll_pwait2`.
 *
 * ```ts
 * import { ENOSYS, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("epoll_pwait2", ENOSYS);
 * console.log(isErrno(err, "ENOSYS"), err.errno === ENOSYS); // true true
 * console.log(err.message); // epoll_pwait2: Function not implemented [ENOSYS]
 * ```
 */
export const ENOSYS: typeof errnoNumbers.ENOSYS = errnoNumbers.ENOSYS;
/**
 * `ELOOP`: Too many levels of symbolic links.
 *
 * ```ts
 * import { ELOOP, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ELOOP, strerror(ELOOP)); // 40 Too many levels of symbolic links
 * ```
 */
export const ELOOP: typeof errnoNumbers.ELOOP = errnoNumbers.ELOOP;
/**
 * `ENODATA`: No data available.
 *
 * ```ts
 * import { ENODATA, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENODATA, strerror(ENODATA)); // 61 No data available
 * ```
 */
export const ENODATA: typeof errnoNumbers.ENODATA = errnoNumbers.ENODATA;
/**
 * `EPROTO`: Protocol error. `accept4` may return it for a connection that failed before it was
 * accepted; like `ECONNABORTED`, the listener is fine and the next accept may succeed.
 *
 * ```ts
 * import { EPROTO, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("accept4", EPROTO);
 * console.log(isErrno(err, "EPROTO"), err.errno === EPROTO); // true true
 * console.log(err.message); // accept4: Protocol error [EPROTO]
 * ```
 */
export const EPROTO: typeof errnoNumbers.EPROTO = errnoNumbers.EPROTO;
/**
 * `EOVERFLOW`: Value too large for defined data type.
 *
 * ```ts
 * import { EOVERFLOW, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EOVERFLOW, strerror(EOVERFLOW)); // 75 Value too large for defined data type
 * ```
 */
export const EOVERFLOW: typeof errnoNumbers.EOVERFLOW = errnoNumbers.EOVERFLOW;
/**
 * `ENOTSOCK`: Socket operation on non-socket, e.g. a socket option of an eventfd.
 *
 * ```ts
 * import { close, ENOTSOCK, ErrnoError, eventfd, getsockopt, SO_TYPE, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const efd = eventfd();
 * try {
 *   getsockopt(efd, SOL_SOCKET, SO_TYPE);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ENOTSOCK); // true
 * }
 * close(efd);
 * ```
 */
export const ENOTSOCK: typeof errnoNumbers.ENOTSOCK = errnoNumbers.ENOTSOCK;
/**
 * `EDESTADDRREQ`: Destination address required: `send` on a datagram socket that is not connected
 * (use `sendto`).
 *
 * ```ts
 * import { AF_INET, close, EDESTADDRREQ, ErrnoError, send, SOCK_DGRAM, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * try {
 *   send(udp, new Uint8Array([1]));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EDESTADDRREQ); // true
 * }
 * close(udp);
 * ```
 */
export const EDESTADDRREQ: typeof errnoNumbers.EDESTADDRREQ = errnoNumbers.EDESTADDRREQ;
/**
 * `EMSGSIZE`: Message too long: a datagram larger than the protocol allows (65507 bytes of UDP
 * payload over IPv4).
 *
 * ```ts
 * import { AF_INET, close, EMSGSIZE, encodeIp, ErrnoError, sendto, SOCK_DGRAM, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * try {
 *   sendto(udp, new Uint8Array(70_000), 0, encodeIp("127.0.0.1", 9));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EMSGSIZE); // true
 * }
 * close(udp);
 * ```
 */
export const EMSGSIZE: typeof errnoNumbers.EMSGSIZE = errnoNumbers.EMSGSIZE;
/**
 * `EPROTOTYPE`: Protocol wrong type for socket, e.g. a `SOCK_DGRAM` Unix socket connecting to the
 * path of a `SOCK_STREAM` one.
 *
 * ```ts
 * import { EPROTOTYPE, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("connect", EPROTOTYPE);
 * console.log(isErrno(err, "EPROTOTYPE"), err.errno === EPROTOTYPE); // true true
 * console.log(err.message); // connect: Protocol wrong type for socket [EPROTOTYPE]
 * ```
 */
export const EPROTOTYPE: typeof errnoNumbers.EPROTOTYPE = errnoNumbers.EPROTOTYPE;
/**
 * `ENOPROTOOPT`: Protocol not available: a socket option the kernel does not know at that level.
 *
 * ```ts
 * import { AF_INET, close, ENOPROTOOPT, ErrnoError, getsockopt, SOCK_STREAM, socket, SOL_SOCKET } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * try {
 *   getsockopt(fd, SOL_SOCKET, 9999); // no such option
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ENOPROTOOPT); // true
 * }
 * close(fd);
 * ```
 */
export const ENOPROTOOPT: typeof errnoNumbers.ENOPROTOOPT = errnoNumbers.ENOPROTOOPT;
/**
 * `EPROTONOSUPPORT`: Protocol not supported for this family and type, e.g. UDP on a stream socket.
 *
 * ```ts
 * import { AF_INET, EPROTONOSUPPORT, ErrnoError, IPPROTO_UDP, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * try {
 *   socket(AF_INET, SOCK_STREAM, IPPROTO_UDP);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EPROTONOSUPPORT); // true
 * }
 * ```
 */
export const EPROTONOSUPPORT: typeof errnoNumbers.EPROTONOSUPPORT = errnoNumbers.EPROTONOSUPPORT;
/**
 * `ESOCKTNOSUPPORT`: Socket type not supported by the family, e.g. `SOCK_SEQPACKET` over IPv4.
 *
 * ```ts
 * import { AF_INET, ErrnoError, ESOCKTNOSUPPORT, SOCK_SEQPACKET, socket } from "@libc/epoll/ffi";
 *
 * try {
 *   socket(AF_INET, SOCK_SEQPACKET);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ESOCKTNOSUPPORT); // true
 * }
 * ```
 */
export const ESOCKTNOSUPPORT: typeof errnoNumbers.ESOCKTNOSUPPORT = errnoNumbers.ESOCKTNOSUPPORT;
/**
 * `EOPNOTSUPP` (== `ENOTSUP` on Linux): Operation not supported by this kind of socket, e.g.
 * `listen` on UDP.
 *
 * ```ts
 * import { AF_INET, close, EOPNOTSUPP, ErrnoError, listen, SOCK_DGRAM, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * try {
 *   listen(udp);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EOPNOTSUPP); // true
 * }
 * close(udp);
 * ```
 */
export const EOPNOTSUPP: typeof errnoNumbers.EOPNOTSUPP = errnoNumbers.EOPNOTSUPP;
/**
 * `EPFNOSUPPORT`: Protocol family not supported.
 *
 * ```ts
 * import { EPFNOSUPPORT, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EPFNOSUPPORT, strerror(EPFNOSUPPORT)); // 96 Protocol family not supported
 * ```
 */
export const EPFNOSUPPORT: typeof errnoNumbers.EPFNOSUPPORT = errnoNumbers.EPFNOSUPPORT;
/**
 * `EAFNOSUPPORT`: Address family not supported by protocol, e.g. an IPv6 address for an `AF_INET`
 * socket.
 *
 * ```ts
 * import { AF_INET, bind, close, EAFNOSUPPORT, encodeIp, ErrnoError, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * try {
 *   bind(fd, encodeIp("::1", 0));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EAFNOSUPPORT); // true
 * }
 * close(fd);
 * ```
 */
export const EAFNOSUPPORT: typeof errnoNumbers.EAFNOSUPPORT = errnoNumbers.EAFNOSUPPORT;
/**
 * `EADDRINUSE`: Address already in use: another socket is bound to that address and port (see
 * `SO_REUSEADDR`, `SO_REUSEPORT`).
 *
 * ```ts
 * import { AF_INET, bind, close, EADDRINUSE, encodeIp, ErrnoError, getsockname, type IpAddr, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const a = socket(AF_INET, SOCK_STREAM);
 * bind(a, encodeIp("127.0.0.1", 0));
 * const { port } = getsockname(a) as IpAddr;
 * const b = socket(AF_INET, SOCK_STREAM);
 * try {
 *   bind(b, encodeIp("127.0.0.1", port));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EADDRINUSE); // true
 * }
 * close(b);
 * close(a);
 * ```
 */
export const EADDRINUSE: typeof errnoNumbers.EADDRINUSE = errnoNumbers.EADDRINUSE;
/**
 * `EADDRNOTAVAIL`: Cannot assign requested address: `bind` to an IP this host does not have (or no
 * ephemeral port left for `connect`).
 *
 * ```ts
 * import { AF_INET, bind, close, EADDRNOTAVAIL, encodeIp, ErrnoError, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * try {
 *   bind(fd, encodeIp("192.0.2.1", 0)); // TEST-NET-1: never a local address
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EADDRNOTAVAIL); // true
 * }
 * close(fd);
 * ```
 */
export const EADDRNOTAVAIL: typeof errnoNumbers.EADDRNOTAVAIL = errnoNumbers.EADDRNOTAVAIL;
/**
 * `ENETDOWN`: Network is down.
 *
 * ```ts
 * import { ENETDOWN, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("sendto", ENETDOWN);
 * console.log(isErrno(err, "ENETDOWN"), err.errno === ENETDOWN); // true true
 * console.log(err.message); // sendto: Network is down [ENETDOWN]
 * ```
 */
export const ENETDOWN: typeof errnoNumbers.ENETDOWN = errnoNumbers.ENETDOWN;
/**
 * `ENETUNREACH`: Network is unreachable: no route to the destination's network (an IPv6 address on
 * a host without IPv6 routes, say).
 *
 * ```ts
 * import { ENETUNREACH, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("connect", ENETUNREACH);
 * console.log(isErrno(err, "ENETUNREACH"), err.errno === ENETUNREACH); // true true
 * console.log(err.message); // connect: Network is unreachable [ENETUNREACH]
 * ```
 */
export const ENETUNREACH: typeof errnoNumbers.ENETUNREACH = errnoNumbers.ENETUNREACH;
/**
 * `ENETRESET`: Network dropped connection on reset.
 *
 * ```ts
 * import { ENETRESET, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ENETRESET, strerror(ENETRESET)); // 102 Network dropped connection on reset
 * ```
 */
export const ENETRESET: typeof errnoNumbers.ENETRESET = errnoNumbers.ENETRESET;
/**
 * `ECONNABORTED`: Software caused connection abort: `accept4` reports a connection that was reset
 * while it waited in the queue. The listener is fine: accept the next one.
 *
 * ```ts
 * import { ECONNABORTED, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("accept4", ECONNABORTED);
 * console.log(isErrno(err, "ECONNABORTED"), err.errno === ECONNABORTED); // true true
 * console.log(err.message); // accept4: Software caused connection abort [ECONNABORTED]
 * ```
 */
export const ECONNABORTED: typeof errnoNumbers.ECONNABORTED = errnoNumbers.ECONNABORTED;
/**
 * `ECONNRESET`: Connection reset by peer. Over TCP, the peer sent RST; over a Unix stream, the peer
 * closed with data it had not read.
 *
 * ```ts
 * import { AF_UNIX, close, ECONNRESET, ErrnoError, read, SOCK_STREAM, socketpair, write } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * write(a, new Uint8Array([1])); // b never reads it
 * close(b);
 * try {
 *   read(a, new Uint8Array(1));
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ECONNRESET); // true
 * }
 * close(a);
 * ```
 */
export const ECONNRESET: typeof errnoNumbers.ECONNRESET = errnoNumbers.ECONNRESET;
/**
 * `ENOBUFS`: No buffer space available (a socket's or the system's socket memory).
 *
 * ```ts
 * import { ENOBUFS, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("sendto", ENOBUFS);
 * console.log(isErrno(err, "ENOBUFS"), err.errno === ENOBUFS); // true true
 * console.log(err.message); // sendto: No buffer space available [ENOBUFS]
 * ```
 */
export const ENOBUFS: typeof errnoNumbers.ENOBUFS = errnoNumbers.ENOBUFS;
/**
 * `EISCONN`: Transport endpoint is already connected: `connect` on a socket that already is.
 *
 * ```ts
 * import { AF_UNIX, bind, close, connect, EISCONN, encodeUnix, ErrnoError, listen, SOCK_STREAM, socket, socketpair } from "@libc/epoll/ffi";
 *
 * const server = socket(AF_UNIX, SOCK_STREAM);
 * const addr = encodeUnix(`\0libc-epoll-doc-eisconn-${Deno.pid}`); // an abstract name
 * bind(server, addr);
 * listen(server);
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM); // connected from birth
 * try {
 *   connect(a, addr);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === EISCONN); // true
 * }
 * for (const fd of [a, b, server]) close(fd);
 * ```
 */
export const EISCONN: typeof errnoNumbers.EISCONN = errnoNumbers.EISCONN;
/**
 * `ENOTCONN`: Transport endpoint is not connected, e.g. `getpeername` or `shutdown` before
 * `connect`.
 *
 * ```ts
 * import { AF_INET, close, ENOTCONN, ErrnoError, getpeername, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * try {
 *   getpeername(fd);
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ENOTCONN); // true
 * }
 * close(fd);
 * ```
 */
export const ENOTCONN: typeof errnoNumbers.ENOTCONN = errnoNumbers.ENOTCONN;
/**
 * `ESHUTDOWN`: Cannot send after transport endpoint shutdown. (Linux sockets report `EPIPE` for a
 * write after `shutdown(SHUT_WR)`.)
 *
 * ```ts
 * import { ESHUTDOWN, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ESHUTDOWN, strerror(ESHUTDOWN)); // 108 Cannot send after transport endpoint shutdown
 * ```
 */
export const ESHUTDOWN: typeof errnoNumbers.ESHUTDOWN = errnoNumbers.ESHUTDOWN;
/**
 * `ETIMEDOUT`: Connection timed out: a TCP connect got no answer, or keep-alive probes went
 * unanswered. A nonblocking connect reports it through `SO_ERROR`.
 *
 * ```ts
 * import { ETIMEDOUT, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("connect", ETIMEDOUT);
 * console.log(isErrno(err, "ETIMEDOUT"), err.errno === ETIMEDOUT); // true true
 * console.log(err.message); // connect: Connection timed out [ETIMEDOUT]
 * ```
 */
export const ETIMEDOUT: typeof errnoNumbers.ETIMEDOUT = errnoNumbers.ETIMEDOUT;
/**
 * `ECONNREFUSED`: Connection refused: nothing listens at the address.
 *
 * ```ts
 * import { AF_UNIX, close, connect, ECONNREFUSED, encodeUnix, ErrnoError, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * try {
 *   connect(fd, encodeUnix("\0libc-epoll-nobody-listens")); // an abstract name
 * } catch (err) {
 *   console.log((err as ErrnoError).errno === ECONNREFUSED); // true
 * }
 * close(fd);
 * ```
 */
export const ECONNREFUSED: typeof errnoNumbers.ECONNREFUSED = errnoNumbers.ECONNREFUSED;
/**
 * `EHOSTDOWN`: Host is down.
 *
 * ```ts
 * import { EHOSTDOWN, strerror } from "@libc/epoll/ffi";
 *
 * console.log(EHOSTDOWN, strerror(EHOSTDOWN)); // 112 Host is down
 * ```
 */
export const EHOSTDOWN: typeof errnoNumbers.EHOSTDOWN = errnoNumbers.EHOSTDOWN;
/**
 * `EHOSTUNREACH`: No route to host (often reported through `SO_ERROR` after a nonblocking connect).
 *
 * ```ts
 * import { EHOSTUNREACH, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("connect", EHOSTUNREACH);
 * console.log(isErrno(err, "EHOSTUNREACH"), err.errno === EHOSTUNREACH); // true true
 * console.log(err.message); // connect: No route to host [EHOSTUNREACH]
 * ```
 */
export const EHOSTUNREACH: typeof errnoNumbers.EHOSTUNREACH = errnoNumbers.EHOSTUNREACH;
/**
 * `EALREADY`: Operation already in progress: a second `connect` while a nonblocking one is still
 * under way.
 *
 * ```ts
 * import { EALREADY, ErrnoError, isErrno } from "@libc/epoll/ffi";
 *
 * const err = new ErrnoError("connect", EALREADY);
 * console.log(isErrno(err, "EALREADY"), err.errno === EALREADY); // true true
 * console.log(err.message); // connect: Operation already in progress [EALREADY]
 * ```
 */
export const EALREADY: typeof errnoNumbers.EALREADY = errnoNumbers.EALREADY;
/**
 * `EINPROGRESS`: a nonblocking connect has started. {@linkcode connect} returns false for it
 * instead of throwing: wait for `EPOLLOUT`, then read `SO_ERROR`.
 *
 * ```ts
 * import { AF_INET, bind, close, connect, EINPROGRESS, encodeIp, getsockname, type IpAddr, lastErrno, listen, SOCK_NONBLOCK, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const server = socket(AF_INET, SOCK_STREAM);
 * bind(server, encodeIp("127.0.0.1", 0));
 * listen(server);
 * const { port } = getsockname(server) as IpAddr;
 * const client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
 * console.log(connect(client, encodeIp("127.0.0.1", port)), lastErrno() === EINPROGRESS); // false true
 * close(client);
 * close(server);
 * ```
 */
export const EINPROGRESS: typeof errnoNumbers.EINPROGRESS = errnoNumbers.EINPROGRESS;
/**
 * `ECANCELED`: Operation canceled.
 *
 * ```ts
 * import { ECANCELED, strerror } from "@libc/epoll/ffi";
 *
 * console.log(ECANCELED, strerror(ECANCELED)); // 125 Operation canceled
 * ```
 */
export const ECANCELED: typeof errnoNumbers.ECANCELED = errnoNumbers.ECANCELED;

const names: string[] = [];
for (const [name, n] of Object.entries(errnoNumbers)) names[n] = name;

function checkErrno(errno: number): number {
  return checkInt(errno, "errno", 0, I32_MAX);
}

/**
 * The name of an errno number (`11` → `"EAGAIN"`), or `"E<n>"` for unknown
 * ones. `errno` is an integer in [0, 2^31).
 *
 * ```ts
 * import { EAGAIN, errnoName } from "@libc/epoll/ffi";
 *
 * console.log(errnoName(EAGAIN), errnoName(4095)); // EAGAIN E4095
 * ```
 */
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

/**
 * libc's own message for an errno (`strerror`); only called on error paths.
 * `errno` is an integer in [0, 2^31).
 *
 * ```ts
 * import { ECONNREFUSED, strerror } from "@libc/epoll/ffi";
 *
 * console.log(strerror(ECONNREFUSED)); // Connection refused
 * ```
 */
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

/**
 * errno of this thread. Read it immediately after the failed sync call. For
 * a symbol of your own `Deno.dlopen` of libc: errno is per thread, not per
 * library handle, so the same cell answers.
 *
 * ```ts
 * import { EBADF, lastErrno, libcPath } from "@libc/epoll/ffi";
 *
 * const lib = Deno.dlopen(libcPath(), { dup: { parameters: ["i32"], result: "i32" } });
 * try {
 *   console.log(lib.symbols.dup(2 ** 31 - 1), lastErrno() === EBADF); // -1 true
 * } finally {
 *   lib.close();
 * }
 * ```
 */
export function lastErrno(): number {
  if (!viewable) libc.memcpy(errnoBytes, errnoPtr, 4); // scoped --allow-ffi: copy it
  return errnoCell[0];
}

/**
 * A failed libc call: the errno number, its name, the syscall, and libc's
 * message. `code` matches Node's `err.code` (`"ECONNRESET"`).
 *
 * ```ts
 * import { AF_INET, close, ErrnoError, getpeername, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * try {
 *   getpeername(fd); // not connected
 * } catch (err) {
 *   if (!(err instanceof ErrnoError)) throw err;
 *   console.log(err.syscall, err.code, err.errno); // getpeername ENOTCONN 107
 *   console.log(err.message); // getpeername: Transport endpoint is not connected [ENOTCONN]
 * } finally {
 *   close(fd);
 * }
 * ```
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

/**
 * Throws an {@linkcode ErrnoError} for `syscall` with the thread's current
 * errno: for calls of your own `Deno.dlopen` that return -1.
 *
 * ```ts
 * import { isErrno, libcPath, throwErrno } from "@libc/epoll/ffi";
 *
 * const lib = Deno.dlopen(libcPath(), { dup: { parameters: ["i32"], result: "i32" } });
 * try {
 *   if (lib.symbols.dup(2 ** 31 - 1) < 0) throwErrno("dup", "fd 2147483647");
 * } catch (err) {
 *   console.log(isErrno(err, "EBADF"), (err as Error).message); // true dup: Bad file descriptor [EBADF] (fd 2147483647)
 * } finally {
 *   lib.close();
 * }
 * ```
 */
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
