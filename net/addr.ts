/**
 * The address types `Listener` and `Conn` return: the shapes of Deno's
 * `Deno.NetAddr` and `Deno.UnixAddr`, so code moving from `Deno.listen`
 * keeps its types.
 *
 * @module
 */

import type { IpAddr, UnixAddr as UnixSockAddr } from "../ffi/mod.ts";

/** A TCP (or UDP) address: `{ transport, hostname, port }`, as `Deno.NetAddr`. */
export type NetAddr = IpAddr;

/** A Unix socket address: `{ transport, path }`, as `Deno.UnixAddr`. */
export type UnixAddr = UnixSockAddr;

/** Any address a listener or connection has. */
export type Addr = NetAddr | UnixAddr;
