/**
 * Socket plumbing shared by `listen()` and `connect()`: turning Deno-style
 * options into an encoded address and a nonblocking, close-on-exec socket.
 *
 * @module
 */

import {
  close,
  type EncodedAddr,
  encodeIp,
  encodeUnix,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  socket,
} from "../ffi/mod.ts";
import { toDenoError } from "./errors.ts";

/** A TCP endpoint, as in `Deno.listen` / `Deno.connect`. */
export interface TcpOptions {
  /** `"tcp"` (the default). */
  transport?: "tcp";
  /** An IP literal or `"localhost"`. No DNS: this layer works below `--allow-net`. */
  hostname?: string;
  /** The port; 0 lets the kernel pick one (see `addr`). */
  port: number;
}

/** A Unix stream socket endpoint, as in `Deno.listen({ transport: "unix" })`. */
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
}

/** Encodes `options` (default hostname: `defaultHost`). */
export function endpoint(options: TcpOptions | UnixOptions, defaultHost: string): Endpoint {
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  if (options.transport === "unix") return { addr: encodeUnix(options.path), transport: "unix" };
  if (options.transport !== undefined && options.transport !== "tcp") {
    throw new TypeError(`unsupported transport "${(options as { transport: string }).transport}"`);
  }
  return { addr: encodeIp(options.hostname ?? defaultHost, options.port), transport: "tcp" };
}

/** A new nonblocking, close-on-exec stream socket for `ep`'s family. */
export function streamSocket(ep: Endpoint): number {
  try {
    return socket(ep.addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
  } catch (err) {
    throw toDenoError(err);
  }
}

/** Runs `setup(fd)`; on any error closes `fd` and rethrows it as a Deno error. */
export function orClose<T>(fd: number, setup: (fd: number) => T): T {
  try {
    return setup(fd);
  } catch (err) {
    close(fd);
    throw toDenoError(err);
  }
}
