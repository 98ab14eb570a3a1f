/**
 * `struct epoll_event`: both layouts against hand-built bytes, `data` through
 * the kernel up to 2^53-1, validation, iteration, and the start-up self-check.
 */

import { assert, assertEquals, assertNotEquals, assertStrictEquals, assertThrows } from "@std/assert";
import {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  epoll_wait,
  EPOLLET,
  type EpollEventLayout,
  EPOLLIN,
  EPOLLOUT,
  EventBuffer,
  eventfd,
  LAYOUT_AARCH64,
  LAYOUT_X86_64,
  layoutFor,
  NATIVE_LAYOUT,
} from "../ffi/mod.ts";
import { type FdScope, fdTest } from "./_helpers.ts";

/** Writes one entry as C would lay it out: events (u32) at 0, data (u64 LE) at `dataOffset`. */
function putEntry(
  bytes: Uint8Array,
  layout: EpollEventLayout,
  i: number,
  events: number,
  data: bigint,
): void {
  const view = new DataView(bytes.buffer);
  view.setUint32(i * layout.size, events, true);
  view.setBigUint64(i * layout.size + layout.dataOffset, data, true);
}

for (
  const [name, layout, offset, size] of [
    ["x86_64 (packed)", LAYOUT_X86_64, 4, 12],
    ["aarch64 (aligned)", LAYOUT_AARCH64, 8, 16],
  ] as const
) {
  Deno.test(`EventBuffer ${name}: data at offset ${offset}, ${size} bytes per event`, () => {
    assertEquals([layout.size, layout.dataOffset], [size, offset]);
    const buf = new EventBuffer(3, layout);
    assertEquals(buf.bytes.byteLength, 3 * size);
    putEntry(buf.bytes, layout, 0, 0x80000001, 0x0102_0304_0506_0708n);
    putEntry(buf.bytes, layout, 1, 0x4, 2n ** 53n - 1n);
    putEntry(buf.bytes, layout, 2, 0x2019, 0n);
    assertEquals([buf.events(0), buf.data(0)], [0x80000001, 0x0102_0304_0506_0708]);
    assertEquals([buf.dataLow(0), buf.dataHigh(0)], [0x05060708, 0x01020304]);
    assertEquals([buf.events(1), buf.data(1)], [0x4, 2 ** 53 - 1]);
    assertEquals([buf.events(2), buf.data(2)], [0x2019, 0]);
  });

  Deno.test(`EventBuffer ${name}: set() writes the bytes C expects and nothing else`, () => {
    const buf = new EventBuffer(2, layout);
    buf.set(1, EPOLLIN | EPOLLET, 0x1a2b_3c4d_5e6f);
    const expected = new Uint8Array(2 * size);
    putEntry(expected, layout, 1, 0x80000001, 0x1a2b_3c4d_5e6fn);
    assertEquals([...buf.bytes], [...expected], "entry 0 and any padding stay zero");
    assertEquals(buf.events(1), 0x80000001, "events come back non-negative");
  });
}

Deno.test("NATIVE_LAYOUT matches Deno.build.arch; layoutFor picks by name", () => {
  const expected = Deno.build.arch === "x86_64" ? LAYOUT_X86_64 : LAYOUT_AARCH64;
  assertStrictEquals(NATIVE_LAYOUT, expected);
  assertStrictEquals(layoutFor("x86_64"), LAYOUT_X86_64);
  assertStrictEquals(layoutFor("aarch64"), LAYOUT_AARCH64);
  assert(Object.isFrozen(LAYOUT_X86_64) && Object.isFrozen(LAYOUT_AARCH64));
  assertEquals(new EventBuffer(1).bytes.byteLength, NATIVE_LAYOUT.size);
});

Deno.test("EventBuffer.set rejects data outside [0, 2^53) and keeps the entry unchanged", () => {
  const buf = new EventBuffer(1);
  buf.set(0, EPOLLIN, 5);
  for (const bad of [-1, 0.5, 2 ** 53, 2 ** 64, NaN, Infinity, -Infinity]) {
    assertThrows(() => buf.set(0, EPOLLOUT, bad), RangeError, "epoll data", `data ${bad}`);
  }
  assertEquals([buf.events(0), buf.data(0)], [EPOLLIN, 5]);
  buf.set(0, EPOLLOUT, 2 ** 53 - 1);
  assertEquals(buf.data(0), 2 ** 53 - 1);
});

Deno.test("EventBuffer capacity must be an integer in [1, 2^20]", () => {
  for (const bad of [0, -1, 1.5, NaN, 2 ** 20 + 1]) {
    assertThrows(() => new EventBuffer(bad), RangeError, "capacity", `capacity ${bad}`);
  }
  assertEquals(new EventBuffer(2 ** 20).capacity, 2 ** 20);
});

Deno.test("iteration yields [data, events] for the first `length` entries only", () => {
  const buf = new EventBuffer(4);
  buf.set(0, EPOLLIN, 10);
  buf.set(1, EPOLLOUT, 2 ** 40);
  buf.set(2, EPOLLIN, 99);
  assertEquals([...buf], [], "length starts at 0");
  buf.length = 2;
  assertEquals([...buf], [[10, EPOLLIN], [2 ** 40, EPOLLOUT]]);
});

/** Registers one ready eventfd per value of `datas` and returns the data of every event epoll_wait reports. */
function roundTrip(fds: FdScope, datas: number[], buf: EventBuffer): number[] {
  const epfd = fds.add(epoll_create1(EPOLL_CLOEXEC));
  for (const data of datas) {
    const efd = fds.add(eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC));
    epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, data);
  }
  const n = epoll_wait(epfd, buf, buf.capacity, 0);
  return Array.from({ length: n }, (_, i) => buf.data(i));
}

const DATAS = [0, 1, 0xffff_ffff, 2 ** 32, 2 ** 32 + 1, 0x1a2b_3c4d_5e6f, 2 ** 53 - 2, 2 ** 53 - 1];

fdTest("data up to 2^53-1 round-trips through the kernel", (fds) => {
  const got = roundTrip(fds, DATAS, new EventBuffer(16));
  assertEquals(got.sort((a, b) => a - b), [...DATAS].sort((a, b) => a - b));
});

fdTest(
  "the other architecture's layout misreads kernel events (what the self-check guards against)",
  (fds) => {
    const foreign = NATIVE_LAYOUT === LAYOUT_X86_64 ? LAYOUT_AARCH64 : LAYOUT_X86_64;
    const got = roundTrip(fds, [0x1a2b_3c4d_5e6f], new EventBuffer(2, foreign));
    assertEquals(got.length, 1);
    assertNotEquals(got[0], 0x1a2b_3c4d_5e6f);
  },
);

fdTest("the self-check passes on this CPU and leaves no fd behind", async () => {
  // A fresh module instance: another test may already have run the shared one,
  // which would make this call a no-op.
  const fresh: typeof import("../epoll/self_check.ts") = await import(`../epoll/self_check.ts?${Date.now()}`);
  fresh.selfCheck();
  fresh.selfCheck(); // a second call is a no-op
});

// ------------------------------------------------------------ bounds from private state (issue 8)

Deno.test("EventBuffer: capacity, bytes and length cannot be assigned or redefined", () => {
  const buf = new EventBuffer(2);
  const bytes = buf.bytes;
  assertThrows(() => ((buf as { capacity: number }).capacity = NaN), TypeError);
  assertThrows(() => ((buf as { bytes: Uint8Array }).bytes = new Uint8Array(99)), TypeError);
  assertThrows(() => Object.defineProperty(buf, "capacity", { value: 1e6 }), TypeError);
  assertThrows(() => Object.defineProperty(EventBuffer.prototype, "capacity", { get: () => 1e6 }), TypeError);
  assertEquals(buf.capacity, 2);
  assertStrictEquals(buf.bytes, bytes);
  for (const bad of [NaN, -1, 3, 1.5, "1"]) {
    assertThrows(() => (buf.length = bad as number), RangeError, "length", `length ${String(bad)}`);
  }
  buf.length = 2;
  assertEquals(buf.length, 2);
});

Deno.test("EventBuffer: its memory is a fixed SharedArrayBuffer, which cannot be transferred or detached", () => {
  const buf = new EventBuffer(2);
  assert(buf.bytes.buffer instanceof SharedArrayBuffer);
  assertEquals(buf.bytes.buffer.growable, false);
  assertThrows(() => structuredClone(buf.bytes.buffer, { transfer: [buf.bytes.buffer as never] }));
  assertEquals(buf.bytes.byteLength, 2 * NATIVE_LAYOUT.size);
});

Deno.test("EventBuffer: indices outside [0, capacity) are a RangeError, not undefined", () => {
  const buf = new EventBuffer(2);
  for (const bad of [2, -1, 1.5, NaN, 2 ** 32, "0"]) {
    const i = bad as number;
    assertThrows(() => buf.events(i), RangeError, "index", `events(${String(bad)})`);
    assertThrows(() => buf.data(i), RangeError, "index");
    assertThrows(() => buf.dataLow(i), RangeError, "index");
    assertThrows(() => buf.dataHigh(i), RangeError, "index");
    assertThrows(() => buf.set(i, EPOLLIN, 1), RangeError, "index");
    assertThrows(() => buf.copyEntry(i, 0), RangeError, "from");
    assertThrows(() => buf.copyEntry(0, i), RangeError, "to");
  }
  for (const bad of [NaN, 2 ** 32, 1.5]) assertThrows(() => buf.set(0, bad, 1), RangeError, "events");
});

Deno.test("EventBuffer: a forged layout is a TypeError (the buffer's size must match a real struct)", () => {
  const forged = [
    { size: 4, dataOffset: 0 },
    { size: 12, dataOffset: 8 },
    { size: 1.5, dataOffset: 4 },
    null,
    "x86_64",
  ];
  for (const layout of forged) {
    assertThrows(() => new EventBuffer(4, layout as unknown as EpollEventLayout), TypeError, "layout");
  }
  // A layout read twice could change between reads: it is read once.
  let reads = 0;
  const shifty = {
    get size(): 12 | 16 {
      return reads++ === 0 ? 16 : 12;
    },
    dataOffset: 8,
  } as unknown as EpollEventLayout;
  const buf = new EventBuffer(1, shifty);
  assertEquals(buf.bytes.byteLength, 16);
  assertThrows(() => layoutFor(5 as unknown as string), TypeError, "arch");
});

fdTest("epoll_wait refuses look-alike EventBuffers, and never writes more than the private room", (fds) => {
  const epfd = fds.add(epoll_create1(EPOLL_CLOEXEC));
  for (let i = 0; i < 3; i++) epoll_ctl(epfd, EPOLL_CTL_ADD, fds.add(eventfd(1, EFD_NONBLOCK)), EPOLLIN);
  const lookAlikes = [
    Object.create(EventBuffer.prototype),
    { bytes: new Uint8Array(48), capacity: 4, length: 0 },
    null,
  ];
  for (const fake of lookAlikes) {
    assertThrows(() => epoll_wait(epfd, fake as EventBuffer, 1, 0), TypeError, "must be an EventBuffer");
  }
  // A subclass may override the public getters; the wrapper reads the private state.
  class Liar extends EventBuffer {
    override get capacity(): number {
      return 1e6;
    }
  }
  const liar = new Liar(1);
  assertThrows(() => epoll_wait(epfd, liar, 3, 0), RangeError, "maxevents");
  assertEquals(epoll_wait(epfd, liar, undefined, 0), 1);
});
