/**
 * `sockaddr_in`, `sockaddr_in6`, `sockaddr_un`: byte layouts, RFC 5952 text,
 * bad input, and the kernel's own view of bound sockets (getsockname).
 */

import { assert, assertEquals, assertGreater, assertThrows } from "@std/assert";
import {
  accept4,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  bind,
  connect,
  decodeSockAddr,
  encodeIp,
  encodeUnix,
  formatIPv4,
  formatIPv6,
  getpeername,
  getsockname,
  type IpAddr,
  listen,
  parseIPv4,
  parseIPv6,
  POLLIN,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_IN6_SIZE,
  SOCKADDR_IN_SIZE,
  SOCKADDR_UN_SIZE,
  SockAddrBuffer,
  socket,
  UNIX_PATH_MAX,
  WOULD_BLOCK,
} from "../ffi/mod.ts";
import { assertErrno, fdTest, NB, NEEDS_IPV6, pollUntil, tcpPair } from "./_helpers.ts";

// ------------------------------------------------------------ encoding

Deno.test("encodeIp IPv4: family LE, port big-endian, address bytes", () => {
  const addr = encodeIp("127.0.0.1", 8080);
  assertEquals([addr.family, addr.length, addr.bytes.byteLength], [AF_INET, SOCKADDR_IN_SIZE, 16]);
  assertEquals([...addr.bytes], [AF_INET, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals([...encodeIp("localhost", 1).bytes.subarray(4, 8)], [127, 0, 0, 1]);
  assertEquals([...encodeIp("", 0).bytes.subarray(4, 8)], [0, 0, 0, 0]);
  assertEquals([...encodeIp("255.254.0.9", 65535).bytes.subarray(2, 8)], [0xff, 0xff, 255, 254, 0, 9]);
});

Deno.test("encodeIp IPv6: family, port, zero flowinfo and scope, 16 address bytes", () => {
  const addr = encodeIp("2001:db8::1", 443);
  assertEquals([addr.family, addr.length, addr.bytes.byteLength], [AF_INET6, SOCKADDR_IN6_SIZE, 28]);
  const expected = new Uint8Array(28);
  expected.set([AF_INET6, 0, 0x01, 0xbb], 0);
  expected.set([0x20, 0x01, 0x0d, 0xb8], 8);
  expected[23] = 1;
  assertEquals(addr.bytes, expected);
  assertEquals(encodeIp("[::1]", 1).bytes[23], 1, "brackets are accepted");
});

Deno.test("encodeUnix: paths end with a NUL, abstract names are exact", () => {
  const path = encodeUnix("/tmp/x.sock");
  assertEquals([path.family, path.length], [AF_UNIX, 2 + 11 + 1]);
  assertEquals([...path.bytes.subarray(0, 2)], [AF_UNIX, 0]);
  assertEquals(new TextDecoder().decode(path.bytes.subarray(2, 13)), "/tmp/x.sock");
  assertEquals(path.bytes[13], 0);
  const abstract = encodeUnix("\0name");
  assertEquals(abstract.length, 2 + 5, "no trailing NUL: it would be part of the name");
  assertEquals([...abstract.bytes.subarray(2, 7)], [0, 0x6e, 0x61, 0x6d, 0x65]);
  assertEquals(encodeUnix("x".repeat(UNIX_PATH_MAX)).length, 2 + UNIX_PATH_MAX + 1);
});

// ------------------------------------------------------------ text forms

const RFC5952: Array<[input: string, canonical: string]> = [
  ["::1", "::1"],
  ["fe80::1", "fe80::1"],
  ["::", "::"],
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // equal runs: the first is compressed
  ["2001:db8::1:0:0:1", "2001:db8::1:0:0:1"],
  ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run is compressed
  ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not
  ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"], // lower case, no leading zeros
  ["1:0:0:0:0:0:0:0", "1::"],
  ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
  ["::ffff:102:304", "::ffff:1.2.3.4"], // IPv4-mapped is always shown dotted
  ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
];

for (const [input, canonical] of RFC5952) {
  Deno.test(`IPv6 text: ${input} -> ${canonical}`, () => {
    const bytes = parseIPv6(input);
    assert(bytes !== null, `${input} did not parse`);
    assertEquals(formatIPv6(bytes), canonical);
    const decoded = decodeSockAddr(encodeIp(input, 9).bytes, SOCKADDR_IN6_SIZE);
    assertEquals(decoded, { transport: "tcp", hostname: canonical, port: 9 });
  });
}

Deno.test("IPv4 text round-trips; malformed IPv4 and IPv6 text parses to null", () => {
  for (const ip of ["0.0.0.0", "127.0.0.1", "10.20.30.40", "255.255.255.255"]) {
    const bytes = parseIPv4(ip);
    assert(bytes !== null);
    assertEquals(formatIPv4(bytes), ip);
  }
  for (const bad of ["999.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", " 1.2.3.4", "a.b.c.d", ""]) {
    assertEquals(parseIPv4(bad), null, bad);
  }
  for (const bad of ["a::b::c", ":::", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8", "12345::", "g::1", "1:2"]) {
    assertEquals(parseIPv6(bad), null, bad);
  }
});

// ------------------------------------------------------------ bad input

Deno.test("bad ports, hosts and paths throw RangeError/TypeError", () => {
  for (const port of [70000, 65536, -1, 1.5, NaN]) {
    assertThrows(() => encodeIp("127.0.0.1", port), RangeError, "port", `port ${port}`);
  }
  for (const host of ["999.1.1.1", "a::b::c", "example.com", "1.2.3", "::1%lo"]) {
    assertThrows(() => encodeIp(host, 80), TypeError, "not an IP address literal", host);
  }
  assertThrows(() => encodeUnix("x".repeat(UNIX_PATH_MAX + 1)), RangeError, "1 to 107 bytes");
  assertThrows(() => encodeUnix("é".repeat(54)), RangeError, "got 108", "bytes, not characters, count");
  assertThrows(() => encodeUnix(""), RangeError);
  assertThrows(() => encodeUnix("/tmp/a\0b"), TypeError, "NUL");
});

Deno.test("decodeSockAddr: unnamed Unix sockets, short buffers and unknown families", () => {
  assertEquals(decodeSockAddr(new Uint8Array(128), 0), { transport: "unix", path: "" });
  assertEquals(decodeSockAddr(encodeUnix("/tmp/s").bytes, 2), { transport: "unix", path: "" });
  const v4 = encodeIp("10.0.0.1", 53);
  assertEquals(decodeSockAddr(v4.bytes, v4.length, "udp"), {
    transport: "udp",
    hostname: "10.0.0.1",
    port: 53,
  });
  const unknown = new Uint8Array(16);
  unknown[0] = 99;
  assertThrows(() => decodeSockAddr(unknown, 16), TypeError, "family 99");
  assertThrows(() => decodeSockAddr(v4.bytes, 8), TypeError, "length 8", "too short for sockaddr_in");
});

Deno.test('encodeUnix(null) is a TypeError (it used to encode the path "null"); non-string hosts too', () => {
  for (const bad of [null, undefined, 5, {}, ["/tmp/x"]]) {
    assertThrows(() => encodeUnix(bad as unknown as string), TypeError, "must be a string", String(bad));
    assertThrows(() => encodeIp(bad as unknown as string, 80), TypeError, "hostname must be a string");
    assertThrows(() => parseIPv4(bad as unknown as string), TypeError, "must be a string");
    assertThrows(() => parseIPv6(bad as unknown as string), TypeError, "must be a string");
  }
  assertThrows(() => encodeIp("127.0.0.1", "80" as unknown as number), RangeError, "port");
});

Deno.test("decodeSockAddr and the formatters check their bytes, length and transport", () => {
  const v4 = encodeIp("10.0.0.1", 53);
  for (const length of [17, -1, 1.5, NaN]) {
    assertThrows(() => decodeSockAddr(v4.bytes, length), RangeError, "length must be", `length ${length}`);
  }
  assertThrows(() => decodeSockAddr(new Uint8Array(1), 16), RangeError, "length must be");
  assertThrows(() => decodeSockAddr([2, 0] as unknown as Uint8Array, 2), TypeError, "Uint8Array");
  assertThrows(() => decodeSockAddr(v4.bytes, 16, "sctp" as "tcp"), TypeError, "transport");
  assertThrows(() => formatIPv4(new Uint8Array(3)), RangeError, "needs 4 bytes");
  assertThrows(() => formatIPv6(new Uint8Array(15)), RangeError, "needs 16 bytes");
  assertThrows(() => formatIPv4(null as unknown as Uint8Array), TypeError, "Uint8Array");
  // Bytes in a SharedArrayBuffer decode too (from a private copy).
  const shared = new Uint8Array(new SharedArrayBuffer(SOCKADDR_UN_SIZE));
  shared.set(encodeUnix("/tmp/shared.sock").bytes);
  assertEquals(decodeSockAddr(shared, 19), { transport: "unix", path: "/tmp/shared.sock" });
});

// ------------------------------------------------------------ the kernel's view

fdTest("getsockname after bind to 127.0.0.1:0 gives a real port", (fds) => {
  const fd = fds.add(socket(AF_INET, SOCK_STREAM | NB));
  bind(fd, encodeIp("127.0.0.1", 0));
  const addr = getsockname(fd) as IpAddr;
  assertEquals([addr.transport, addr.hostname], ["tcp", "127.0.0.1"]);
  assertGreater(addr.port, 0);
  assertEquals((getsockname(fd, "udp") as IpAddr).transport, "udp");
  assertErrno(() => getpeername(fd), "ENOTCONN", "getpeername");
});

fdTest(`getsockname after bind to [::1]:0 gives a real port${NEEDS_IPV6.suffix}`, (fds) => {
  const fd = fds.add(socket(AF_INET6, SOCK_DGRAM | NB));
  bind(fd, encodeIp("::1", 0));
  const addr = getsockname(fd, "udp") as IpAddr;
  assertEquals([addr.transport, addr.hostname], ["udp", "::1"]);
  assertGreater(addr.port, 0);
}, NEEDS_IPV6);

fdTest("accept4 and getpeername report the client's address", (fds) => {
  const { a, b } = tcpPair(fds);
  assertEquals(getpeername(b), getsockname(a));
  assertEquals(getpeername(a), getsockname(b));
  const listener = fds.add(socket(AF_INET, SOCK_STREAM | NB));
  bind(listener, encodeIp("127.0.0.1", 0));
  listen(listener);
  const client = fds.add(socket(AF_INET, SOCK_STREAM | NB));
  connect(client, encodeIp("127.0.0.1", (getsockname(listener) as IpAddr).port));
  pollUntil(listener, POLLIN);
  const from = new SockAddrBuffer();
  const server = accept4(listener, NB, from);
  assert(server !== WOULD_BLOCK);
  fds.add(server);
  assertEquals(from.length, SOCKADDR_IN_SIZE);
  assertEquals(from.decode(), getsockname(client));
});

fdTest("Unix socket bound to a /tmp path: getsockname gives the path back", (fds) => {
  const path = `/tmp/epoll_test_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}.sock`;
  const fd = fds.add(socket(AF_UNIX, SOCK_STREAM | NB));
  try {
    bind(fd, encodeUnix(path));
    assertEquals(getsockname(fd), { transport: "unix", path });
    assert(Deno.lstatSync(path).isSocket, "bind created the socket file");
  } finally {
    try {
      Deno.removeSync(path);
    } catch {
      // bind failed before creating it
    }
  }
});

fdTest("Unix socket bound to an abstract name: getsockname gives the name back", (fds) => {
  const name = `\0epoll_test_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}`;
  const fd = fds.add(socket(AF_UNIX, SOCK_STREAM | NB));
  bind(fd, encodeUnix(name));
  assertEquals(getsockname(fd), { transport: "unix", path: name });
  const other = fds.add(socket(AF_UNIX, SOCK_STREAM | NB));
  assertErrno(() => bind(other, encodeUnix(name)), "EADDRINUSE", "bind");
});

// ------------------------------------------------------------ regressions (bugs found and fixed)

Deno.test("an embedded IPv4 address is valid only as the last 32 bits (RFC 4291 2.2)", () => {
  // Dotted text was once accepted as the last group of *either* side of
  // "::", so "1.2.3.4::" parsed as 102:304:: instead of being rejected.
  for (const bad of ["1.2.3.4::", "1.2.3.4::5", "1:1.2.3.4::"]) assertEquals(parseIPv6(bad), null, bad);
  assertThrows(() => encodeIp("1.2.3.4::", 80), TypeError, "not an IP address literal");
});
