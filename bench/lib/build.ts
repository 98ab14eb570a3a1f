/**
 * The native pieces of the benchmarks, built into bench/.build/: one way to
 * find a C compiler (`cc`, `gcc`, `clang`, the first that runs), C sources
 * rebuilt only when newer than their binary, and the Go peer; for bench:echo,
 * bench:reactor, bench (micro) and the stress harness alike.
 *
 * @module
 */

import { runToEnd } from "./proc.ts";

/** The repository root (no trailing slash). */
export const ROOT: string = decodeURIComponent(new URL("../..", import.meta.url).pathname).replace(/\/$/, "");
/** Where binaries go. */
export const BUILD: string = `${ROOT}/bench/.build`;

let cc: Promise<string | null> | null = null;

/** The first C compiler that runs, or null. */
export function findCc(): Promise<string | null> {
  return cc ??= (async () => {
    for (const name of ["cc", "gcc", "clang"]) {
      if ((await runToEnd([name, "--version"], {}, 10_000)).ok) return name;
    }
    return null;
  })();
}

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Builds `src` (relative to the root, or absolute) into bench/.build/`name` with -O2 unless it is up to date;
 * returns the binary. A source outside the root (another checkout's, whose mtimes say nothing) is always built.
 */
export async function compileC(src: string, name: string): Promise<string> {
  const out = `${BUILD}/${name}`;
  if (!src.startsWith("/") && mtime(out) > mtime(`${ROOT}/${src}`)) return out;
  const compiler = await findCc();
  if (compiler === null) throw new Error(`no C compiler (cc, gcc or clang) to build ${src}`);
  await Deno.mkdir(BUILD, { recursive: true });
  const r = await runToEnd([compiler, "-O2", "-Wall", "-Wextra", "-o", out, src], { cwd: ROOT });
  if (!r.ok) throw new Error(`${compiler} failed on ${src}:\n${r.output}`);
  return out;
}

/** Builds the Go echo peer; a string says why it cannot be built here. */
export async function buildGo(): Promise<{ path: string } | { reason: string }> {
  if (!(await runToEnd(["go", "version"], {}, 10_000)).ok) {
    return { reason: "`go` not found (apt-get install golang-go)" };
  }
  const path = `${BUILD}/go_net`;
  // GOTOOLCHAIN=local: never download a toolchain.
  const env: Record<string, string> = { GOTOOLCHAIN: "local", CGO_ENABLED: "0" };
  if (!Deno.env.get("HOME")) env.GOCACHE = `${BUILD}/gocache`;
  const r = await runToEnd(["go", "build", "-o", path, "bench/peers/go_net/main.go"], { cwd: ROOT, env });
  return r.ok ? { path } : { reason: `go build failed:\n${r.output}` };
}
