/**
 * Every exported constant against the value in this machine's C headers.
 *
 * The headers are parsed here (object-like `#define`s and `enum` members,
 * with a small evaluator for `1u << 31`, octal, casts and references), not
 * compiled: the tests must not need a C compiler. A constant group is
 * skipped, with the reason, only when one of its headers is absent.
 *
 * Also: errno numbers have one home (ffi/errno.ts), checked by a scan of the
 * package's sources for numbers used as errnos anywhere else.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import * as constants from "../ffi/constants.ts";
import {
  EAGAIN,
  EINPROGRESS,
  EINTR,
  ErrnoError,
  type ErrnoName,
  errnoName,
  errnoNumbers,
  isErrno,
} from "../ffi/errno.ts";

// ------------------------------------------------------------ a tiny header reader

/** Where each name was defined: its unevaluated expression and the file. */
type Defs = Map<string, { expr: string; file: string }>;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, "").replace(/\\\n/g, " ");
}

function define(defs: Defs, name: string, expr: string, file: string): void {
  // `#define EPOLLIN EPOLLIN` only re-exports an enum member; the first real
  // definition wins, as headers are read most specific (glibc) first.
  if (expr === name || defs.has(name)) return;
  defs.set(name, { expr, file });
}

function readDefines(text: string, file: string, defs: Defs): void {
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]*\S)[ \t]*$/gm)) {
    define(defs, m[1], m[2].trim(), file);
  }
}

function readEnums(text: string, file: string, defs: Defs): void {
  for (const m of text.matchAll(/\benum\b[^{;]*\{([^}]*)\}/g)) {
    const body = m[1].replace(/^[ \t]*#[^\n]*$/gm, "");
    let previous = "-1"; // an implicit first member is 0
    for (const item of body.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      const [name, value] = item.split("=").map((s) => s.trim());
      if (!/^[A-Za-z_]\w*$/.test(name)) continue;
      const expr = value ?? `(${previous}) + 1`;
      define(defs, name, expr, file);
      previous = name;
    }
  }
}

/** Reads the `#define`s and enum members of `files`, in order (first definition wins). */
function readHeaders(files: readonly string[]): Defs {
  const defs: Defs = new Map();
  for (const file of files) {
    const text = stripComments(Deno.readTextFileSync(file));
    readEnums(text, file, defs);
    readDefines(text, file, defs);
  }
  return defs;
}

const CAST = /\(\s*(?:unsigned\s+|signed\s+)?(?:__poll_t|int|long|short|char|__u32|__s32|__rlim_t)\s*\)/g;
const TOKEN = /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|[|&^~+\-()])[uUlL]*/y;

/**
 * Evaluates a header expression to a BigInt (so `1u << 31` stays positive),
 * resolving names through `defs`.
 */
function evaluate(name: string, defs: Defs, seen: Set<string> = new Set()): bigint {
  const def = defs.get(name);
  if (def === undefined) throw new Error(`${name} is not defined in the headers read`);
  if (seen.has(name)) throw new Error(`${name} is defined in terms of itself`);
  seen.add(name);
  const source = def.expr.replace(CAST, " ");
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const m = TOKEN.exec(source);
    if (m === null) {
      if (source.slice(TOKEN.lastIndex).trim() === "") break;
      throw new Error(`cannot parse ${name} = ${def.expr} (${def.file})`);
    }
    tokens.push(m[1]);
  }
  return new ExprParser(tokens, (ref) => evaluate(ref, defs, new Set(seen))).parse();
}

/** Recursive descent over C's integer operators: | ^ & << >> + - ~ and parentheses. */
class ExprParser {
  #at = 0;
  readonly tokens: string[];
  readonly lookup: (name: string) => bigint;

  constructor(tokens: string[], lookup: (name: string) => bigint) {
    this.tokens = tokens;
    this.lookup = lookup;
  }

  parse(): bigint {
    const v = this.#binary(0);
    if (this.#at !== this.tokens.length) throw new Error(`trailing tokens: ${this.tokens.join(" ")}`);
    return v;
  }

  static readonly #levels: ReadonlyArray<Record<string, (a: bigint, b: bigint) => bigint>> = [
    { "|": (a, b) => a | b },
    { "^": (a, b) => a ^ b },
    { "&": (a, b) => a & b },
    { "<<": (a, b) => a << b, ">>": (a, b) => a >> b },
    { "+": (a, b) => a + b, "-": (a, b) => a - b },
  ];

  #binary(level: number): bigint {
    if (level === ExprParser.#levels.length) return this.#unary();
    const ops = ExprParser.#levels[level];
    let left = this.#binary(level + 1);
    while (this.#at < this.tokens.length && Object.hasOwn(ops, this.tokens[this.#at])) {
      const op = ops[this.tokens[this.#at++]];
      left = op(left, this.#binary(level + 1));
    }
    return left;
  }

  #unary(): bigint {
    const t = this.tokens[this.#at++];
    if (t === "-") return -this.#unary();
    if (t === "~") return ~this.#unary();
    if (t === "(") {
      const v = this.#binary(0);
      if (this.tokens[this.#at++] !== ")") throw new Error("missing )");
      return v;
    }
    if (t === undefined) throw new Error("unexpected end of expression");
    if (/^0[xX]/.test(t)) return BigInt(t);
    if (/^0\d+$/.test(t)) return BigInt(`0o${t.slice(1)}`); // C octal: 02000000
    if (/^\d+$/.test(t)) return BigInt(t);
    return this.lookup(t);
  }
}

// ------------------------------------------------------------ the evaluator itself

Deno.test("header reader: defines, enums (explicit and implicit), octal, casts, shifts, references", () => {
  const defs: Defs = new Map();
  const text = stripComments(`
    enum { A = 0x10, /* comment */ B,
    #define B B
      C = 1u << 31, D = 02000000 };
    #define E (__poll_t)(1U << 29) // trailing comment
    #define F E
    #  define G (A | D)
    #define H(x) ((x) + 1)
    #define SELF SELF
  `);
  readEnums(text, "t.h", defs);
  readDefines(text, "t.h", defs);
  const value = (name: string): number => Number(evaluate(name, defs));
  assertEquals(value("A"), 16);
  assertEquals(value("B"), 17);
  assertEquals(value("C"), 2 ** 31);
  assertEquals(value("D"), 0o2000000);
  assertEquals(value("E"), 2 ** 29);
  assertEquals(value("F"), 2 ** 29);
  assertEquals(value("G"), 16 | 0o2000000);
  assertEquals(defs.has("H"), false, "function-like macros are not constants");
  assertThrows(() => evaluate("SELF", defs), Error, "not defined");
});

// ------------------------------------------------------------ every export against its header

const INC = "/usr/include";
const ARCH = `${INC}/${Deno.build.arch}-linux-gnu`;

interface Group {
  /** What the group covers. */
  name: string;
  /** Which exports of constants.ts belong to it. */
  match: RegExp;
  /** The headers to read, most specific first. */
  headers: string[];
}

const groups: Group[] = [
  {
    name: "epoll",
    match: /^EPOLL/,
    headers: [`${ARCH}/sys/epoll.h`, `${ARCH}/bits/epoll.h`, `${INC}/linux/eventpoll.h`],
  },
  {
    name: "sockets",
    match: /^(AF_|SOCK_|SOL_|SO_|IPPROTO_|TCP_|IPV6_|SHUT_|MSG_)/,
    headers: [
      `${ARCH}/bits/socket.h`,
      `${ARCH}/bits/socket_type.h`,
      `${ARCH}/sys/socket.h`,
      `${ARCH}/bits/socket-constants.h`,
      `${INC}/asm-generic/socket.h`,
      `${INC}/netinet/in.h`,
      `${ARCH}/bits/in.h`,
      `${INC}/netinet/tcp.h`,
    ],
  },
  {
    name: "fcntl",
    match: /^(F_|FD_CLOEXEC$|O_)/,
    headers: [`${ARCH}/bits/fcntl-linux.h`, `${INC}/asm-generic/fcntl.h`],
  },
  {
    name: "eventfd, timerfd, clocks",
    match: /^(EFD_|TFD_|CLOCK_)/,
    headers: [
      `${ARCH}/sys/eventfd.h`,
      `${ARCH}/bits/eventfd.h`,
      `${ARCH}/sys/timerfd.h`,
      `${ARCH}/bits/timerfd.h`,
      `${ARCH}/bits/time.h`,
    ],
  },
  {
    name: "poll, select, rlimit",
    match: /^(POLL|FD_SETSIZE$|RLIMIT_)/,
    headers: [
      `${ARCH}/bits/poll.h`,
      `${ARCH}/sys/select.h`,
      `${ARCH}/bits/typesizes.h`,
      `${ARCH}/bits/resource.h`,
    ],
  },
];

const exported = Object.entries(constants) as Array<[string, number]>;

function missing(files: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      return !Deno.statSync(f).isFile;
    } catch {
      return true;
    }
  });
}

function testGroup(name: string, headers: string[], expected: Array<[string, number]>): void {
  const absent = missing(headers);
  Deno.test({
    name: `constants match the headers: ${name}` +
      (absent.length ? ` (ignored: ${absent.join(", ")} absent)` : ""),
    ignore: absent.length > 0,
    fn(): void {
      assert(expected.length > 0, `no constants in group ${name}`);
      const defs = readHeaders(headers);
      const wrong = expected
        .map(([key, value]) => ({
          key,
          value,
          header: Number(evaluate(key, defs)),
          file: defs.get(key)?.file,
        }))
        .filter((c) => c.value !== c.header);
      assertEquals(wrong, [], `constants differing from ${headers.join(", ")}`);
    },
  });
}

for (const group of groups) {
  testGroup(group.name, group.headers, exported.filter(([key]) => group.match.test(key)));
}

testGroup("errno", [`${INC}/asm-generic/errno-base.h`, `${INC}/asm-generic/errno.h`], [
  ...Object.entries(errnoNumbers),
  ["EAGAIN", EAGAIN],
  ["EINTR", EINTR],
  ["EINPROGRESS", EINPROGRESS],
  ["EWOULDBLOCK", EAGAIN], // Linux: the same number, so WOULD_BLOCK covers both
]);

Deno.test("every exported constant belongs to exactly one header group", () => {
  const unmatched = exported.filter(([key]) => groups.filter((g) => g.match.test(key)).length !== 1);
  assertEquals(unmatched.map(([key]) => key), []);
  assert(exported.length >= 60, `only ${exported.length} exports: did the import break?`);
});

Deno.test("every constant is a non-negative integer; EPOLLET is 2**31", () => {
  const bad = exported.filter(([, value]) => !Number.isSafeInteger(value) || value < 0);
  assertEquals(bad, []);
  assertEquals(constants.EPOLLET, 2 ** 31);
  assertEquals(constants.EPOLLET, 0x80000000);
  assert((constants.EPOLLIN | constants.EPOLLET) < 0, "JS | makes a negative int32");
  assertEquals((constants.EPOLLIN | constants.EPOLLET) >>> 0, 0x80000001);
});

Deno.test("errno names round-trip, unknown numbers get E<n>", () => {
  for (const [name, n] of Object.entries(errnoNumbers)) assertEquals(errnoName(n), name);
  assertEquals(
    new Set(Object.values(errnoNumbers)).size,
    Object.keys(errnoNumbers).length,
    "duplicate numbers",
  );
  assertEquals(errnoName(EAGAIN), "EAGAIN");
  assertEquals(errnoName(9999), "E9999");
});

// ------------------------------------------------------------ errno numbers live in ffi/errno.ts only

Deno.test("every errno name is exported as a constant with the table's number", async () => {
  const errno = await import("../ffi/errno.ts");
  const ffi = await import("../ffi/mod.ts");
  for (const [name, n] of Object.entries(errnoNumbers)) {
    assertEquals((errno as Record<string, unknown>)[name], n, `errno.ts ${name}`);
    assertEquals((ffi as Record<string, unknown>)[name], n, `@libc/epoll/ffi ${name}`);
  }
  assert(Object.isFrozen(errnoNumbers), "the table can be renumbered at run time");
});

Deno.test("isErrno matches by name, through `cause`, and refuses unknown names", () => {
  const ebadf = new ErrnoError("close", errnoNumbers.EBADF);
  assert(isErrno(ebadf, "EBADF"));
  assert(isErrno(ebadf, "EAGAIN", "EBADF"));
  assert(isErrno(ebadf), "no names: any ErrnoError");
  assert(!isErrno(ebadf, "EAGAIN"));
  assert(isErrno(new Deno.errors.BadResource("closed", { cause: ebadf }), "EBADF"), "one level of cause");
  assert(!isErrno(new Error("plain"), "EBADF"));
  for (const other of [null, undefined, 9, "EBADF", { errno: 9 }]) assert(!isErrno(other, "EBADF"));
  const loop = new Error("a cause cycle");
  loop.cause = loop;
  assert(!isErrno(loop, "EBADF"), "a cycle ends");
  assertThrows(() => isErrno(ebadf, "EBOGUS" as ErrnoName), TypeError, "not an errno name");
  assertThrows(() => isErrno(ebadf, "toString" as ErrnoName), TypeError, "not an errno name");
});

// Shapes in which an errno number gets retyped: a comparison with errno, a
// constant named like an errno, a table entry, a Set or array of them.
const ERRNO_NAMES = [...Object.keys(errnoNumbers), "EWOULDBLOCK", "EDEADLOCK", "ENOTSUP"].join("|");
const ERRNO_LITERALS: RegExp[] = [
  /errno\w*(?:\(\))?\s*[!=]==?\s*-?[1-9]\d*\b/i, // errno === 24, lastErrno() !== 4 (0 is "no error")
  /\b[1-9]\d*\s*[!=]==?\s*[\w.]*errno\b/i, // 24 === err.errno
  new RegExp(`\\b(?:const|let|var)\\s+(?:${ERRNO_NAMES})\\b\\s*(?::[^=]+)?=\\s*\\d`), // const EBADF = 9
  new RegExp(`["']?\\b(?:${ERRNO_NAMES})["']?\\s*:\\s*\\d+\\s*[,}]`), // { EAGAIN: 11 }
  /errno\w*\s*=\s*new Set\(\[\s*\d/i, // RETRY_ERRNOS = new Set([103, ...
  /\[\s*\d+\s*(?:\/\*[^*]*\*\/\s*)?,[^\]]*\]\.includes\([^)]*errno/i, // [103, 71].includes(err.errno)
  /case\s+\d+\s*:\s*\/[/*]\s*E[A-Z]{3,}/, // case 11: // EAGAIN
];

function errnoLiterals(line: string): boolean {
  return ERRNO_LITERALS.some((re) => re.test(line));
}

Deno.test("the errno-literal patterns catch the known shapes and leave other constants alone", () => {
  for (
    const bad of [
      "if (err.errno === 24) shed();",
      "if (lastErrno() !== 4) throw",
      "const RETRY_ERRNOS = new Set([103, /* ECONNABORTED */ 71, /* EPROTO */ 1 /* EPERM */]);",
      "const EBADF = 9;",
      "const ENOENT: number = 2;",
      "  EAGAIN: 11,",
      "if ([103, 71].includes(err.errno)) continue;",
      "if (24 === e.errno) return;",
    ]
  ) assert(errnoLiterals(bad), `not caught: ${bad}`);
  for (
    const good of [
      "export const EPOLLIN = 0x001;",
      "const EPOLL_CLOEXEC = 0x80000;",
      'if (isErrno(err, "EMFILE")) shed();',
      "if (err.errno === EAGAIN) return WOULD_BLOCK;",
      "const SETTLE_TURNS = 8;",
      "const RETRY = new Set([ECONNABORTED, EPROTO, EPERM]);",
      'return errno === 0 ? null : new ErrnoError("connect", errno);',
    ]
  ) assert(!errnoLiterals(good), `false positive: ${good}`);
});

const ERRNO_HOME = "ffi/errno.ts";
const SCANNED_DIRS = ["ffi", "epoll", "reactor", "net", "examples"];

async function* tsFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) yield* tsFiles(new URL(`${entry.name}/`, dir));
    else if (entry.isFile && entry.name.endsWith(".ts")) yield new URL(entry.name, dir);
  }
}

Deno.test("no errno number is written outside ffi/errno.ts (names from the one table instead)", async () => {
  const root = new URL("../", import.meta.url);
  const found: string[] = [];
  let scanned = 0;
  for (const dir of SCANNED_DIRS) {
    for await (const file of tsFiles(new URL(`${dir}/`, root))) {
      const path = file.href.slice(root.href.length);
      if (path === ERRNO_HOME) continue;
      scanned++;
      (await Deno.readTextFile(file)).split("\n").forEach((line, i) => {
        if (errnoLiterals(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert(scanned > 20, `only ${scanned} files scanned`);
  assertEquals(found, [], "use the named constants or isErrno() from ffi/errno.ts");
});
