/**
 * Socket plumbing shared by `listen()` and `connect()`: turning Deno-style
 * options into an encoded address and a nonblocking, close-on-exec socket,
 * and naming that address in errors.
 *
 * @module
 */

import {
  type EncodedAddr,
  encodeIp,
  encodeUnix,
  ErrnoError,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socket,
} from "../ffi/mod.ts";
import { toDenoError } from "./errors.ts";
import * as sys from "./sys.ts";

/**
 * A TCP endpoint, as in `Deno.listen` / `Deno.connect`.
 *
 * ```ts
 * import { listen, type TcpOptions } from "@libc/epoll";
 *
 * const at: TcpOptions = { hostname: "::1", port: 0 }; // IPv6 loopback
 * try {
 *   using listener = listen(at);
 *   console.log(listener.addr.hostname); // ::1
 * } catch (err) {
 *   console.log("no IPv6 here:", err instanceof Error); // a machine without ::1
 * }
 * ```
 */
export interface TcpOptions {
  /** `"tcp"` (the default). */
  transport?: "tcp";
  /** An IP literal or `"localhost"`. No DNS: this layer works below `--allow-net`. */
  hostname?: string;
  /** The port; 0 lets the kernel pick one (see `addr`). */
  port: number;
}

/**
 * A Unix stream socket endpoint, as in `Deno.listen({ transport: "unix" })`.
 *
 * ```ts
 * import { listen, type UnixOptions } from "@libc/epoll";
 *
 * const at: UnixOptions = { transport: "unix", path: `/tmp/epoll-doc-${Deno.pid}-uo.sock` };
 * using listener = listen(at);
 * console.log(listener.addr.path === at.path); // true
 * ```
 */
export interface UnixOptions {
  /** `"unix"`. */
  transport: "unix";
  /** The socket path; a leading `"\0"` names an abstract socket. */
  path: string;
}

/** The address to bind or connect, encoded, with the transport it was for. */
export interface Endpoint {
  /** The encoded `sockaddr`. */
  addr: EncodedAddr;
  /** `"tcp"` or `"unix"`. */
  transport: "tcp" | "unix";
  /** The address as the caller gave it (`"127.0.0.1:80"`, `"[::1]:80"`, a path), for error messages. */
  label: string;
}

/** Checks that `options` is a plain options object (not null, not a primitive). */
export function checkOptions(options: unknown): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
  }
}

/**
 * Encodes `options` (default hostname: `defaultHost`). A hostname or path
 * must be a string: `null` is a TypeError, not the wildcard or `./null`.
 */
export function endpoint(options: TcpOptions | UnixOptions, defaultHost: string): Endpoint {
  checkOptions(options);
  if (options.transport === "unix") {
    if (typeof options.path !== "string") {
      throw new TypeError(`path must be a string, got ${describe(options.path)}`);
    }
    return { addr: encodeUnix(options.path), transport: "unix", label: options.path };
  }
  if (options.transport !== undefined && options.transport !== "tcp") {
    throw new TypeError(`unsupported transport ${describe((options as { transport: unknown }).transport)}`);
  }
  const hostname = options.hostname ?? defaultHost;
  if (options.hostname === null || typeof hostname !== "string") {
    throw new TypeError(`hostname must be a string, got ${describe(options.hostname)}`);
  }
  const addr = encodeIp(hostname, options.port);
  const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return { addr, transport: "tcp", label: `${host}:${options.port}` };
}

function describe(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : value === null ? "null" : typeof value;
}

/** A new nonblocking, close-on-exec stream socket for `ep`'s family. */
export function streamSocket(ep: Endpoint): number {
  return sys.call(() => socket(ep.addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC));
}

/**
 * Runs `setup(fd)`; on any error closes `fd` and rethrows it as a Deno error,
 * naming `ep`'s address when the error is libc's (`AddrInUse: bind: Address
 * already in use [EADDRINUSE] (127.0.0.1:8080)`).
 */
export function orClose<T>(fd: number, ep: Endpoint, setup: (fd: number) => T): T {
  try {
    return setup(fd);
  } catch (err) {
    sys.close(fd);
    throw toDenoError(withAddress(err, ep));
  }
}

/** `err` with the endpoint's address in its message, when it is an ErrnoError without one. */
export function withAddress(err: unknown, ep: Endpoint): unknown {
  if (!(err instanceof ErrnoError) || err.message.endsWith(`(${ep.label})`)) return err;
  return new ErrnoError(err.syscall, err.errno, ep.label);
}
