/**
 * Maps libc errors to the `Deno.errors` classes that `Deno.Conn` and
 * `Deno.Listener` throw, so code can move between the two. The original
 * {@linkcode ErrnoError} stays available as `cause`. Every libc call of the
 * net layer goes through `sys.ts`, which applies this mapping.
 *
 * @module
 */

import { ErrnoError } from "../ffi/mod.ts";
import { byteLengthOf, describe } from "../ffi/checks.ts";

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

// errno name -> the class Deno's own sockets throw for it (Rust's io::ErrorKind,
// as Deno maps it). Names, not numbers: the numbers live in ffi/errno.ts.
const classes: Record<string, ErrorClass> = {
  ECONNRESET: Deno.errors.ConnectionReset,
  EPIPE: Deno.errors.BrokenPipe,
  ECONNREFUSED: Deno.errors.ConnectionRefused,
  ECONNABORTED: Deno.errors.ConnectionAborted,
  EADDRINUSE: Deno.errors.AddrInUse,
  EADDRNOTAVAIL: Deno.errors.AddrNotAvailable,
  ENOTCONN: Deno.errors.NotConnected,
  ETIMEDOUT: Deno.errors.TimedOut,
  EACCES: Deno.errors.PermissionDenied,
  EPERM: Deno.errors.PermissionDenied,
  ENOENT: Deno.errors.NotFound,
  EEXIST: Deno.errors.AlreadyExists,
  EBADF: Deno.errors.BadResource,
  EINTR: Deno.errors.Interrupted,
  EBUSY: Deno.errors.Busy,
  ENETUNREACH: Deno.errors.NetworkUnreachable,
  ENETDOWN: Deno.errors.NetworkUnreachable,
  EHOSTUNREACH: Deno.errors.ConnectionRefused,
  ENOTDIR: Deno.errors.NotADirectory,
  EISDIR: Deno.errors.IsADirectory,
  ELOOP: Deno.errors.FilesystemLoop,
  EOPNOTSUPP: Deno.errors.NotSupported,
  EAFNOSUPPORT: Deno.errors.NotSupported,
  EPROTONOSUPPORT: Deno.errors.NotSupported,
  ENOPROTOOPT: Deno.errors.NotSupported,
  EINVAL: Deno.errors.InvalidData,
};

/**
 * The Deno-shaped error for `err`: an ErrnoError becomes e.g.
 * `Deno.errors.ConnectionReset` with the ErrnoError as `cause`. Errnos that
 * Deno has no class for (EMFILE, ENOBUFS, ENOMEM: Deno throws a plain
 * `Error` for those) stay the ErrnoError, which is an `Error` with `code`.
 */
export function toDenoError(err: unknown): unknown {
  if (!(err instanceof ErrnoError)) return err;
  const Class = classes[err.code];
  return Class === undefined ? err : new Class(err.message, { cause: err });
}

/** The error for an operation on a closed conn or listener. */
export function closedError(what: string): Deno.errors.BadResource {
  return new Deno.errors.BadResource(`${what} is closed`);
}

/** The error a call pending across `close()` settles with, as Deno's own. */
export function interruptedError(what: string): Deno.errors.Interrupted {
  return new Deno.errors.Interrupted(`${what} was closed while the operation was pending`);
}

/**
 * Throws a TypeError unless `p` is a real, fixed-length Uint8Array (what
 * `read`/`write` take), and returns its true byte length: read through the
 * engine, so a redefined `byteLength` or a look-alike object cannot lie.
 */
export function checkBytes(p: unknown, what: string): number {
  return byteLengthOf(p as Uint8Array, `${what}'s buffer`);
}

// The engine's brand check: a look-alike made with Object.create passes
// `instanceof`, then fails inside AbortSignal.any with the engine's message.
const signalAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;

/** Whether `value` is a real AbortSignal (checked by the engine, not by `instanceof`). */
export function isAbortSignal(value: unknown): boolean {
  try {
    signalAborted.call(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a TypeError unless `options` is undefined or `{ signal?: AbortSignal }`;
 * returns the signal, read once (a getter could answer differently, or
 * throw, the second time).
 */
export function checkIoOptions(options: unknown): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  const signal = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError("options.signal must be an AbortSignal");
  }
  return signal as AbortSignal | undefined;
}

/** Throws a TypeError unless `value` is a boolean (no silent truthiness). */
export function checkBoolean(value: unknown, name: string): void {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
}
