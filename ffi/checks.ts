/**
 * The argument checks every wrapper runs before native code sees a value:
 * fds, integers in explicit ranges, flag words, and byte buffers.
 *
 * A buffer's size is read through the engine's own `TypedArray.prototype`
 * getters, captured when this module loads: an instance whose `byteLength`
 * was redefined, or an object that only inherits from `Uint8Array.prototype`,
 * cannot lie about how many bytes the kernel may touch. Detached buffers and
 * buffers whose length can change (resizable `ArrayBuffer`, growable
 * `SharedArrayBuffer`) are refused. No check coerces (`| 0` would turn NaN
 * into 0): a value is used only if it already is what the C call wants.
 *
 * @module
 */

/** The largest `int`. */
export const I32_MAX = 0x7fffffff;
/** The smallest `int`. */
export const I32_MIN = -0x80000000;
/** The largest `unsigned int`. */
export const U32_MAX = 0xffffffff;

// `fn.call` bound once, so a later change to Function.prototype.call or to
// the prototypes below cannot reach these checks.
const uncurry = <T>(fn: (this: T) => unknown): (self: T) => unknown =>
  Function.prototype.call.bind(fn) as (self: T) => unknown;

function getter(proto: object, key: PropertyKey): (self: unknown) => unknown {
  const get = Object.getOwnPropertyDescriptor(proto, key)?.get;
  if (get === undefined) throw new Error(`this engine lacks the ${String(key)} getter`);
  return uncurry(get);
}

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag); // never throws
const typedArrayBuffer = getter(TypedArrayPrototype, "buffer");
const typedArrayByteLength = getter(TypedArrayPrototype, "byteLength");
const arrayBufferDetached = getter(ArrayBuffer.prototype, "detached");
const arrayBufferResizable = getter(ArrayBuffer.prototype, "resizable");
const sharedBufferGrowable = getter(SharedArrayBuffer.prototype, "growable");

/** A short description of any value for an error message; never calls the value's own code. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "bigint":
      return `${String(value)}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "object": {
      if (value === null) return "null";
      const tag = typedArrayTag(value);
      return typeof tag === "string" ? `a ${tag}` : Array.isArray(value) ? "an array" : "an object";
    }
    default:
      return String(value); // undefined, booleans
  }
}

/**
 * Throws a RangeError unless `fd` is an integer in [0, 2^31); returns it
 * (-0 as 0, which FFI would refuse). `name` goes into the message. Every
 * wrapper runs it; call it where your own code takes an fd.
 *
 * ```ts
 * import { checkFd } from "@libc/epoll/ffi";
 *
 * console.log(checkFd(3), Object.is(checkFd(-0), 0)); // 3 true
 * try {
 *   checkFd(Number("x"), "epfd");
 * } catch (err) {
 *   console.log((err as Error).message); // epfd must be an integer in [0, 2^31), got NaN
 * }
 * ```
 */
export function checkFd(fd: number, name = "fd"): number {
  if (typeof name !== "string") {
    throw new TypeError(`the name of an fd must be a string, got ${describe(name)}`);
  }
  if (typeof fd !== "number" || (fd | 0) !== fd || fd < 0) {
    throw new RangeError(`${name} must be an integer in [0, 2^31), got ${describe(fd)}`);
  }
  return fd | 0;
}

/** Throws a RangeError unless `value` is an integer in [`min`, `max`]; returns it (-0 as 0). */
export function checkInt(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value === 0 ? 0 : value;
}

/**
 * Checks a flag word for an `int` parameter and returns it as the `int` C
 * sees. Any `|` combination is accepted, so both the signed result of JS's
 * `|` and the unsigned value of a flag such as `EPOLLET` (2^31) pass.
 */
export function checkFlags(value: number, name = "flags"): number {
  if (!Number.isInteger(value) || value < I32_MIN || value > U32_MAX) {
    throw new RangeError(
      `${name} must be an integer in [-2^31, 2^32) (a | of flags), got ${describe(value)}`,
    );
  }
  return value | 0;
}

/** Throws a TypeError unless `value` is a string. */
export function checkString(value: string, name: string): void {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${describe(value)}`);
}

// The last view byteLengthOf accepted. That a view is a Uint8Array, and that
// its buffer can neither be resized nor grown, is fixed when the view is made;
// only detaching can change, and a detached view's length reads 0. So the
// same view again needs only its length from the engine: a non-zero length
// is the whole answer, and 0 takes the full check. This skips the `buffer`
// getter (a runtime call, ~13 ns) and two more, three times per echoed
// message. It keeps one view (and its buffer) alive until another is checked.
let lastAccepted: unknown = null;

/**
 * Checks that `buf` is a real `Uint8Array` whose memory cannot move or shrink
 * while the kernel uses it, and returns its true size in bytes.
 */
export function byteLengthOf(buf: Uint8Array, name = "buf"): number {
  if (buf === lastAccepted) {
    const size = typedArrayByteLength(buf) as number;
    if (size !== 0) return size;
  }
  if (typedArrayTag(buf) !== "Uint8Array") {
    throw new TypeError(`${name} must be a Uint8Array, got ${describe(buf)}`);
  }
  const backing = typedArrayBuffer(buf);
  let shared = false;
  let fixed: boolean;
  try {
    fixed = arrayBufferResizable(backing) === false;
  } catch {
    shared = true; // a SharedArrayBuffer: ArrayBuffer's getters refuse it
    fixed = sharedBufferGrowable(backing) === false;
  }
  if (!shared && arrayBufferDetached(backing) === true) {
    throw new TypeError(`${name} is detached (its ArrayBuffer was transferred)`);
  }
  if (!fixed) {
    throw new TypeError(
      `${name} must have a fixed length: a resizable or growable buffer can change under the kernel`,
    );
  }
  lastAccepted = buf;
  return typedArrayByteLength(buf) as number;
}

/**
 * The byte count for a buffer call: `len` defaults to the whole buffer (up
 * to 2^31 - 1) and may never exceed it, or libc would run past the JS memory.
 */
export function span(buf: Uint8Array, len: number | undefined, name = "buf"): number {
  const size = byteLengthOf(buf, name);
  if (len === undefined) return size < I32_MAX ? size : I32_MAX;
  if (!Number.isInteger(len) || len < 0 || len > size || len > I32_MAX) {
    throw new RangeError(`len must be an integer in [0, ${size}] (the buffer's size), got ${describe(len)}`);
  }
  return len | 0; // -0 as 0
}
