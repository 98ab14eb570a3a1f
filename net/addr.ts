/**
 * The address types `Listener` and `Conn` return: the shapes of Deno's
 * `Deno.NetAddr` and `Deno.UnixAddr`, so code moving from `Deno.listen`
 * keeps its types.
 *
 * @module
 */

import type { IpAddr, UnixAddr as UnixSockAddr } from "../ffi/mod.ts";

/**
 * A TCP (or UDP) address: `{ transport, hostname, port }`, as `Deno.NetAddr`.
 * IPv6 hostnames are in RFC 5952 form (`"::1"`).
 *
 * ```ts
 * import { listen, type NetAddr } from "@libc/epoll";
 *
 * using listener = listen({ hostname: "127.0.0.1", port: 0 });
 * const addr: NetAddr = listener.addr; // a TCP listener's addr is a NetAddr: no cast
 * console.log(addr.transport, addr.hostname, addr.port > 0); // tcp 127.0.0.1 true
 * ```
 */
export type NetAddr = IpAddr;

/**
 * A Unix socket address: `{ transport, path }`, as `Deno.UnixAddr`. A path
 * starting with `"\0"` is in the abstract namespace; `""` is unnamed.
 *
 * ```ts
 * import { listen, type UnixAddr } from "@libc/epoll";
 *
 * using listener = listen({ transport: "unix", path: `\0epoll-doc-${Deno.pid}` }); // abstract: no file
 * const addr: UnixAddr = listener.addr;
 * console.log(addr.transport, addr.path.startsWith("\0")); // unix true
 * ```
 */
export type UnixAddr = UnixSockAddr;

/**
 * Any address a listener or connection has; tell them apart by `transport`
 * (or `"port" in addr`).
 *
 * ```ts
 * import type { Addr } from "@libc/epoll";
 *
 * function show(addr: Addr): string {
 *   return "port" in addr ? `${addr.hostname}:${addr.port}` : addr.path;
 * }
 * console.log(show({ transport: "tcp", hostname: "::1", port: 80 })); // ::1:80
 * ```
 */
export type Addr = NetAddr | UnixAddr;
