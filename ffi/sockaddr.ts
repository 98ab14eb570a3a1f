/**
 * `sockaddr_in`, `sockaddr_in6` and `sockaddr_un`: encode from and decode to
 * Deno's address shapes (`Deno.NetAddr`, `Deno.UnixAddr`). Only IP literals
 * are encoded (no DNS lookup happens below the net layer), plus `localhost`.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";
import { byteLengthOf, checkInt, checkString, describe, I32_MAX } from "./checks.ts";

/** `sizeof(struct sockaddr_in)`. */
export const SOCKADDR_IN_SIZE = 16;
/** `sizeof(struct sockaddr_in6)`. */
export const SOCKADDR_IN6_SIZE = 28;
/** `sizeof(struct sockaddr_un)`: family + 108 bytes of path. */
export const SOCKADDR_UN_SIZE = 110;
/** `sizeof(struct sockaddr_storage)`: room for any address. */
export const SOCKADDR_STORAGE_SIZE = 128;
/** The longest `sockaddr_un` path, without its NUL. */
export const UNIX_PATH_MAX = 107;

/** An IP address and port, as Deno's `Deno.NetAddr` (transport `"tcp"` or `"udp"`). */
export interface IpAddr {
  /** `"tcp"` or `"udp"`. */
  transport: "tcp" | "udp";
  /** Dotted IPv4 or RFC 5952 IPv6 text. */
  hostname: string;
  /** The port, 0 to 65535. */
  port: number;
}

/** A Unix socket path, as `Deno.UnixAddr`; a leading `"\0"` names the abstract namespace. */
export interface UnixAddr {
  /** `"unix"` or `"unixpacket"`. */
  transport: "unix" | "unixpacket";
  /** The path; `""` for an unnamed socket. */
  path: string;
}

/** Any address this package decodes. */
export type SockAddr = IpAddr | UnixAddr;

/** An encoded address: the bytes and the `socklen_t` to pass with them. */
export interface EncodedAddr {
  /** The `struct sockaddr_*` bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Its length in bytes. */
  length: number;
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  family: number;
}

/** Parses dotted IPv4 text into 4 bytes, or returns null. */
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

/** Parses IPv6 text (with `::`, embedded IPv4, optional `[]`) into 16 bytes, or returns null. */
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

/** Formats 4 bytes as dotted IPv4. */
export function formatIPv4(b: Uint8Array): string {
  checkAddrBytes(b, 4);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Formats 16 bytes as IPv6 text in RFC 5952 form (longest zero run as `::`, lower case). */
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

/** Encodes a Unix socket path as `sockaddr_un`; a leading `"\0"` makes it abstract. */
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
 * import { AF_INET, bind, close, encodeIp, recvfrom, SockAddrBuffer, SOCK_DGRAM, SOCK_NONBLOCK, socket, WOULD_BLOCK } from "@libc/epoll/ffi";
 *
 * const udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
 * bind(udp, encodeIp("127.0.0.1", 0));
 * const from = new SockAddrBuffer();
 * if (recvfrom(udp, new Uint8Array(64), 0, from) === WOULD_BLOCK) console.log("nothing yet");
 * close(udp);
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

  /** Decodes what the last call stored. */
  decode(transport: "tcp" | "udp" = "tcp"): SockAddr {
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
