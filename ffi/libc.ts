/**
 * Loads libc once, with the symbols of `symbols.ts`.
 *
 * The library is `libc.so.6` (glibc) unless the environment variable
 * {@linkcode LIBC_PATH_ENV} names another one by absolute path (musl, or a
 * scoped `--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6`). The variable is read
 * only when `--allow-env` already grants it, so `--allow-ffi` alone suffices.
 *
 * @module
 */

import { symbols } from "./symbols.ts";

/** Environment variable naming the libc to load, by absolute path. */
export const LIBC_PATH_ENV = "DENO_EPOLL_LIBC";

/** The file loaded when {@linkcode LIBC_PATH_ENV} is unset: glibc's soname. */
export const DEFAULT_LIBC = "libc.so.6";

/** The loaded symbols, called directly by the wrappers in `calls.ts`. */
export type LibcSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** Picks the library path: the env override when granted and set, else glibc. */
export function libcPath(): string {
  const status = Deno.permissions.querySync({ name: "env", variable: LIBC_PATH_ENV });
  const override = status.state === "granted" ? Deno.env.get(LIBC_PATH_ENV) : undefined;
  if (override === undefined || override === "") return DEFAULT_LIBC;
  if (!override.startsWith("/")) {
    throw new TypeError(`${LIBC_PATH_ENV} must be an absolute path, got "${override}"`);
  }
  return override;
}

function open(): Deno.DynamicLibrary<typeof symbols> {
  if (Deno.build.os !== "linux") {
    throw new Error(`@libc/epoll needs Linux (epoll is a Linux API); this is ${Deno.build.os}`);
  }
  const path = libcPath();
  try {
    return Deno.dlopen(path, symbols);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new Deno.errors.NotCapable(
        `@libc/epoll loads ${path} through FFI: run with --allow-ffi` +
          ` (or --allow-ffi=<absolute path> with ${LIBC_PATH_ENV}=<that path> and --allow-env=${LIBC_PATH_ENV})`,
        { cause: err },
      );
    }
    throw new Error(`@libc/epoll could not load ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** libc's symbols, loaded once per JS thread (each Worker loads its own). */
export const libc: LibcSymbols = open().symbols;
