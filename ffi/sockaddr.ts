/**
 * `sockaddr_in`, `sockaddr_in6` and `sockaddr_un`: encode from and decode to
 * Deno's address shapes (`Deno.NetAddr`, `Deno.UnixAddr`). Only IP literals
 * are encoded here, plus `localhost`: no lookup happens in this file (host
 * names go through `getaddrinfo`, which returns encoded addresses).
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";
import { byteLengthOf, checkInt, checkString, describe, I32_MAX } from "./checks.ts";

/**
 * `sizeof(struct sockaddr_in)`: the length {@linkcode encodeIp} gives an
 * IPv4 address.
 *
 * ```ts
 * import { encodeIp, SOCKADDR_IN_SIZE } from "@libc/epoll/ffi";
 *
 * console.log(encodeIp("127.0.0.1", 80).length === SOCKADDR_IN_SIZE, SOCKADDR_IN_SIZE); // true 16
 * ```
 */
export const SOCKADDR_IN_SIZE = 16;
/**
 * `sizeof(struct sockaddr_in6)`: the length {@linkcode encodeIp} gives an
 * IPv6 address.
 *
 * ```ts
 * import { encodeIp, SOCKADDR_IN6_SIZE } from "@libc/epoll/ffi";
 *
 * console.log(encodeIp("::1", 80).length === SOCKADDR_IN6_SIZE, SOCKADDR_IN6_SIZE); // true 28
 * ```
 */
export const SOCKADDR_IN6_SIZE = 28;
/**
 * `sizeof(struct sockaddr_un)`: family + 108 bytes of path. The `length`
 * passed with it is shorter: family + path + NUL.
 *
 * ```ts
 * import { encodeUnix, SOCKADDR_UN_SIZE } from "@libc/epoll/ffi";
 *
 * const addr = encodeUnix("/run/app.sock");
 * console.log(addr.bytes.length === SOCKADDR_UN_SIZE, addr.length); // true 16
 * ```
 */
export const SOCKADDR_UN_SIZE = 110;
/**
 * `sizeof(struct sockaddr_storage)`: room for any address, the size of a
 * {@linkcode SockAddrBuffer}.
 *
 * ```ts
 * import { encodeIp, encodeUnix, SOCKADDR_STORAGE_SIZE } from "@libc/epoll/ffi";
 *
 * const sizes = [encodeIp("127.0.0.1", 0), encodeIp("::1", 0), encodeUnix("/run/app.sock")].map((a) => a.bytes.length);
 * console.log(sizes, sizes.every((n) => n <= SOCKADDR_STORAGE_SIZE)); // [ 16, 28, 110 ] true
 * ```
 */
export const SOCKADDR_STORAGE_SIZE = 128;
/**
 * The longest `sockaddr_un` path in bytes, without its NUL.
 *
 * ```ts
 * import { encodeUnix, UNIX_PATH_MAX } from "@libc/epoll/ffi";
 *
 * console.log(encodeUnix("/" + "a".repeat(UNIX_PATH_MAX - 1)).length); // 110
 * try {
 *   encodeUnix("/" + "a".repeat(UNIX_PATH_MAX));
 * } catch (err) {
 *   console.log((err as Error).message); // unix socket path must be 1 to 107 bytes, got 108
 * }
 * ```
 */
export const UNIX_PATH_MAX = 107;

/**
 * An IP address and port, as Deno's `Deno.NetAddr` (transport `"tcp"` or
 * `"udp"`).
 *
 * ```ts
 * import { AF_INET, bind, close, encodeIp, getsockname, type IpAddr, SOCK_DGRAM, socket } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM);
 * bind(udp, encodeIp("127.0.0.1", 0)); // port 0: the kernel picks one
 * const addr = getsockname(udp, "udp") as IpAddr;
 * console.log(addr.transport, addr.hostname, addr.port > 0); // udp 127.0.0.1 true
 * close(udp);
 * ```
 */
export interface IpAddr {
  /** `"tcp"` or `"udp"`. */
  transport: "tcp" | "udp";
  /** Dotted IPv4 or RFC 5952 IPv6 text. */
  hostname: string;
  /** The port, 0 to 65535. */
  port: number;
}

/**
 * A Unix socket path, as `Deno.UnixAddr`; a leading `"\0"` names the
 * abstract namespace.
 *
 * ```ts
 * import { AF_UNIX, close, getsockname, SOCK_STREAM, socketpair, type UnixAddr } from "@libc/epoll/ffi";
 *
 * const [a, b] = socketpair(AF_UNIX, SOCK_STREAM);
 * const addr = getsockname(a) as UnixAddr;
 * console.log(addr); // { transport: "unix", path: "" }
 * close(a);
 * close(b);
 * ```
 */
export interface UnixAddr {
  /** `"unix"` or `"unixpacket"`. */
  transport: "unix" | "unixpacket";
  /** The path; `""` for an unnamed socket. */
  path: string;
}

/**
 * Any address this package decodes: tell the two apart with `"path" in addr`.
 *
 * ```ts
 * import { decodeSockAddr, encodeIp, encodeUnix, type SockAddr } from "@libc/epoll/ffi";
 *
 * function show(addr: SockAddr): string {
 *   return "path" in addr ? `unix:${addr.path}` : `${addr.transport}://${addr.hostname}:${addr.port}`;
 * }
 * const ip = encodeIp("::1", 8080);
 * const unix = encodeUnix("/run/app.sock");
 * console.log(show(decodeSockAddr(ip.bytes, ip.length))); // tcp://::1:8080
 * console.log(show(decodeSockAddr(unix.bytes, unix.length))); // unix:/run/app.sock
 * ```
 */
export type SockAddr = IpAddr | UnixAddr;

/**
 * An encoded address: the bytes and the `socklen_t` to pass with them, as
 * {@linkcode bind}, {@linkcode connect} and {@linkcode sendto} take it.
 *
 * ```ts
 * import { AF_INET6, type EncodedAddr, encodeIp } from "@libc/epoll/ffi";
 *
 * const addr: EncodedAddr = encodeIp("::1", 443);
 * console.log(addr.family === AF_INET6, addr.length, addr.bytes[2] * 256 + addr.bytes[3]); // true 28 443
 * ```
 */
export interface EncodedAddr {
  /** The `struct sockaddr_*` bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Its length in bytes. */
  length: number;
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  family: number;
}

/**
 * Parses dotted IPv4 text into 4 bytes, or returns null (no octal, no
 * shorthand forms such as `127.1`).
 *
 * ```ts
 * import { parseIPv4 } from "@libc/epoll/ffi";
 *
 * console.log(parseIPv4("192.168.0.1")); // Uint8Array(4) [ 192, 168, 0, 1 ]
 * console.log(parseIPv4("256.0.0.1"), parseIPv4("010.0.0.1"), parseIPv4("127.1")); // null null null
 * ```
 */
export function parseIPv4(text: string): Uint8Array<ArrayBuffer> | null {
  checkString(text, "text");
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

// `last`: this run ends the address, the only place a dotted IPv4 may stand.
function parseGroups(text: string, last: boolean): number[] | null {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (last && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIPv4(part);
      if (v4 === null) return null;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/**
 * Parses IPv6 text (with `::`, embedded IPv4, optional `[]`) into 16 bytes,
 * or returns null.
 *
 * ```ts
 * import { parseIPv6 } from "@libc/epoll/ffi";
 *
 * console.log(parseIPv6("[::ffff:10.0.0.1]")?.subarray(10)); // Uint8Array(6) [ 255, 255, 10, 0, 0, 1 ]
 * console.log(parseIPv6("1::2::3"), parseIPv6("::1%lo")); // null null
 * ```
 */
export function parseIPv6(text: string): Uint8Array<ArrayBuffer> | null {
  checkString(text, "text");
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1], true) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function checkAddrBytes(b: Uint8Array, size: number): void {
  const got = byteLengthOf(b, "address bytes");
  if (got < size) throw new RangeError(`an IPv${size === 4 ? 4 : 6} address needs ${size} bytes, got ${got}`);
}

/**
 * Formats 4 bytes as dotted IPv4 (only the first 4 of a longer array).
 *
 * ```ts
 * import { formatIPv4 } from "@libc/epoll/ffi";
 *
 * console.log(formatIPv4(new Uint8Array([127, 0, 0, 1]))); // 127.0.0.1
 * ```
 */
export function formatIPv4(b: Uint8Array): string {
  checkAddrBytes(b, 4);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * Formats 16 bytes as IPv6 text in RFC 5952 form (longest zero run as `::`,
 * lower case, IPv4-mapped addresses in dotted form).
 *
 * ```ts
 * import { formatIPv6, parseIPv6 } from "@libc/epoll/ffi";
 *
 * console.log(formatIPv6(parseIPv6("2001:DB8:0:0:1:0:0:0")!)); // 2001:db8:0:0:1::
 * console.log(formatIPv6(parseIPv6("::ffff:7f00:1")!)); // ::ffff:127.0.0.1
 * ```
 */
export function formatIPv6(b: Uint8Array): string {
  checkAddrBytes(b, 16);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i] << 8) | b[2 * i + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(b.subarray(12))}`;
  }
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

function checkPort(port: number): number {
  return checkInt(port, "port", 0, 65535);
}

/**
 * Encodes an IP literal and port as `sockaddr_in` or `sockaddr_in6`.
 * `"localhost"` means 127.0.0.1, `""` and `"0.0.0.0"` the IPv4 wildcard.
 * Any other name is a TypeError: no lookup happens here.
 *
 * ```ts
 * import { AF_INET, bind, close, encodeIp, getsockname, SOCK_STREAM, socket } from "@libc/epoll/ffi";
 *
 * const fd = socket(AF_INET, SOCK_STREAM);
 * bind(fd, encodeIp("localhost", 0));
 * const addr = getsockname(fd);
 * console.log("hostname" in addr && addr.hostname); // 127.0.0.1
 * close(fd);
 * ```
 */
export function encodeIp(hostname: string, port: number): EncodedAddr {
  checkString(hostname, "hostname");
  port = checkPort(port);
  const host = hostname === "localhost" ? "127.0.0.1" : hostname === "" ? "0.0.0.0" : hostname;
  const v4 = parseIPv4(host);
  if (v4 !== null) {
    const bytes = new Uint8Array(SOCKADDR_IN_SIZE);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false); // network byte order
    bytes.set(v4, 4);
    return { bytes, length: SOCKADDR_IN_SIZE, family: AF_INET };
  }
  const v6 = parseIPv6(host);
  if (v6 === null) {
    throw new TypeError(`not an IP address literal: "${hostname}" (this layer does no DNS lookups)`);
  }
  const bytes = new Uint8Array(SOCKADDR_IN6_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, AF_INET6, true);
  view.setUint16(2, port, false);
  bytes.set(v6, 8); // after family, port and sin6_flowinfo
  return { bytes, length: SOCKADDR_IN6_SIZE, family: AF_INET6 };
}

/**
 * Encodes a Unix socket path as `sockaddr_un`; a leading `"\0"` makes it
 * abstract (no file; gone with the last fd).
 *
 * ```ts
 * import { AF_UNIX, bind, close, encodeUnix, getsockname, SOCK_STREAM, socket, type UnixAddr } from "@libc/epoll/ffi";
 *
 * const name = `\0libc-epoll-doc-encodeUnix-${Deno.pid}`;
 * const fd = socket(AF_UNIX, SOCK_STREAM);
 * bind(fd, encodeUnix(name));
 * console.log((getsockname(fd) as UnixAddr).path === name); // true
 * close(fd);
 * ```
 */
export function encodeUnix(path: string): EncodedAddr {
  checkString(path, "unix socket path");
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.length > UNIX_PATH_MAX) {
    throw new RangeError(`unix socket path must be 1 to ${UNIX_PATH_MAX} bytes, got ${name.length}`);
  }
  if (name[0] !== 0 && name.includes(0)) throw new TypeError("unix socket path contains a NUL byte");
  const bytes = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true);
  bytes.set(name, 2);
  // Abstract names are exactly as long as given; paths end at their NUL.
  const length = 2 + name.length + (name[0] === 0 ? 0 : 1);
  return { bytes, length, family: AF_UNIX };
}

function checkTransport(transport: "tcp" | "udp"): void {
  if (transport !== "tcp" && transport !== "udp") {
    throw new TypeError(`transport must be "tcp" or "udp", got ${describe(transport)}`);
  }
}

/**
 * Decodes `length` bytes of a `struct sockaddr` (as filled in by accept4,
 * getsockname, recvfrom). `transport` names the socket kind for IP addresses.
 *
 * ```ts
 * import { decodeSockAddr, encodeIp } from "@libc/epoll/ffi";
 *
 * const { bytes, length } = encodeIp("2001:db8::1", 53);
 * console.log(decodeSockAddr(bytes, length, "udp")); // { transport: "udp", hostname: "2001:db8::1", port: 53 }
 * ```
 */
export function decodeSockAddr(
  bytes: Uint8Array,
  length: number,
  transport: "tcp" | "udp" = "tcp",
): SockAddr {
  const size = byteLengthOf(bytes, "bytes");
  length = checkInt(length, "length", 0, size);
  checkTransport(transport);
  if (length < 2) return { transport: "unix", path: "" }; // unnamed Unix socket
  // A private copy: the caller's array may be shared with another thread, or
  // have its own `buffer`/`subarray` redefined; indexed reads cannot be.
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = bytes[i];
  const family = b[0] | (b[1] << 8);
  const port = (b[2] << 8) | b[3]; // network byte order
  if (family === AF_INET && length >= SOCKADDR_IN_SIZE) {
    return { transport, hostname: formatIPv4(b.subarray(4, 8)), port };
  }
  if (family === AF_INET6 && length >= SOCKADDR_IN6_SIZE) {
    return { transport, hostname: formatIPv6(b.subarray(8, 24)), port };
  }
  if (family === AF_UNIX) {
    let name = b.subarray(2, length);
    if (name[0] !== 0) {
      const nul = name.indexOf(0);
      if (nul >= 0) name = name.subarray(0, nul);
    }
    return { transport: "unix", path: new TextDecoder().decode(name) };
  }
  throw new TypeError(`unsupported address family ${family} (length ${length})`);
}

/**
 * Reads an {@linkcode EncodedAddr} once (a getter could answer differently
 * the second time) and checks that its `length` lies within its bytes, whose
 * true size is read from the engine. Internal to `ffi/`.
 */
export function addrBytes(addr: EncodedAddr, name = "addr"): { bytes: Uint8Array; length: number } {
  if (typeof addr !== "object" || addr === null) {
    throw new TypeError(
      `${name} must be an encoded address (see encodeIp, encodeUnix), got ${describe(addr)}`,
    );
  }
  let bytes: Uint8Array;
  let length: number;
  try {
    bytes = addr.bytes;
    length = addr.length;
  } catch (err) {
    // A getter that throws (a Proxy, another class's accessor): not an address.
    throw new TypeError(`${name} must be an encoded address (see encodeIp, encodeUnix)`, { cause: err });
  }
  const size = byteLengthOf(bytes, `${name}.bytes`);
  return { bytes, length: checkInt(length, `${name}.length`, 0, Math.min(size, I32_MAX)) };
}

// Module-private access to a genuine SockAddrBuffer, for calls.ts.
let isSockAddrBuffer: (value: unknown) => boolean;
let prepare: (buf: SockAddrBuffer) => void;
let addrOf: (buf: SockAddrBuffer) => Uint8Array<ArrayBuffer>;
let lenOf: (buf: SockAddrBuffer) => Uint8Array<ArrayBuffer>;

/**
 * Room for one `struct sockaddr_storage` and its `socklen_t`, filled by
 * `accept4`, `recvfrom`, `getsockname`. Its memory is private: the calls
 * accept only a real `SockAddrBuffer` (an object shaped like one is a
 * TypeError), so the kernel never writes past what was allocated here.
 *
 * ```ts
 * import { AF_UNIX, bind, close, encodeUnix, recvfrom, sendto, SockAddrBuffer, SOCK_DGRAM, SOCK_NONBLOCK, socket, type UnixAddr, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * // Two Unix datagram sockets with abstract names (delivery is immediate).
 * const [a, b] = [socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK), socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK)];
 * bind(a, encodeUnix(`\0libc-epoll-doc-sockaddrbuffer-${Deno.pid}-a`));
 * const to = encodeUnix(`\0libc-epoll-doc-sockaddrbuffer-${Deno.pid}-b`);
 * bind(b, to);
 * const from = new SockAddrBuffer();
 * const buf = new Uint8Array(64);
 * console.log(from.length, recvfrom(b, buf, 0, from) === WOULD_BLOCK); // 0 true
 * sendto(a, new TextEncoder().encode("hi"), 0, to);
 * console.log(recvfrom(b, buf, 0, from), (from.decode() as UnixAddr).path.endsWith("-a")); // 2 true
 * close(a);
 * close(b);
 * ```
 */
export class SockAddrBuffer {
  readonly #bytes: Uint8Array<ArrayBuffer> = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  readonly #len: Uint32Array<ArrayBuffer> = new Uint32Array(1);
  readonly #lenBytes: Uint8Array<ArrayBuffer> = new Uint8Array(this.#len.buffer);

  static {
    isSockAddrBuffer = (value) => typeof value === "object" && value !== null && #bytes in value;
    prepare = (buf) => {
      buf.#len[0] = SOCKADDR_STORAGE_SIZE;
    };
    addrOf = (buf) => buf.#bytes;
    lenOf = (buf) => buf.#lenBytes;
  }

  /** The length in bytes of the address the last call stored (0 before any). */
  get length(): number {
    return Math.min(this.#len[0], SOCKADDR_STORAGE_SIZE);
  }

  /**
   * Decodes what the last call stored. Throws a TypeError when it stored
   * nothing (before any call, or after one that returned WOULD_BLOCK or
   * failed), rather than decoding stale or empty bytes.
   */
  decode(transport: "tcp" | "udp" = "tcp"): SockAddr {
    if (this.#len[0] === 0) throw new TypeError("no address stored: the last call stored none");
    return decodeSockAddr(this.#bytes, this.length, transport);
  }
}
Object.freeze(SockAddrBuffer.prototype);
Object.freeze(SockAddrBuffer);

/**
 * Internal to `ffi/`: checks that `buf` is a genuine {@linkcode SockAddrBuffer}
 * and resets its length to the full storage size before a call fills it.
 */
export function prepareSockAddr(buf: SockAddrBuffer, name = "addr"): void {
  if (!isSockAddrBuffer(buf)) throw new TypeError(`${name} must be a SockAddrBuffer, got ${describe(buf)}`);
  prepare(buf);
}

/** Internal to `ffi/`: the private `struct sockaddr_storage` bytes of a prepared buffer. */
export function sockAddrBytes(buf: SockAddrBuffer): Uint8Array<ArrayBuffer> {
  return addrOf(buf);
}

/** Internal to `ffi/`: the private `socklen_t` of a prepared buffer, as bytes. */
export function sockLenBytes(buf: SockAddrBuffer): Uint8Array<ArrayBuffer> {
  return lenOf(buf);
}
