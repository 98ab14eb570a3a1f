/**
 * `getaddrinfo(3)` as a promise: host names resolved by libc itself, so
 * `/etc/hosts`, `nsswitch.conf` and the system's DNS settings all apply, on
 * Deno's blocking pool so the JS thread never waits for a DNS server.
 *
 * The result list is copied out by address (`memcpy` from a number), not
 * through pointer views, so this works under a scoped
 * `--allow-ffi=<libc path>` too. Like every FFI socket, it is not checked
 * against `--allow-net`.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { AF_INET, AF_INET6, AF_UNSPEC, SOCK_STREAM } from "./constants.ts";
import { checkInt, checkString } from "./checks.ts";
import type { EncodedAddr } from "./sockaddr.ts";

// glibc's EAI_* codes (negative), named for messages and `code`.
const EAI_NAMES: ReadonlyMap<number, string> = new Map([
  [-1, "EAI_BADFLAGS"],
  [-2, "EAI_NONAME"],
  [-3, "EAI_AGAIN"],
  [-4, "EAI_FAIL"],
  [-5, "EAI_NODATA"],
  [-6, "EAI_FAMILY"],
  [-7, "EAI_SOCKTYPE"],
  [-8, "EAI_SERVICE"],
  [-9, "EAI_ADDRFAMILY"],
  [-10, "EAI_MEMORY"],
  [-11, "EAI_SYSTEM"],
  [-12, "EAI_OVERFLOW"],
]);

const AI_NUMERICSERV = 0x400; // the service is a port number: no /etc/services lookup
const ADDRINFO_SIZE = 48; // struct addrinfo on LP64 (x86_64, aarch64)
const MAX_SOCKADDR = 128; // sizeof(struct sockaddr_storage)
const MAX_RESULTS = 64; // a name with more addresses than this is cut short

/**
 * A failed `getaddrinfo`: `code` is the EAI_* name (`"EAI_NONAME"` for a
 * name that does not exist, `"EAI_AGAIN"` for a DNS server that did not
 * answer), `host` the name looked up, and the message libc's own
 * (`gai_strerror`).
 *
 * ```ts
 * import { AddrInfoError, getaddrinfo } from "@libc/epoll/ffi";
 *
 * try {
 *   await getaddrinfo("no-such-host.invalid", 80);
 * } catch (err) {
 *   console.log(err instanceof AddrInfoError, (err as AddrInfoError).code); // true EAI_NONAME (or EAI_AGAIN offline)
 * }
 * ```
 */
export class AddrInfoError extends Error {
  /** The EAI_* name, or `"EAI_<n>"` for a code this package does not name. */
  readonly code: string;
  /** The host name that was looked up. */
  readonly host: string;

  /** The error for `host` failing with the EAI code `rc`. */
  constructor(host: string, rc: number) {
    checkString(host, "host");
    rc = checkInt(rc, "rc", -(2 ** 31), 2 ** 31 - 1);
    const code = EAI_NAMES.get(rc) ?? `EAI_${rc}`;
    super(`getaddrinfo "${host}": ${gaiMessage(rc)} [${code}]`);
    this.name = "AddrInfoError";
    this.code = code;
    this.host = host;
  }
}

const messageBytes = new Uint8Array(256);

function gaiMessage(rc: number): string {
  const ptr = libc.gai_strerror(rc);
  if (ptr === null) return `error ${rc}`;
  messageBytes.fill(0);
  libc.strncpy(messageBytes, ptr, messageBytes.length - 1);
  return new TextDecoder().decode(messageBytes.subarray(0, messageBytes.indexOf(0)));
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  if (bytes.includes(0)) throw new TypeError("a host name cannot contain a NUL byte");
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

// A little-endian u64 address in `u32` at `i`, as a number (user-space
// addresses are below 2^48 on both ABIs, so the number is exact).
function address(u32: Uint32Array, i: number): number {
  return u32[i] + u32[i + 1] * 2 ** 32;
}

/**
 * Resolves `host` (a name, or an IP literal) to the stream-socket addresses
 * libc gives for it, each with `port` filled in, in the order libc sorts
 * them (RFC 6724: usually IPv6 first where it is reachable). Runs on Deno's
 * blocking pool; rejects with {@linkcode AddrInfoError}.
 *
 * ```ts
 * import { getaddrinfo } from "@libc/epoll/ffi";
 *
 * const addrs = await getaddrinfo("localhost", 8080); // /etc/hosts: 127.0.0.1, and ::1 where configured
 * console.log(addrs.length > 0, addrs.every((a) => a.length === 16 || a.length === 28)); // true true
 * ```
 */
export async function getaddrinfo(
  host: string,
  port: number,
  socktype: number = SOCK_STREAM,
): Promise<EncodedAddr[]> {
  checkString(host, "host");
  if (host === "") throw new TypeError("host must not be empty");
  checkInt(port, "port", 0, 65535);
  checkInt(socktype, "socktype", 1, 10);
  const node = cString(host);
  const service = cString(String(port));
  const hints = new Int32Array(ADDRINFO_SIZE / 4);
  hints[0] = AI_NUMERICSERV;
  hints[1] = AF_UNSPEC;
  hints[2] = socktype;
  const res = new Uint32Array(2);
  const rc = await libc.getaddrinfo_nonblocking(
    node,
    service,
    new Uint8Array(hints.buffer),
    new Uint8Array(res.buffer),
  );
  if (rc !== 0) throw new AddrInfoError(host, rc);
  const head = address(res, 0);
  try {
    return collect(head);
  } finally {
    libc.freeaddrinfo(BigInt(head));
  }
}

// Walks the result list, copying each IPv4/IPv6 address out of libc's memory.
function collect(head: number): EncodedAddr[] {
  const entry = new Uint32Array(ADDRINFO_SIZE / 4);
  const entryBytes = new Uint8Array(entry.buffer);
  const out: EncodedAddr[] = [];
  for (let node = head; node !== 0 && out.length < MAX_RESULTS;) {
    libc.memcpy_from(entryBytes, BigInt(node), ADDRINFO_SIZE);
    const family = entry[1];
    const length = entry[4];
    const sockaddr = address(entry, 6);
    node = address(entry, 10);
    if ((family !== AF_INET && family !== AF_INET6) || length > MAX_SOCKADDR || sockaddr === 0) continue;
    const bytes = new Uint8Array(length);
    libc.memcpy_from(bytes, BigInt(sockaddr), length);
    out.push({ bytes, length, family });
  }
  return out;
}
