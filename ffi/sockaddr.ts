/**
 * `sockaddr_in`, `sockaddr_in6` and `sockaddr_un`: encode from and decode to
 * Deno's address shapes (`Deno.NetAddr`, `Deno.UnixAddr`). Only IP literals
 * are encoded (no DNS lookup happens below the net layer), plus `localhost`.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";

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

/** Formats 4 bytes as dotted IPv4. */
export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Formats 16 bytes as IPv6 text in RFC 5952 form (longest zero run as `::`, lower case). */
export function formatIPv6(b: Uint8Array): string {
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

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer in [0, 65535], got ${port}`);
  }
}

/**
 * Encodes an IP literal and port as `sockaddr_in` or `sockaddr_in6`.
 * `"localhost"` means 127.0.0.1, `""` and `"0.0.0.0"` the IPv4 wildcard.
 */
export function encodeIp(hostname: string, port: number): EncodedAddr {
  checkPort(port);
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

/**
 * Decodes `length` bytes of a `struct sockaddr` (as filled in by accept4,
 * getsockname, recvfrom). `transport` names the socket kind for IP addresses.
 */
export function decodeSockAddr(
  bytes: Uint8Array,
  length: number,
  transport: "tcp" | "udp" = "tcp",
): SockAddr {
  if (length < 2) return { transport: "unix", path: "" }; // unnamed Unix socket
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  if (family === AF_INET && length >= SOCKADDR_IN_SIZE) {
    return { transport, hostname: formatIPv4(bytes.subarray(4, 8)), port: view.getUint16(2, false) };
  }
  if (family === AF_INET6 && length >= SOCKADDR_IN6_SIZE) {
    return { transport, hostname: formatIPv6(bytes.subarray(8, 24)), port: view.getUint16(2, false) };
  }
  if (family === AF_UNIX) {
    let name = bytes.subarray(2, length);
    if (name[0] !== 0) {
      const nul = name.indexOf(0);
      if (nul >= 0) name = name.subarray(0, nul);
    }
    return { transport: "unix", path: new TextDecoder().decode(name) };
  }
  throw new TypeError(`unsupported address family ${family} (length ${length})`);
}
