/**
 * `struct epoll_event { uint32_t events; epoll_data_t data; }` per
 * architecture, and {@linkcode EventBuffer}, an array of them that decodes
 * without allocating.
 *
 * x86_64 declares the struct `__attribute__((packed))`: 12 bytes, `data` at
 * offset 4. aarch64 (and every other arch) uses natural alignment: 16 bytes,
 * `data` at offset 8. Both offsets are multiples of 4, so one Uint32Array
 * reads every field (little-endian, checked at load).
 *
 * `data` is a 64-bit value; this package carries it as a JS number in
 * [0, 2^53), split into two u32 halves.
 *
 * Every bound the kernel relies on lives in private fields: `capacity` and
 * `bytes` are getters over them, the memory is a fixed-length
 * `SharedArrayBuffer` (which cannot be transferred, detached or resized),
 * and instances and the prototype are sealed against redefinition. An
 * object merely shaped like an `EventBuffer` is refused by every call.
 *
 * @module
 */

import { checkFlags, checkInt, checkString, describe } from "./checks.ts";

/**
 * The byte layout of `struct epoll_event` on one architecture: what
 * {@linkcode EventBuffer} needs to read the events another process or
 * architecture wrote.
 *
 * ```ts
 * import { type EpollEventLayout, NATIVE_LAYOUT } from "@libc/epoll/ffi";
 *
 * const { size, dataOffset }: EpollEventLayout = NATIVE_LAYOUT;
 * // The 64-bit data always ends the struct, after the 32-bit events.
 * console.log(size - dataOffset, dataOffset >= 4); // 8 true
 * ```
 */
export interface EpollEventLayout {
  /** `sizeof(struct epoll_event)`. */
  readonly size: 12 | 16;
  /** `offsetof(struct epoll_event, data)`. */
  readonly dataOffset: 4 | 8;
}

/**
 * x86_64: packed, 12 bytes, `data` at offset 4.
 *
 * ```ts
 * import { EPOLLIN, EventBuffer, LAYOUT_X86_64 } from "@libc/epoll/ffi";
 *
 * const events = new EventBuffer(2, LAYOUT_X86_64);
 * events.set(1, EPOLLIN, 7);
 * console.log(events.bytes.length, events.bytes[12 + 4]); // 24 7
 * ```
 */
export const LAYOUT_X86_64: EpollEventLayout = Object.freeze({ size: 12, dataOffset: 4 });
/**
 * aarch64 and other naturally aligned ABIs: 16 bytes, `data` at offset 8.
 *
 * ```ts
 * import { EPOLLIN, EventBuffer, LAYOUT_AARCH64 } from "@libc/epoll/ffi";
 *
 * const events = new EventBuffer(2, LAYOUT_AARCH64);
 * events.set(1, EPOLLIN, 7);
 * console.log(events.bytes.length, events.bytes[16 + 8]); // 32 7
 * ```
 */
export const LAYOUT_AARCH64: EpollEventLayout = Object.freeze({ size: 16, dataOffset: 8 });

/**
 * The layout for an architecture name as in `Deno.build.arch` (every arch
 * but x86_64 is aligned).
 *
 * ```ts
 * import { LAYOUT_AARCH64, LAYOUT_X86_64, layoutFor } from "@libc/epoll/ffi";
 *
 * console.log(layoutFor("x86_64") === LAYOUT_X86_64, layoutFor("aarch64") === LAYOUT_AARCH64); // true true
 * console.log(layoutFor("riscv64")); // { size: 16, dataOffset: 8 }
 * ```
 */
export function layoutFor(arch: string): EpollEventLayout {
  checkString(arch, "arch");
  return arch === "x86_64" ? LAYOUT_X86_64 : LAYOUT_AARCH64;
}

/**
 * The layout of the running process: what the kernel writes here, and the
 * default of {@linkcode EventBuffer}.
 *
 * ```ts
 * import { layoutFor, NATIVE_LAYOUT } from "@libc/epoll/ffi";
 *
 * console.log(NATIVE_LAYOUT === layoutFor(Deno.build.arch)); // true
 * ```
 */
export const NATIVE_LAYOUT: EpollEventLayout = layoutFor(Deno.build.arch);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("@libc/epoll assumes a little-endian CPU");
}

const TWO_32 = 2 ** 32;
const MAX_CAPACITY = 2 ** 20;
// What the kernel writes per event, whatever layout a buffer was made for.
const NATIVE_SIZE = NATIVE_LAYOUT.size;

/**
 * Checks that `data` fits the package's epoll data range: an integer in
 * [0, 2^53). Throws a RangeError otherwise, before anything is registered.
 *
 * ```ts
 * import { checkData } from "@libc/epoll/ffi";
 *
 * checkData(2 ** 53 - 1); // fine: the largest
 * try {
 *   checkData(-1);
 * } catch (err) {
 *   console.log((err as Error).message); // epoll data must be an integer in [0, 2^53), got -1
 * }
 * ```
 */
export function checkData(data: number): void {
  if (!Number.isSafeInteger(data) || data < 0) {
    throw new RangeError(`epoll data must be an integer in [0, 2^53), got ${describe(data)}`);
  }
}

// Reads a layout once (a getter could answer differently the second time)
// and accepts only the two real ones.
function strideOf(layout: EpollEventLayout): { size: number; dataOffset: number } {
  if (typeof layout !== "object" || layout === null) {
    throw new TypeError(`layout must be LAYOUT_X86_64 or LAYOUT_AARCH64, got ${describe(layout)}`);
  }
  const size = layout.size;
  const dataOffset = layout.dataOffset;
  if (!((size === 12 && dataOffset === 4) || (size === 16 && dataOffset === 8))) {
    throw new TypeError(
      `layout must be { size: 12, dataOffset: 4 } or { size: 16, dataOffset: 8 }, got size ${
        describe(size)
      }, dataOffset ${describe(dataOffset)}`,
    );
  }
  return { size, dataOffset };
}

// Module-private access to a genuine buffer's fields, for calls.ts.
let isEventBuffer: (value: unknown) => boolean;
let bytesOf: (events: EventBuffer) => Uint8Array<SharedArrayBuffer>;
let roomOf: (events: EventBuffer) => number;
let fill: (events: EventBuffer, n: number) => void;

/**
 * A fixed-capacity array of `struct epoll_event`, handed to epoll_wait and
 * read back field by field: `events(i)`, `data(i)`. Nothing is allocated per
 * event. Iterating yields `[data, events]` pairs (like Python's
 * `epoll.poll()`), which does allocate; hot loops should index instead.
 *
 * ```ts
 * import { close, EFD_NONBLOCK, epoll_create1, epoll_ctl, EPOLL_CTL_ADD, epoll_wait, EPOLLIN, EventBuffer, eventfd, eventfd_write } from "@libc/epoll/ffi";
 *
 * const epfd = epoll_create1();
 * const efd = eventfd(0, EFD_NONBLOCK);
 * epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 2 ** 40 + efd); // any data in [0, 2^53)
 * eventfd_write(efd, 1);
 * const events = new EventBuffer(16);
 * const n = epoll_wait(epfd, events, undefined, 0);
 * for (let i = 0; i < n; i++) {
 *   console.log(events.events(i) === EPOLLIN, events.dataHigh(i), events.dataLow(i) === efd); // true 256 true
 * }
 * events.set(0, EPOLLIN, 42); // entries are writable too, e.g. to build a batch by hand
 * console.log(events.length, [...events]); // 1 [[42, 1]]
 * close(efd);
 * close(epfd);
 * ```
 */
export class EventBuffer {
  readonly #bytes: Uint8Array<SharedArrayBuffer>;
  readonly #u32: Uint32Array<SharedArrayBuffer>;
  readonly #capacity: number;
  readonly #room: number; // native events that fit in #bytes: the bound for epoll_wait
  readonly #stride: number;
  readonly #data: number;
  #length = 0;

  static {
    isEventBuffer = (value) => typeof value === "object" && value !== null && #bytes in value;
    bytesOf = (events) => events.#bytes;
    roomOf = (events) => events.#room;
    fill = (events, n) => {
      events.#length = n;
    };
  }

  /** A buffer for `capacity` events (1 to 2^20), in `layout` (default: this CPU's). */
  constructor(capacity: number, layout: EpollEventLayout = NATIVE_LAYOUT) {
    checkInt(capacity, "EventBuffer capacity", 1, MAX_CAPACITY);
    const { size, dataOffset } = strideOf(layout);
    this.#capacity = capacity;
    this.#bytes = new Uint8Array(new SharedArrayBuffer(capacity * size));
    this.#u32 = new Uint32Array(this.#bytes.buffer);
    this.#room = Math.min(capacity, Math.floor((capacity * size) / NATIVE_SIZE));
    this.#stride = size >> 2;
    this.#data = dataOffset >> 2;
    // No own property may shadow the getters (a subclass is the caller's own code).
    if (new.target === EventBuffer) Object.preventExtensions(this);
  }

  /** The raw bytes, passed to `epoll_wait` / `epoll_ctl`: fixed length, never detached. */
  get bytes(): Uint8Array<SharedArrayBuffer> {
    return this.#bytes;
  }

  /** How many events the buffer holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many events the last wait filled in (settable in [0, capacity], e.g. to drop entries). */
  get length(): number {
    return this.#length;
  }

  set length(n: number) {
    checkInt(n, "length", 0, this.#capacity);
    this.#length = n;
  }

  #index(i: number, name = "index"): number {
    if (typeof i !== "number" || (i >>> 0) !== i || i >= this.#capacity) {
      throw new RangeError(`${name} must be an integer in [0, ${this.#capacity}), got ${describe(i)}`);
    }
    return i * this.#stride;
  }

  /** The event bits of entry `i` (a non-negative number; EPOLLET included as 2^31). */
  events(i: number): number {
    return this.#u32[this.#index(i)];
  }

  /** The data of entry `i`, as the number that was registered. */
  data(i: number): number {
    const at = this.#index(i) + this.#data;
    return this.#u32[at] + this.#u32[at + 1] * TWO_32;
  }

  /** The low 32 bits of entry `i`'s data (the fd, for data made by the reactor). */
  dataLow(i: number): number {
    return this.#u32[this.#index(i) + this.#data];
  }

  /** The high 32 bits of entry `i`'s data. */
  dataHigh(i: number): number {
    return this.#u32[this.#index(i) + this.#data + 1];
  }

  /** Writes entry `i`: `events` (any `|` of EPOLL* flags) and `data` in [0, 2^53). */
  set(i: number, events: number, data: number): void {
    const base = this.#index(i);
    const bits = checkFlags(events, "events") >>> 0;
    checkData(data);
    this.#u32[base] = bits;
    this.#u32[base + this.#data] = data >>> 0;
    this.#u32[base + this.#data + 1] = Math.floor(data / TWO_32);
  }

  /** Copies entry `from` over entry `to` (to compact a batch). */
  copyEntry(from: number, to: number): void {
    const src = this.#index(from, "from");
    const dst = this.#index(to, "to");
    this.#u32.copyWithin(dst, src, src + this.#stride);
  }

  /** Yields `[data, events]` for each of the `length` filled entries. */
  *[Symbol.iterator](): IterableIterator<[data: number, events: number]> {
    for (let i = 0; i < this.#length; i++) yield [this.data(i), this.events(i)];
  }
}
Object.freeze(EventBuffer.prototype);
Object.freeze(EventBuffer);

/**
 * Internal to `ffi/` (not exported by `mod.ts`): checks that `events` is a
 * genuine {@linkcode EventBuffer} and returns how many native events its
 * memory holds, the bound for `maxevents`. A look-alike is a TypeError.
 */
export function eventRoom(events: EventBuffer): number {
  if (!isEventBuffer(events)) throw new TypeError(`events must be an EventBuffer, got ${describe(events)}`);
  return roomOf(events);
}

/** Internal to `ffi/`: the private bytes of a buffer already checked by {@linkcode eventRoom}. */
export function eventBytes(events: EventBuffer): Uint8Array<SharedArrayBuffer> {
  return bytesOf(events);
}

/** Internal to `ffi/`: records how many entries a wait filled, past any subclass setter. */
export function setFilled(events: EventBuffer, n: number): void {
  fill(events, n);
}
