/**
 * Maps libc errors to the `Deno.errors` classes that `Deno.Conn` and
 * `Deno.Listener` throw, so code can move between the two. The original
 * {@linkcode ErrnoError} stays available as `cause`.
 *
 * @module
 */

import { ErrnoError } from "../ffi/mod.ts";

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

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
  ENETUNREACH: Deno.errors.NetworkUnreachable,
  EHOSTUNREACH: Deno.errors.ConnectionRefused,
};

/** The Deno-shaped error for `err`: an ErrnoError becomes e.g. `Deno.errors.ConnectionReset`. */
export function toDenoError(err: unknown): unknown {
  if (!(err instanceof ErrnoError)) return err;
  const Class = classes[err.code];
  return Class === undefined ? err : new Class(err.message, { cause: err });
}

/** The error for an operation on a closed conn or listener. */
export function closedError(what: string): Deno.errors.BadResource {
  return new Deno.errors.BadResource(`${what} is closed`);
}
