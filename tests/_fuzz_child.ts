/**
 * One child of `fuzz_test.ts`: calls a slice of the exports of
 * `@libc/epoll/ffi` (ffi/mod.ts) and `@libc/epoll` (mod.ts) with hostile
 * arguments, chosen by a seeded PRNG, and prints one JSON line with the
 * number of calls and every call whose error was not the package's own.
 *
 *     deno run --allow-ffi --allow-read --allow-env tests/_fuzz_child.ts <seed> <child> <children> <steps> [trace]
 *
 * Export `i` (sorted by name, functions and classes only) belongs to child
 * `i % children`. Each step picks one export of the slice and drives it:
 * one call for an ffi function, a short scenario for a class or an async
 * export (construct, call every method and getter, close, call them again).
 *
 * Fds: the child touches only fds it created (a pool of nonblocking
 * sockets, a pipe, an eventfd, a timerfd, an epoll fd) and numbers that
 * cannot be open (-1, 2^31 - 1, NaN, …). Hostile values never include small
 * non-negative integers, so no call can reach fd 0-2 or one of Deno's own.
 * Calls that could block for good are not made: timeouts are 0 or invalid,
 * and every promise is raced against a short timer.
 *
 * @module
 */

import * as ffi from "../ffi/mod.ts";
import * as root from "../mod.ts";
import { libc } from "../ffi/libc.ts";

// ------------------------------------------------------------ seeded choices

const [seedArg, childArg, childrenArg, stepsArg, traceArg] = Deno.args;
// "trace" as a fifth argument prints each call to stderr before making it: what a hang was doing.
const TRACE = traceArg === "trace";
const SEED = Number(seedArg);
const CHILD = Number(childArg);
const CHILDREN = Number(childrenArg);
const STEPS = Number(stepsArg);
if (![SEED, CHILD, CHILDREN, STEPS].every(Number.isInteger)) {
  throw new Error("usage: _fuzz_child.ts <seed> <child> <children> <steps>");
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED * 1000 + CHILD);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];
const chance = (p: number): boolean => random() < p;

// ------------------------------------------------------------ the fds this child owns

const O_ASYNC = 0x2000; // a hostile F_SETFL could set it; SIGIO must not reach the child
const { F_GETFD, F_GETFL, F_SETFL, O_NONBLOCK } = ffi;
const NB = ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC;

type Role =
  | "stream"
  | "dgram"
  | "pipeR"
  | "pipeW"
  | "event"
  | "timer"
  | "epoll"
  | "busy"
  | "listener"
  | "tcp"
  | "udp";

/** Ready fds in the "busy" epoll set: a wait there fills any buffer it is allowed to. */
const BUSY_READY = 64;

/** Own fds by role; refilled when a call closes one. */
const pool = new Map<number, Role>();
let listenPort = 0;
let udpPort = 0;

function own(fd: number, role: Role): number {
  pool.set(fd, role);
  return fd;
}

function fillPool(): void {
  const [s1, s2] = ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_STREAM | NB);
  own(s1, "stream");
  own(s2, "stream");
  const [d1, d2] = ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_DGRAM | NB);
  own(d1, "dgram");
  own(d2, "dgram");
  const [r, w] = ffi.pipe2(ffi.O_NONBLOCK | ffi.O_CLOEXEC);
  own(r, "pipeR");
  own(w, "pipeW");
  own(ffi.eventfd(1, ffi.EFD_NONBLOCK | ffi.EFD_CLOEXEC), "event");
  own(ffi.timerfd_create(ffi.CLOCK_MONOTONIC, ffi.TFD_NONBLOCK | ffi.TFD_CLOEXEC), "timer");
  own(ffi.epoll_create1(ffi.EPOLL_CLOEXEC), "epoll");
  const busy = own(ffi.epoll_create1(ffi.EPOLL_CLOEXEC), "busy");
  for (let i = 0; i < BUSY_READY; i++) {
    const efd = own(ffi.eventfd(1, ffi.EFD_NONBLOCK | ffi.EFD_CLOEXEC), "event"); // readable for good
    ffi.epoll_ctl(busy, ffi.EPOLL_CTL_ADD, efd, ffi.EPOLLIN);
  }
  const l = own(ffi.socket(ffi.AF_INET, ffi.SOCK_STREAM | NB), "listener");
  ffi.bind(l, ffi.encodeIp("127.0.0.1", 0));
  ffi.listen(l, 64);
  listenPort = (ffi.getsockname(l) as ffi.IpAddr).port;
  const c = own(ffi.socket(ffi.AF_INET, ffi.SOCK_STREAM | NB), "tcp");
  ffi.connect(c, ffi.encodeIp("127.0.0.1", listenPort));
  const u = own(ffi.socket(ffi.AF_INET, ffi.SOCK_DGRAM | NB), "udp");
  ffi.bind(u, ffi.encodeIp("127.0.0.1", 0));
  udpPort = (ffi.getsockname(u, "udp") as ffi.IpAddr).port;
}

/**
 * After each synchronous call: forget own fds a call closed (before anything
 * else can reuse the number), undo a hostile F_SETFL (blocking, O_ASYNC), and
 * refill the pool when it runs low.
 */
function tidyPool(): void {
  for (const fd of [...pool.keys()]) {
    const flags = libc.fcntl(fd, F_GETFL, 0);
    if (flags < 0) {
      pool.delete(fd);
      continue;
    }
    if ((flags & O_NONBLOCK) === 0 || (flags & O_ASYNC) !== 0) {
      libc.fcntl(fd, F_SETFL, (flags | O_NONBLOCK) & ~O_ASYNC);
    }
  }
  if (pool.size < 8 || ![...pool.values()].includes("busy")) fillPool();
}

function poolFd(role?: Role): number {
  const fds = [...pool].filter(([, r]) => role === undefined || r === role).map(([fd]) => fd);
  return fds.length > 0 ? pick(fds) : pick([...pool.keys()]);
}

/** Closes fds a call created and returned (they are the child's). */
function closeCreated(value: unknown): void {
  const fds = Array.isArray(value) ? value : [value];
  for (const fd of fds) {
    if (typeof fd === "number" && Number.isInteger(fd) && fd > 2 && !pool.has(fd)) libc.close(fd);
  }
}

// ------------------------------------------------------------ arguments

/** An argument and how to name it in a report. */
interface Arg {
  value: unknown;
  label: string;
}

const arg = (value: unknown, label?: string): Arg => ({ value, label: label ?? String(value) });

// What the child knows about the objects it made, to catch a write past them
// that did not crash: the true size of each buffer, the capacity each
// EventBuffer was built with, and every forged SockAddrBuffer's length cell.
const trueSize = new WeakMap<object, number>();
const builtCapacity = new WeakMap<object, number>();
const forgedLengths: Uint32Array[] = [];

function sized<T extends Uint8Array>(buf: T, size: number): T {
  trueSize.set(buf, size);
  return buf;
}

function detached(): Uint8Array {
  const buf = new Uint8Array(8);
  buf.buffer.transfer();
  return sized(buf, 0);
}

function lyingLength(): Uint8Array {
  const buf = new Uint8Array(4);
  Object.defineProperty(buf, "byteLength", { value: 4096 });
  return sized(buf, 4);
}

function forgedSockAddr(): unknown {
  const len = new Uint32Array([128]);
  forgedLengths.push(len);
  return {
    bytes: sized(new Uint8Array(1), 1),
    len,
    lenBytes: new Uint8Array(len.buffer),
    reset() {},
    decode() {},
  };
}

function eventBuffer(capacity: number): unknown {
  const buf = new ffi.EventBuffer(capacity);
  builtCapacity.set(buf, capacity);
  return buf;
}

/** A just-closed fd of the child's: nothing runs between the close and the call that gets it. */
function closedFd(): number {
  const fd = ffi.eventfd(0, ffi.EFD_CLOEXEC);
  ffi.close(fd);
  return fd;
}

let closedEpollInstance: root.Epoll | null = null;
function closedEpoll(): root.Epoll {
  if (closedEpollInstance === null) {
    closedEpollInstance = new root.Epoll({ maxEvents: 1 });
    closedEpollInstance.close(); // epoll/ is this file's layer: its shape is known
  }
  return closedEpollInstance;
}

/**
 * Hostile values. No small non-negative integer is among them: any of
 * those could be an fd the child does not own.
 */
const HOSTILE: ReadonlyArray<() => Arg> = [
  () => arg(NaN),
  () => arg(Infinity),
  () => arg(-Infinity),
  () => arg(2 ** 40, "2**40"),
  () => arg(-1),
  () => arg(1.5),
  () => arg(-(2 ** 31) - 1, "-(2**31)-1"),
  () => arg(2 ** 53, "2**53"),
  () => arg("", '""'),
  () => arg("1", '"1"'),
  () => arg("abc", '"abc"'),
  () => arg(null),
  () => arg(undefined),
  () => arg(true),
  () => arg({}, "{}"),
  () => arg([], "[]"),
  () => arg(Symbol("s"), "Symbol()"),
  () => arg(10n, "10n"),
  () => arg(() => {}, "() => {}"),
  () =>
    arg(
      { bytes: sized(new Uint8Array(1), 1), length: 110, family: 1 },
      "{bytes: Uint8Array(1), length: 110}",
    ),
  () => arg({ bytes: lyingLength(), length: 16, family: 2 }, "{bytes: lying Uint8Array, length: 16}"),
  () => arg(detached(), "detached Uint8Array"),
  () => arg(sized(new Uint8Array(0), 0), "Uint8Array(0)"),
  () => arg(new Uint8Array(new ArrayBuffer(8, { maxByteLength: 64 })), "resizable Uint8Array"),
  () => arg(new Uint8Array(new SharedArrayBuffer(8, { maxByteLength: 64 })), "growable shared Uint8Array"),
  () => arg(lyingLength(), "Uint8Array(4) claiming byteLength 4096"),
  () => arg(Object.create(Uint8Array.prototype), "Object.create(Uint8Array.prototype)"),
  () => arg(Object.create(ffi.EventBuffer.prototype), "Object.create(EventBuffer.prototype)"),
  () => arg({ bytes: new Uint8Array(12), capacity: 1000, length: 0 }, "{bytes, capacity: 1000}"),
  () => arg(forgedSockAddr(), "forged SockAddrBuffer"),
  () => arg(Object.create(ffi.SockAddrBuffer.prototype), "Object.create(SockAddrBuffer.prototype)"),
  () => arg({ size: 4, dataOffset: 0 }, "{size: 4, dataOffset: 0}"),
  () => arg(new Uint16Array(4), "Uint16Array(4)"),
  () => arg(new ArrayBuffer(8), "ArrayBuffer(8)"),
  () => arg(new DataView(new ArrayBuffer(8)), "DataView"),
  () => arg(closedEpoll(), "closed Epoll"),
  () => arg({ port: NaN, hostname: null }, "{port: NaN, hostname: null}"),
  () => arg({ transport: "unix", path: null }, '{transport: "unix", path: null}'),
  () => arg({ readable: "yes", trigger: "sideways" }, '{readable: "yes", trigger: "sideways"}'),
  () => arg({ maxEvents: NaN, strategy: "threads", budget: -1 }, "{maxEvents: NaN, …}"),
  // A settle of 2^40 microtask turns would hold the thread for hours: it must be refused, not run.
  () => arg({ settleTurns: 2 ** 40, yieldIntervalMs: 1 }, "{settleTurns: 2^40}"),
  () => arg(new Date(NaN), "Invalid Date"),
];

/** How a parameter is filled: valid values (so calls get past the first check) or hostile ones. */
interface Kind {
  valid: ReadonlyArray<() => Arg>;
  /** Hostile values allowed here (default: all); a value that could block or reach a foreign fd is left out. */
  allow?: (value: unknown) => boolean;
  extra?: ReadonlyArray<() => Arg>;
}

// A timeout that could block: -1, undefined (a default of -1), or a positive integer.
const noBlock = (v: unknown): boolean =>
  v !== -1 && v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v > 0);

const K = {
  fd: {
    valid: [() => {
      const fd = poolFd();
      return arg(fd, `fd ${fd} (${pool.get(fd)})`);
    }],
    extra: [() => arg(2 ** 31 - 1, "2**31-1 (never open)"), () => arg(closedFd(), "a just-closed fd")],
  },
  epfd: { valid: [() => arg(poolFd("epoll"), "own epfd"), () => arg(poolFd("busy"), "busy epfd")] },
  listenFd: { valid: [() => arg(poolFd("listener"), "own listener")] },
  eventFd: { valid: [() => arg(poolFd("event"), "own eventfd")] },
  timerFd: { valid: [() => arg(poolFd("timer"), "own timerfd")] },
  udpFd: { valid: [() => arg(poolFd("udp"), "own udp")] },
  buf: {
    valid: [
      () => {
        const n = 1 + int(64);
        return arg(sized(new Uint8Array(n), n), `Uint8Array(${n})`);
      },
      () => arg(sized(new Uint8Array(32).subarray(4, 12), 8), "subarray(8)"),
      () => arg(sized(new Uint8Array(new SharedArrayBuffer(16)), 16), "shared Uint8Array(16)"),
    ],
  },
  len: { valid: [() => arg(undefined), () => arg(int(2)), () => arg(-0, "-0")] },
  flags: { valid: [() => arg(0), () => arg(NB, "SOCK_NONBLOCK|SOCK_CLOEXEC"), () => arg(-0, "-0")] },
  msgFlags: { valid: [() => arg(ffi.MSG_DONTWAIT | ffi.MSG_NOSIGNAL, "MSG_DONTWAIT|MSG_NOSIGNAL")] },
  timeoutMs: { valid: [() => arg(0), () => arg(-0, "-0")], allow: noBlock },
  timeoutNs: { valid: [() => arg(0), () => arg(1000)], allow: noBlock },
  selectTimeout: { valid: [() => arg(0)], allow: (v) => v !== null && noBlock(v) },
  events: {
    valid: [
      () => arg(ffi.EPOLLIN),
      () => arg(ffi.EPOLLIN | ffi.EPOLLET, "EPOLLIN|EPOLLET"),
      () => arg(ffi.EPOLLET),
    ],
  },
  data: { valid: [() => arg(int(1000)), () => arg(2 ** 53 - 1, "2**53-1")] },
  op: { valid: [() => arg(ffi.EPOLL_CTL_ADD), () => arg(ffi.EPOLL_CTL_MOD), () => arg(ffi.EPOLL_CTL_DEL)] },
  eventBuffer: {
    valid: [() => {
      const n = 1 + int(4);
      return arg(eventBuffer(n), `EventBuffer(${n})`);
    }],
  },
  maxEvents: {
    valid: [() => arg(undefined), () => arg(1)],
    extra: [() => arg(BUSY_READY, String(BUSY_READY))],
  },
  sockAddrBuffer: { valid: [() => arg(undefined), () => arg(new ffi.SockAddrBuffer(), "SockAddrBuffer")] },
  addr: {
    valid: [
      () => arg(ffi.encodeIp("127.0.0.1", udpPort), "own udp address"),
      () => arg(ffi.encodeIp("127.0.0.1", listenPort), "own listener address"),
      () => arg(ffi.encodeUnix(`\0fuzz-${Deno.pid}-${int(1e9)}`), "abstract unix address"),
    ],
  },
  backlog: { valid: [() => arg(1 + int(16))] },
  level: { valid: [() => arg(ffi.SOL_SOCKET)] },
  optname: { valid: [() => arg(pick([ffi.SO_REUSEADDR, ffi.SO_RCVBUF, ffi.SO_KEEPALIVE, ffi.SO_TYPE]))] },
  optValue: { valid: [() => arg(1), () => arg(new Uint8Array(4), "Uint8Array(4)")] },
  how: { valid: [() => arg(ffi.SHUT_WR)] },
  u32: { valid: [() => arg(1 + int(3))] },
  fcntlCmd: { valid: [() => arg(F_GETFL), () => arg(F_SETFL), () => arg(F_GETFD), () => arg(ffi.F_SETFD)] },
  fcntlArg: { valid: [() => arg(O_NONBLOCK), () => arg(ffi.FD_CLOEXEC), () => arg(0)] },
  domain: { valid: [() => arg(ffi.AF_INET), () => arg(ffi.AF_UNIX)] },
  sockType: { valid: [() => arg(ffi.SOCK_STREAM | NB, "SOCK_STREAM|NB"), () => arg(ffi.SOCK_DGRAM | NB)] },
  protocol: { valid: [() => arg(0)] },
  clockid: { valid: [() => arg(ffi.CLOCK_MONOTONIC)] },
  ms: { valid: [() => arg(0), () => arg(0.5), () => arg(int(50))] },
  pollfds: {
    valid: [() => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setInt32(0, poolFd(), true);
      b[4] = ffi.POLLIN;
      return arg(b, "pollfd[1]");
    }],
  },
  nfds: { valid: [() => arg(0), () => arg(1)] },
  fdSet: { valid: [() => arg(null), () => arg(new Uint8Array(128), "fd_set")] },
  selectNfds: { valid: [() => arg(0), () => arg(int(1024))] },
  resource: { valid: [() => arg(ffi.RLIMIT_NOFILE)] },
  rlimit: { valid: [() => arg(ffi.getrlimit(ffi.RLIMIT_NOFILE).soft, "current soft limit")] },
  rlimitHard: { valid: [() => arg(ffi.getrlimit(ffi.RLIMIT_NOFILE).hard, "current hard limit")] },
  transport: { valid: [() => arg("tcp", '"tcp"'), () => arg("udp", '"udp"'), () => arg(undefined)] },
  bool: { valid: [() => arg(true)] },
  errno: { valid: [() => arg(1 + int(130))] },
  string: {
    valid: [() => arg("read", '"read"'), () => arg("127.0.0.1", '"127.0.0.1"'), () => arg("::1", '"::1"')],
  },
  hostname: {
    valid: [() => arg("127.0.0.1", '"127.0.0.1"'), () => arg("::1", '"::1"'), () => arg("localhost")],
  },
  port: { valid: [() => arg(int(65536))] },
  unixPath: {
    valid: [() => arg(`\0fuzz-${int(1e9)}`, "abstract path"), () => arg("/tmp/x.sock", '"/tmp/x.sock"')],
  },
  ipBytes: { valid: [() => arg(new Uint8Array(16), "Uint8Array(16)")] },
  capacity: { valid: [() => arg(1 + int(8))] },
  layout: {
    valid: [() => arg(ffi.NATIVE_LAYOUT, "NATIVE_LAYOUT"), () => arg(ffi.LAYOUT_AARCH64, "LAYOUT_AARCH64")],
  },
  arch: { valid: [() => arg("x86_64", '"x86_64"'), () => arg("aarch64", '"aarch64"'), () => arg("riscv64")] },
  error: {
    valid: [
      () => arg(new ffi.ErrnoError("read", ffi.EAGAIN), "ErrnoError(EAGAIN)"),
      () => arg(new Error("plain"), "Error"),
    ],
  },
  errnoName: { valid: [() => arg("EAGAIN", '"EAGAIN"'), () => arg("EBADF", '"EBADF"')] },
  index: { valid: [() => arg(0), () => arg(int(4))] },
} satisfies Record<string, Kind>;

type KindName = keyof typeof K;

function fill(kind: Kind): Arg {
  if (chance(0.55)) return pick(kind.valid)();
  const hostile = [...HOSTILE, ...(kind.extra ?? [])];
  for (;;) {
    const candidate = pick(hostile)();
    if (kind.allow === undefined || kind.allow(candidate.value)) return candidate;
  }
}

function fillAll(kinds: readonly KindName[]): Arg[] {
  return kinds.map((k) => fill(K[k]));
}

/** The parameters of each ffi function, in order. */
const FFI_PARAMS: Record<string, readonly KindName[]> = {
  accept4: ["listenFd", "flags", "sockAddrBuffer"],
  bind: ["fd", "addr"],
  checkData: ["data"],
  checkFd: ["fd", "string"],
  close: ["fd"],
  connect: ["fd", "addr"],
  decodeSockAddr: ["buf", "len", "transport"],
  encodeIp: ["hostname", "port"],
  encodeUnix: ["unixPath"],
  epoll_create1: ["flags"],
  epoll_ctl: ["epfd", "op", "fd", "events", "data"],
  epoll_pwait2: ["epfd", "eventBuffer", "maxEvents", "timeoutNs"],
  epoll_wait: ["epfd", "eventBuffer", "maxEvents", "timeoutMs"],
  errnoName: ["errno"],
  eventfd: ["u32", "flags"],
  eventfd_read: ["eventFd"],
  eventfd_write: ["eventFd", "u32"],
  fcntl: ["fd", "fcntlCmd", "fcntlArg"],
  formatIPv4: ["ipBytes"],
  formatIPv6: ["ipBytes"],
  getpeername: ["fd", "transport"],
  getrlimit: ["resource"],
  getsockname: ["fd", "transport"],
  getsockopt: ["fd", "level", "optname"],
  isErrno: ["error", "errnoName", "errnoName"],
  lastErrno: [],
  layoutFor: ["arch"],
  libcCandidates: ["arch"],
  libcPath: [],
  listen: ["fd", "backlog"],
  parseIPv4: ["string"],
  parseIPv6: ["string"],
  pipe2: ["flags"],
  poll: ["pollfds", "nfds", "timeoutMs"],
  read: ["fd", "buf", "len"],
  recv: ["fd", "buf", "msgFlags", "len"],
  recvfrom: ["fd", "buf", "msgFlags", "sockAddrBuffer", "len"],
  select: ["selectNfds", "fdSet", "fdSet", "fdSet", "selectTimeout"],
  send: ["fd", "buf", "msgFlags", "len"],
  sendto: ["udpFd", "buf", "msgFlags", "addr", "len"],
  setNonBlocking: ["fd", "bool"],
  setrlimit: ["resource", "rlimit", "rlimitHard"],
  setsockopt: ["fd", "level", "optname", "optValue"],
  shutdown: ["fd", "how"],
  socket: ["domain", "sockType", "protocol"],
  socketpair: ["domain", "sockType", "protocol"],
  strerror: ["errno"],
  throwErrno: ["string", "string"],
  timerfd_create: ["clockid", "flags"],
  timerfd_settime: ["timerFd", "flags", "ms", "ms"],
  write: ["fd", "buf", "len"],
};

/** Class constructors and the parameters of each method. */
const FFI_CLASSES: Record<
  string,
  { ctor: readonly KindName[]; methods: Record<string, readonly KindName[]> }
> = {
  EventBuffer: {
    ctor: ["capacity", "layout"],
    methods: {
      events: ["index"],
      data: ["index"],
      dataLow: ["index"],
      dataHigh: ["index"],
      set: ["index", "events", "data"],
      copyEntry: ["index", "index"],
    },
  },
  SockAddrBuffer: { ctor: [], methods: { decode: ["transport"] } },
  ErrnoError: { ctor: ["string", "errno", "string"], methods: {} },
};

// ------------------------------------------------------------ judging what a call did

/** A call whose error was not the package's own, or that misbehaved otherwise. */
interface Failure {
  call: number;
  what: string;
  args: string[];
  error: string;
}

const failures: Failure[] = [];
let calls = 0;

/**
 * KNOWN HANGS in other layers: calls that would never return (a spin starves
 * even the child's own timers), so they are not made; each skip is reported.
 * Their owners empty this list as they fix them (see fuzz_test.ts's KNOWN).
 */
const KNOWN_HANGS: ReadonlyArray<{ what: RegExp; arg: RegExp; owner: string }> = [];
const skipped: string[] = [];
const ourReasons = new Set<unknown>(); // abort reasons of signals this child passed

const ALLOWED: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  RangeError,
  TypeError,
  ffi.ErrnoError,
  ...Object.values(Deno.errors),
];

// The engine's, WebIDL's and FFI's own messages: an argument got past the package's checks.
const FOREIGN =
  /Cannot convert|Cannot mix BigInt|BigInts have no|Cannot read (properties|private)|Cannot write private|Cannot set propert|Cannot create property|Cannot destructure|is not a function|is not iterable|is not a constructor|Invalid FFI|^Expected |Invalid typed array length|Array buffer allocation failed|outside the bounds|Invalid array length|Maximum call stack|Class constructor|Failed to execute|is not of type|Illegal invocation|incompatible receiver|Invalid time value|undefined is not|null is not|Do not know how to serialize|Cannot use 'in' operator|is read-only|object is not extensible/;

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}(${err.name}): ${err.message}`;
  return `thrown non-Error ${typeof err}: ${String(err)}`;
}

function isPackageError(err: unknown): boolean {
  if (ourReasons.has(err)) return true; // our own signal's reason, passed through as Deno does
  // AbortSignal.timeout's reason: the child's own deadlines on readiness waits.
  if (err instanceof DOMException && err.name === "TimeoutError") return true;
  if (!(err instanceof Error)) return false;
  if (!ALLOWED.some((C) => err instanceof C)) return false;
  return !FOREIGN.test(err.message);
}

function judge(what: string, args: readonly Arg[], err: unknown, call = calls): void {
  if (isPackageError(err)) return;
  failures.push({ call, what, args: args.map((a) => a.label), error: describeError(err) });
}

const PENDING = Symbol("pending");

/** Calls `fn`; a promise is given `boundMs` to settle, and judged later if it settles after. */
async function attempt(
  what: string,
  args: readonly Arg[],
  fn: () => unknown,
  boundMs = 20,
): Promise<{ ok: boolean; value?: unknown }> {
  const hang = KNOWN_HANGS.find((k) => k.what.test(what) && args.some((a) => k.arg.test(a.label)));
  if (hang !== undefined) {
    skipped.push(`[${hang.owner}] ${what}`);
    return { ok: false };
  }
  const call = ++calls;
  if (TRACE) console.error(`#${call} ${what}(${args.map((a) => a.label).join(", ")})`);
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    judge(what, args, err, call);
    return { ok: false };
  }
  if (!(result instanceof Promise)) return { ok: true, value: result };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    result.then((value) => ({ value }), (error) => ({ error })),
    new Promise<typeof PENDING>((resolve) => timer = setTimeout(() => resolve(PENDING), boundMs)),
  ]);
  clearTimeout(timer);
  if (settled === PENDING) {
    result.catch((err) => judge(`${what} (settled late)`, args, err, call));
    return { ok: false, value: PENDING };
  }
  if ("error" in settled) {
    judge(what, args, settled.error, call);
    return { ok: false };
  }
  return { ok: true, value: settled.value };
}

addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  failures.push({ call: calls, what: "unhandled rejection", args: [], error: describeError(e.reason) });
});
addEventListener("error", (e) => {
  e.preventDefault();
  failures.push({
    call: calls,
    what: "reported error (reportError / uncaught)",
    args: [],
    error: describeError(e.error),
  });
});

// ------------------------------------------------------------ drivers

type Fn = (...args: unknown[]) => unknown;
type Ctor = new (...args: unknown[]) => unknown;

const CREATORS = new Set([
  "socket",
  "eventfd",
  "epoll_create1",
  "timerfd_create",
  "accept4",
  "pipe2",
  "socketpair",
]);

const READS_INTO = new Set(["read", "recv", "recvfrom"]);
const WAITS = new Set(["epoll_wait", "epoll_pwait2"]);

/** A write past memory the child made, seen from the result: the kernel wrote more than fits. */
function checkOverflow(
  what: string,
  args: readonly Arg[],
  value: unknown,
  into?: unknown,
  call = calls,
): void {
  const overflow = (detail: string): void => {
    failures.push({ call, what, args: args.map((a) => a.label), error: `MEMORY: ${detail}` });
  };
  if (typeof value === "number" && typeof into === "object" && into !== null) {
    const size = trueSize.get(into);
    if (size !== undefined && value > size) overflow(`${value} bytes read into ${size}`);
    const capacity = builtCapacity.get(into);
    if (capacity !== undefined && value > capacity) {
      overflow(`${value} events written into room for ${capacity}`);
    }
  }
  for (const len of forgedLengths.splice(0)) {
    if (len[0] !== 128) {
      overflow(`the kernel wrote an address (${len[0]} bytes) into a forged SockAddrBuffer`);
    }
  }
}

async function driveFfiFunction(name: string, fn: Fn): Promise<void> {
  const args = fillAll(FFI_PARAMS[name]);
  const { ok, value } = await attempt(`ffi.${name}`, args, () => fn(...args.map((a) => a.value)));
  if (ok && CREATORS.has(name)) closeCreated(value);
  const into = READS_INTO.has(name) ? args[1].value : WAITS.has(name) ? args[1].value : undefined;
  checkOverflow(`ffi.${name}`, args, ok ? value : undefined, into);
  tidyPool();
}

function isClass(value: unknown): value is Ctor {
  return typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value));
}

/** Every getter and method along `obj`'s prototype chain (not Object's). */
function members(obj: object): Array<{ name: string; getter: boolean }> {
  const out: Array<{ name: string; getter: boolean }> = [];
  const seen = new Set<string>();
  for (
    let p = Object.getPrototypeOf(obj);
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === "constructor" || seen.has(key)) continue;
      seen.add(key);
      const desc = Object.getOwnPropertyDescriptor(p, key)!;
      if (desc.get !== undefined) out.push({ name: key, getter: true });
      else if (typeof desc.value === "function") out.push({ name: key, getter: false });
    }
  }
  return out;
}

/** Calls each method with hostile (or, for known ffi classes, mixed) arguments, and reads each getter. */
async function exercise(
  label: string,
  obj: object,
  known?: Record<string, readonly KindName[]>,
): Promise<void> {
  for (const { name, getter } of members(obj)) {
    if (getter) {
      await attempt(`${label}.${name} (get)`, [], () => (obj as Record<string, unknown>)[name]);
      continue;
    }
    if (/^(close|deregister|dispose)$/.test(name)) continue; // ended by the caller, last
    const kinds = known !== undefined && Object.hasOwn(known, name) ? known[name] : undefined;
    const args = kinds !== undefined ? fillAll(kinds) : Array.from({ length: int(3) }, () => pick(HOSTILE)());
    const method = (obj as Record<string, Fn>)[name];
    await attempt(`${label}.${name}`, args, () => method.apply(obj, args.map((a) => a.value)));
  }
  // Assigning to a getter: the language's TypeError is the right answer, and a
  // setter must give the package's.
  const names = members(obj).filter((m) => m.getter).map((m) => m.name);
  const assignTo = pick([...names, ...Object.keys(obj), "length", "capacity", "bytes"]);
  const hostile = pick(HOSTILE)();
  await attempt(`${label}.${assignTo} = ${hostile.label}`, [hostile], () => {
    try {
      (obj as Record<string, unknown>)[assignTo] = hostile.value;
    } catch (err) {
      if (err instanceof TypeError && /which has only a getter|read.only|not extensible/.test(err.message)) {
        return;
      }
      throw err;
    }
  });
}

async function closeIt(label: string, obj: object): Promise<void> {
  for (const name of ["close", "deregister"]) {
    const method = (obj as Record<string, unknown>)[name];
    if (typeof method === "function") await attempt(`${label}.${name}`, [], () => method.call(obj), 200);
  }
}

async function driveFfiClass(name: string, C: Ctor): Promise<void> {
  const spec = FFI_CLASSES[name];
  const args = spec === undefined ? [] : fillAll(spec.ctor);
  const { ok, value } = await attempt(`new ffi.${name}`, args, () => new C(...args.map((a) => a.value)));
  if (ok && typeof value === "object" && value !== null) {
    if (name === "EventBuffer") builtCapacity.set(value, args[0].value as number);
    await exercise(`ffi.${name}`, value, spec?.methods);
    if (name === "EventBuffer") await waitInto(value as ffi.EventBuffer);
  }
  tidyPool();
}

/** maxevents for a wait on the busy set: mostly "all 64", which only the buffer's own bound may refuse. */
function bigMax(): Arg {
  return chance(0.5) ? arg(BUSY_READY, String(BUSY_READY)) : chance(0.5) ? arg(undefined) : pick(HOSTILE)();
}

/** After the buffer's fields were tampered with: a wait on the busy set may fill only what was built. */
async function waitInto(buf: ffi.EventBuffer): Promise<void> {
  const epfd = poolFd("busy");
  const max = bigMax();
  const args = [arg(epfd, "busy epfd"), arg(buf, "tampered EventBuffer"), max, arg(0)];
  const { ok, value } = await attempt(
    "ffi.epoll_wait",
    args,
    () => ffi.epoll_wait(epfd, buf, max.value as number, 0),
  );
  checkOverflow("ffi.epoll_wait", args, ok ? value : undefined, buf);
}

/** Any function or class nobody wrote a driver for: hostile arguments only (never small integers). */
async function driveGeneric(label: string, value: unknown): Promise<void> {
  const args = Array.from({ length: int(4) }, () => pick(HOSTILE)());
  if (isClass(value)) {
    const { ok, value: obj } = await attempt(
      `new ${label}`,
      args,
      () => new value(...args.map((a) => a.value)),
    );
    if (ok && typeof obj === "object" && obj !== null) {
      await exercise(label, obj);
      await closeIt(label, obj);
      await exercise(`${label} (closed)`, obj);
    }
  } else if (typeof value === "function") {
    const { ok, value: result } = await attempt(
      label,
      args,
      () => (value as Fn)(...args.map((a) => a.value)),
    );
    if (ok && typeof result === "object" && result !== null && !Array.isArray(result)) {
      await closeIt(label, result);
    }
  }
  tidyPool();
}

// ------------------------------------------------------------ the async layers (`.`)

// `.`'s exports are read by name at run time, so this file keeps working
// while that surface changes; each driver runs only if its export exists.
const R = root as unknown as Record<string, unknown>;
type Obj = Record<string, unknown>;

/** Calls `obj[name](...args)` as a method. */
function callMethod(obj: unknown, name: string, ...args: unknown[]): unknown {
  return ((obj as Obj)[name] as Fn).apply(obj, args);
}

/** A socketpair made for one scenario; its fds are given away and never touched again by the child. */
function givenAwayPair(): [number, number] {
  return ffi.socketpair(ffi.AF_UNIX, ffi.SOCK_STREAM | NB);
}

function signalArg(): Arg {
  if (chance(0.5)) return arg({ signal: AbortSignal.timeout(5) }, "{signal: AbortSignal.timeout(5)}");
  const c = new AbortController();
  c.abort();
  ourReasons.add(c.signal.reason);
  return arg({ signal: c.signal }, "{signal: aborted}");
}

function interestArg(): Arg {
  return chance(0.6)
    ? arg(
      pick([{ readable: true }, { writable: true }, { readable: true, trigger: "edge" }]),
      "valid interest",
    )
    : pick(HOSTILE)();
}

const EPOLL_METHODS: Record<string, readonly KindName[]> = {
  register: ["fd", "events", "data"],
  modify: ["fd", "events", "data"],
  unregister: ["fd"],
  wait: ["timeoutMs", "maxEvents"],
};

async function driveEpoll(Epoll: Ctor): Promise<void> {
  const opts = chance(0.6) ? arg({ maxEvents: 1 + int(4) }, "{maxEvents}") : pick(HOSTILE)();
  const { ok, value: ep } = await attempt("new Epoll", [opts], () => new Epoll(opts.value));
  if (!ok || typeof ep !== "object" || ep === null) return;
  await exercise("Epoll", ep, EPOLL_METHODS);
  const events = callMethod(ep, "wait", 0) as object;
  const options = opts.value as { maxEvents?: number } | undefined;
  builtCapacity.set(events, typeof options?.maxEvents === "number" ? options.maxEvents : 1024);
  await exercise("Epoll.wait() buffer", events, FFI_CLASSES.EventBuffer.methods);
  const ready = [...pool].filter(([, role]) => role === "event").map(([fd]) => fd).slice(0, BUSY_READY);
  for (const fd of ready) {
    try {
      callMethod(ep, "register", fd);
    } catch {
      // already registered by an earlier hostile call (EEXIST): just as ready
    }
  }
  const max = bigMax();
  const waited = await attempt("Epoll.wait", [arg(0), max], () => callMethod(ep, "wait", 0, max.value));
  checkOverflow(
    "Epoll.wait",
    [max],
    waited.ok ? (waited.value as { length: number }).length : undefined,
    events,
  );
  await closeIt("Epoll", ep);
  await exercise("Epoll (closed)", ep, EPOLL_METHODS);
  tidyPool();
}

async function driveReactor(Reactor: Ctor): Promise<void> {
  const opts = chance(0.6) ? arg({}, "{}") : pick(HOSTILE)();
  const { ok, value: reactor } = await attempt("new Reactor", [opts], () => new Reactor(opts.value));
  if (!ok || typeof reactor !== "object" || reactor === null) return;
  const [a, b] = givenAwayPair();
  const interest = interestArg();
  const handler = chance(0.5) ? arg(undefined) : chance(0.5) ? arg(() => {}, "handler") : pick(HOSTILE)();
  const fd = chance(0.7) ? arg(a, "fresh socket") : pick(HOSTILE)();
  const reg = await attempt(
    "Reactor.register",
    [fd, interest, handler],
    () => callMethod(reactor, "register", fd.value, interest.value, handler.value),
  );
  const delay = chance(0.5) ? arg(int(5)) : pick(HOSTILE)();
  const timer = await attempt(
    "Reactor.setTimer",
    [delay],
    () => callMethod(reactor, "setTimer", delay.value, () => {}),
  );
  const which = chance(0.5) ? arg(timer.value, "its timer") : pick(HOSTILE)();
  await attempt("Reactor.clearTimer", [which], () => callMethod(reactor, "clearTimer", which.value));
  await attempt("Reactor.consumeBudget", [], () => callMethod(reactor, "consumeBudget"));
  await attempt("Reactor.yield", [], () => callMethod(reactor, "yield"));
  if (reg.ok && typeof reg.value === "object" && reg.value !== null) {
    const r = reg.value;
    if (chance(0.5)) ffi.write(b, new Uint8Array(1));
    const sig = chance(0.5) ? signalArg() : arg(undefined);
    const signal = (sig.value as { signal?: AbortSignal } | undefined)?.signal;
    await attempt("Registration.readable", [sig], () => callMethod(r, "readable", signal));
    await attempt("Registration.writable", [sig], () => callMethod(r, "writable", signal));
    const again = interestArg();
    await attempt("Registration.modify", [again], () => callMethod(r, "modify", again.value));
    await exercise("Registration", r);
    await attempt("Registration.deregister", [], () => callMethod(r, "deregister"));
    await exercise("Registration (deregistered)", r);
  }
  await exercise("Reactor", reactor);
  await attempt("Reactor.close", [], () => callMethod(reactor, "close"), 500);
  await attempt(
    "Reactor.register (closed)",
    [],
    () => callMethod(reactor, "register", b, { readable: true }),
  );
  await attempt("Reactor.setTimer (closed)", [], () => callMethod(reactor, "setTimer", 1, () => {}));
  await exercise("Reactor (closed)", reactor);
}

async function driveListen(listen: Fn): Promise<void> {
  const opts = chance(0.6) ? arg({ hostname: "127.0.0.1", port: 0 }, "{127.0.0.1:0}") : pick(HOSTILE)();
  const { ok, value: listener } = await attempt("listen", [opts], () => listen(opts.value));
  if (!ok || typeof listener !== "object" || listener === null) return;
  const addr = (listener as Obj).addr as { port?: number };
  let client: unknown = null;
  const connect = R.connect as Fn | undefined;
  if (typeof addr?.port === "number" && connect !== undefined && chance(0.7)) {
    const c = await attempt("connect", [], () => connect({ hostname: "127.0.0.1", port: addr.port }), 500);
    if (c.ok) client = c.value;
  }
  const sig = signalArg();
  await attempt("Listener.accept", [sig], () => callMethod(listener, "accept", sig.value));
  const accepted = await attempt("Listener.accept", [], () => callMethod(listener, "accept"), 50);
  await exercise("Listener", listener);
  if (accepted.ok) await driveConn(accepted.value);
  if (client !== null) await driveConn(client);
  await closeIt("Listener", listener);
  await attempt("Listener.accept (closed)", [], () => callMethod(listener, "accept"));
  await exercise("Listener (closed)", listener);
}

async function driveConnect(connect: Fn): Promise<void> {
  const opts = chance(0.5)
    ? arg({ hostname: "127.0.0.1", port: listenPort }, "{own listener}")
    : pick(HOSTILE)();
  const { ok, value } = await attempt("connect", [opts], () => connect(opts.value), 500);
  if (ok) await driveConn(value);
}

async function driveConn(conn: unknown): Promise<void> {
  if (typeof conn !== "object" || conn === null) return;
  const buf = chance(0.5) ? arg(new Uint8Array(16), "Uint8Array(16)") : pick(HOSTILE)();
  await attempt("Conn.write", [buf], () => callMethod(conn, "write", buf.value), 50);
  const into = chance(0.5) ? arg(new Uint8Array(16), "Uint8Array(16)") : pick(HOSTILE)();
  const sig = signalArg();
  await attempt("Conn.read", [into, sig], () => callMethod(conn, "read", into.value, sig.value));
  await attempt("Conn.read", [into], () => callMethod(conn, "read", into.value), 10);
  await driveReceive(conn);
  await exercise("Conn", conn);
  await closeIt("Conn", conn);
  await attempt("Conn.read (closed)", [], () => callMethod(conn, "read", new Uint8Array(4)));
  await driveReceive(conn, " (closed)");
  await attempt("Conn.write (closed)", [], () => callMethod(conn, "write", new Uint8Array(4)));
  await exercise("Conn (closed)", conn);
}

/** `receive` with a signal, hostile options or a forged signal; a chunk must be a private copy. */
async function driveReceive(conn: object, state = ""): Promise<void> {
  const forged = arg(
    { signal: Object.create(AbortSignal.prototype) },
    "{signal: Object.create(AbortSignal.prototype)}",
  );
  const opts = pick([signalArg, () => pick(HOSTILE)(), () => forged, () => arg(undefined)])();
  const what = `Conn.receive${state}`;
  const got = await attempt(what, [opts], () => callMethod(conn, "receive", opts.value), 10);
  if (!got.ok || got.value === null) return;
  // The scratch buffer every conn reads into (64 KiB) must never be what a caller gets.
  const chunk = got.value;
  if (
    !(chunk instanceof Uint8Array) || chunk.byteLength === 0 || chunk.buffer.byteLength !== chunk.byteLength
  ) {
    failures.push({
      call: calls,
      what,
      args: [opts.label],
      error: "MEMORY: receive's chunk is not a private copy",
    });
  }
}

async function drivePoller(Poller: Ctor): Promise<void> {
  const Epoll = R.Epoll as Ctor;
  let ep: unknown = null;
  const target = chance(0.6) ? (ep = new Epoll(), arg(ep, "an Epoll")) : pick(HOSTILE)();
  const opts = chance(0.6) ? arg({}, "{}") : pick(HOSTILE)();
  const { ok, value: poller } = await attempt(
    "new Poller",
    [target, opts],
    () => new Poller(target.value, opts.value),
  );
  if (ok && typeof poller === "object" && poller !== null) {
    await attempt("Poller.wait", [], () => callMethod(poller, "wait"), 10);
    await attempt("Poller.wake", [], () => callMethod(poller, "wake"));
    await exercise("Poller", poller);
    await attempt("Poller.close", [], () => callMethod(poller, "close"), 500);
    await attempt("Poller.wait (closed)", [], () => callMethod(poller, "wait"));
  }
  if (ep !== null) callMethod(ep, "close");
}

/** A Conn or Listener built by hand over a given-away fd, or over hostile arguments. */
async function driveNetClass(name: string, C: Ctor): Promise<void> {
  const [a] = givenAwayPair();
  const fd = chance(0.5) ? arg(a, "fresh socket") : pick(HOSTILE)();
  const defaultReactor = R.defaultReactor as Fn | undefined;
  const reactor = chance(0.5) && defaultReactor ? arg(defaultReactor(), "defaultReactor()") : pick(HOSTILE)();
  const extra = pick(HOSTILE)();
  const { ok, value } = await attempt(
    `new ${name}`,
    [fd, reactor, extra],
    () => new C(fd.value, reactor.value, extra.value),
  );
  if (!ok || typeof value !== "object" || value === null) return;
  if (name === "Conn") await driveConn(value);
  else {
    await exercise(name, value);
    await closeIt(name, value);
  }
}

const ROOT_DRIVERS: Record<string, (value: unknown) => Promise<void>> = {
  Epoll: (v) => driveEpoll(v as Ctor),
  Reactor: (v) => driveReactor(v as Ctor),
  listen: (v) => driveListen(v as Fn),
  connect: (v) => driveConnect(v as Fn),
  Poller: (v) => drivePoller(v as Ctor),
  Conn: (v) => driveNetClass("Conn", v as Ctor),
  Listener: (v) => driveNetClass("Listener", v as Ctor),
};

// ------------------------------------------------------------ the slice, and the run

interface Target {
  label: string;
  drive: () => Promise<void>;
}

function targets(): { mine: Target[]; total: number } {
  const all: Target[] = [];
  for (const [name, value] of Object.entries(ffi).sort(([x], [y]) => x.localeCompare(y))) {
    if (typeof value !== "function") continue;
    const label = `ffi.${name}`;
    if (isClass(value)) all.push({ label, drive: () => driveFfiClass(name, value) });
    else if (name in FFI_PARAMS) all.push({ label, drive: () => driveFfiFunction(name, value as Fn) });
    else all.push({ label, drive: () => driveGeneric(label, value) });
  }
  for (const [name, value] of Object.entries(root).sort(([x], [y]) => x.localeCompare(y))) {
    if (typeof value !== "function") continue;
    const label = `root.${name}`;
    const driver = ROOT_DRIVERS[name];
    all.push({ label, drive: driver === undefined ? () => driveGeneric(label, value) : () => driver(value) });
  }
  return { mine: all.filter((_, i) => i % CHILDREN === CHILD), total: all.length };
}

fillPool();
const { mine, total } = targets();
const started = performance.now();
// Every export of the slice first (so each is reached whatever the seed), then random ones.
for (let step = 0; step < STEPS; step++) {
  const target = step < mine.length ? mine[step] : pick(mine);
  if (TRACE) console.error(`step ${step}: ${target.label}`);
  try {
    await target.drive();
  } catch (err) {
    // A driver's own mistake: report it loudly rather than lose the run.
    console.error(`the fuzzer itself failed driving ${target.label}:`, err);
    Deno.exit(3);
  }
}
await new Promise((resolve) => setTimeout(resolve, 50)); // late settlements
if (typeof R.defaultReactor === "function") {
  const shared = (R.defaultReactor as Fn)();
  await attempt("defaultReactor().close", [], () => callMethod(shared, "close"), 500);
}

console.log(JSON.stringify({
  seed: SEED,
  child: CHILD,
  calls,
  exports: mine.map((t) => t.label),
  totalExports: total,
  ms: Math.round(performance.now() - started),
  failures,
  skipped,
}));
Deno.exit(0);
