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
 * @module
 */

/** The byte layout of `struct epoll_event` on one architecture. */
export interface EpollEventLayout {
  /** `sizeof(struct epoll_event)`. */
  readonly size: 12 | 16;
  /** `offsetof(struct epoll_event, data)`. */
  readonly dataOffset: 4 | 8;
}

/** x86_64: packed, 12 bytes. */
export const LAYOUT_X86_64: EpollEventLayout = Object.freeze({ size: 12, dataOffset: 4 });
/** aarch64 and other naturally aligned ABIs: 16 bytes. */
export const LAYOUT_AARCH64: EpollEventLayout = Object.freeze({ size: 16, dataOffset: 8 });

/** The layout for an architecture name as in `Deno.build.arch`. */
export function layoutFor(arch: string): EpollEventLayout {
  return arch === "x86_64" ? LAYOUT_X86_64 : LAYOUT_AARCH64;
}

/** The layout of the running process. */
export const NATIVE_LAYOUT: EpollEventLayout = layoutFor(Deno.build.arch);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("@libc/epoll assumes a little-endian CPU");
}

const TWO_32 = 2 ** 32;

/** Checks that `data` fits the package's epoll data range: an integer in [0, 2^53). */
export function checkData(data: number): void {
  if (!Number.isSafeInteger(data) || data < 0) {
    throw new RangeError(`epoll data must be an integer in [0, 2^53), got ${data}`);
  }
}

/**
 * A fixed-capacity array of `struct epoll_event`, handed to epoll_wait and
 * read back field by field: `events(i)`, `data(i)`. Nothing is allocated per
 * event. Iterating yields `[data, events]` pairs (like Python's
 * `epoll.poll()`), which does allocate; hot loops should index instead.
 */
export class EventBuffer {
  /** The raw bytes, passed to `epoll_wait` / `epoll_ctl`. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** How many events the buffer holds. */
  readonly capacity: number;
  /** How many events the last wait filled in. */
  length = 0;
  readonly #u32: Uint32Array<ArrayBuffer>;
  readonly #stride: number;
  readonly #data: number;

  /** A buffer for `capacity` events (1 to 2^20), in `layout` (default: this CPU's). */
  constructor(capacity: number, layout: EpollEventLayout = NATIVE_LAYOUT) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new RangeError(`EventBuffer capacity must be an integer in [1, 2^20], got ${capacity}`);
    }
    this.capacity = capacity;
    this.bytes = new Uint8Array(capacity * layout.size);
    this.#u32 = new Uint32Array(this.bytes.buffer);
    this.#stride = layout.size >> 2;
    this.#data = layout.dataOffset >> 2;
  }

  /** The event bits of entry `i` (a non-negative number; EPOLLET included as 2^31). */
  events(i: number): number {
    return this.#u32[i * this.#stride];
  }

  /** The data of entry `i`, as the number that was registered. */
  data(i: number): number {
    const at = i * this.#stride + this.#data;
    return this.#u32[at] + this.#u32[at + 1] * TWO_32;
  }

  /** The low 32 bits of entry `i`'s data (the fd, for data made by the reactor). */
  dataLow(i: number): number {
    return this.#u32[i * this.#stride + this.#data];
  }

  /** The high 32 bits of entry `i`'s data. */
  dataHigh(i: number): number {
    return this.#u32[i * this.#stride + this.#data + 1];
  }

  /** Writes entry `i`: `events` (normalised with `>>> 0`) and `data` in [0, 2^53). */
  set(i: number, events: number, data: number): void {
    checkData(data);
    const base = i * this.#stride;
    this.#u32[base] = events >>> 0;
    this.#u32[base + this.#data] = data >>> 0;
    this.#u32[base + this.#data + 1] = Math.floor(data / TWO_32);
  }

  /** Copies entry `from` over entry `to` (to compact a batch). */
  copyEntry(from: number, to: number): void {
    const s = this.#stride;
    this.#u32.copyWithin(to * s, from * s, from * s + s);
  }

  /** Yields `[data, events]` for each of the `length` filled entries. */
  *[Symbol.iterator](): IterableIterator<[data: number, events: number]> {
    for (let i = 0; i < this.length; i++) yield [this.data(i), this.events(i)];
  }
}
