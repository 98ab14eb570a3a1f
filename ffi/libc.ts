/**
 * Loads libc once, with the symbols of `symbols.ts`.
 *
 * This module is internal: the table it loads is unchecked (any argument
 * reaches native code as given), so `@libc/epoll/ffi` exports only the
 * checked wrappers of `calls.ts`, never {@linkcode libc} itself.
 *
 * Which file, and how permission is obtained:
 * 1. {@linkcode LIBC_PATH_ENV}, when `--allow-env` already grants it and it
 *    is set: that absolute path (musl, or any other libc).
 * 2. With `--allow-ffi` granted: glibc's soname, `libc.so.6`, found by the
 *    dynamic loader.
 * 3. With a scoped `--allow-ffi=<path>`: the first of the usual absolute
 *    locations of glibc for this CPU that the grant covers.
 * 4. Otherwise, where Deno may prompt: the `ffi` permission is requested
 *    first, then the soname is loaded. (Handing the bare soname to a prompt
 *    would not work: Deno checks it as a path relative to the working
 *    directory, so a "yes" would load `./libc.so.6`, which does not exist.)
 *
 * @module
 */

import { symbols } from "./symbols.ts";

/**
 * Environment variable naming the libc to load, by absolute path. It is read
 * only when `--allow-env` already grants it (never a prompt), and only when
 * this package first loads libc. With it, `--allow-ffi` can be scoped to
 * that one file.
 *
 * ```ts
 * import { libcCandidates, LIBC_PATH_ENV } from "@libc/epoll/ffi";
 *
 * const path = libcCandidates().find((p) => {
 *   try {
 *     return Deno.statSync(p).isFile;
 *   } catch {
 *     return false;
 *   }
 * });
 * if (path !== undefined) {
 *   // A child process whose FFI grant covers only that file.
 *   const child = `import { eventfd, close, libcPath } from "${import.meta.resolve("@libc/epoll/ffi")}";
 *     close(eventfd());
 *     console.log(libcPath() === Deno.env.get("${LIBC_PATH_ENV}"));`;
 *   const { stdout } = await new Deno.Command(Deno.execPath(), {
 *     args: ["eval", `--allow-ffi=${path}`, `--allow-env=${LIBC_PATH_ENV}`, child],
 *     env: { [LIBC_PATH_ENV]: path },
 *   }).output();
 *   console.log(new TextDecoder().decode(stdout).trim()); // true
 * }
 * ```
 */
export const LIBC_PATH_ENV = "DENO_EPOLL_LIBC";

/**
 * glibc's soname: what the dynamic loader is asked for when no path is given.
 *
 * ```ts
 * import { DEFAULT_LIBC } from "@libc/epoll/ffi";
 *
 * // The dynamic loader finds the soname itself (ld.so.cache): no path needed.
 * const lib = Deno.dlopen(DEFAULT_LIBC, { strlen: { parameters: ["buffer"], result: "usize" } });
 * try {
 *   console.log(DEFAULT_LIBC, lib.symbols.strlen(new TextEncoder().encode("epoll\0"))); // libc.so.6 5n
 * } finally {
 *   lib.close();
 * }
 * ```
 */
export const DEFAULT_LIBC = "libc.so.6";

/** The loaded symbols, called directly by the wrappers in `calls.ts`. */
export type LibcSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

// Where distributions keep glibc: Debian and Ubuntu (multiarch), then Fedora,
// RHEL, SUSE (lib64), then Arch and others (lib).
const MULTIARCH: Record<string, string> = { x86_64: "x86_64-linux-gnu", aarch64: "aarch64-linux-gnu" };

/**
 * The usual absolute paths of glibc for `arch` (as in `Deno.build.arch`),
 * most common first: where a scoped `--allow-ffi=<path>` is matched.
 *
 * ```ts
 * import { libcCandidates } from "@libc/epoll/ffi";
 *
 * console.log(libcCandidates("aarch64")[0]); // /lib/aarch64-linux-gnu/libc.so.6
 * const here = libcCandidates().find((path) => {
 *   try {
 *     return Deno.statSync(path).isFile;
 *   } catch {
 *     return false;
 *   }
 * });
 * console.log(here === undefined || here.endsWith("libc.so.6")); // true
 * ```
 */
export function libcCandidates(arch: string = Deno.build.arch): string[] {
  if (typeof arch !== "string") throw new TypeError(`arch must be a string such as "x86_64"`);
  const triple = Object.hasOwn(MULTIARCH, arch) ? MULTIARCH[arch] : undefined;
  const multiarch = triple === undefined ? [] : [`/lib/${triple}/libc.so.6`, `/usr/lib/${triple}/libc.so.6`];
  return [...multiarch, "/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/usr/lib/libc.so.6", "/lib/libc.so.6"];
}

/** The env override, when granted and set: an absolute path, else undefined. */
function envOverride(): string | undefined {
  const status = Deno.permissions.querySync({ name: "env", variable: LIBC_PATH_ENV });
  const override = status.state === "granted" ? Deno.env.get(LIBC_PATH_ENV) : undefined;
  if (override === undefined || override === "") return undefined;
  if (!override.startsWith("/")) {
    throw new TypeError(`${LIBC_PATH_ENV} must be an absolute path, got "${override}"`);
  }
  return override;
}

/**
 * The library path to load without prompting: the env override when granted
 * and set, else the soname. {@linkcode libc} is loaded by the same rules plus
 * the scoped-grant and prompt steps of the module doc. Useful to
 * `Deno.dlopen` a symbol this package does not wrap from the same libc.
 *
 * ```ts
 * import { libcPath } from "@libc/epoll/ffi";
 *
 * const lib = Deno.dlopen(libcPath(), { getpid: { parameters: [], result: "i32" } });
 * try {
 *   console.log(lib.symbols.getpid() === Deno.pid); // true
 * } finally {
 *   lib.close();
 * }
 * ```
 */
export function libcPath(): string {
  return envOverride() ?? DEFAULT_LIBC;
}

function granted(path?: string): boolean {
  const desc: Deno.PermissionDescriptor = path === undefined ? { name: "ffi" } : { name: "ffi", path };
  return Deno.permissions.querySync(desc).state === "granted";
}

function notCapable(path: string, cause?: unknown): Deno.errors.NotCapable {
  return new Deno.errors.NotCapable(
    `@libc/epoll loads ${path} through FFI: run with --allow-ffi` +
      ` (or --allow-ffi=<absolute path> with ${LIBC_PATH_ENV}=<that path> and --allow-env=${LIBC_PATH_ENV})`,
    { cause },
  );
}

function load(path: string): Deno.DynamicLibrary<typeof symbols> {
  try {
    return Deno.dlopen(path, symbols);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw notCapable(path, err);
    }
    throw new Error(`@libc/epoll could not load ${path}: ${(err as Error).message}`, { cause: err });
  }
}

// A scoped grant: the first usual location it covers that loads.
function loadScoped(): Deno.DynamicLibrary<typeof symbols> | null {
  for (const path of libcCandidates()) {
    if (!granted(path)) continue;
    try {
      return Deno.dlopen(path, symbols);
    } catch {
      // not at this location on this system: try the next
    }
  }
  return null;
}

function open(): Deno.DynamicLibrary<typeof symbols> {
  if (Deno.build.os !== "linux") {
    throw new Error(`@libc/epoll needs Linux (epoll is a Linux API); this is ${Deno.build.os}`);
  }
  const override = envOverride();
  if (override !== undefined) return load(override);
  if (granted()) return load(DEFAULT_LIBC);
  const scoped = loadScoped();
  if (scoped !== null) return scoped;
  // Prompts when Deno may (a TTY, no --no-prompt); "denied" otherwise.
  let answer: Deno.PermissionState;
  try {
    answer = Deno.permissions.requestSync({ name: "ffi" }).state;
  } catch (err) {
    throw notCapable(DEFAULT_LIBC, err);
  }
  if (answer !== "granted") throw notCapable(DEFAULT_LIBC);
  return load(DEFAULT_LIBC);
}

/**
 * libc's raw symbols, loaded once per JS thread (each Worker loads its own).
 * Unchecked: internal to the package, never exported from `@libc/epoll/ffi`.
 */
export const libc: LibcSymbols = open().symbols;
