/**
 * The runner of `bench/ffi_c.c`: compiles it with `cc -O2` into
 * `bench/.build/` (again only when the source is newer than the binary), runs
 * it, and returns its ns-per-iteration figures, or `null` without a `cc`.
 *
 * Also the one list of the operations that `ffi_bench.ts` and `ffi_ratio.ts`
 * name, so the bench names and the C keys cannot drift apart.
 *
 * Standalone: `deno run --allow-run --allow-read --allow-write=bench/.build bench/ffi_c.ts`
 *
 * @module
 */

/** The operations measured on both sides: the C program's JSON key and a label. */
export const OPS = [
  { key: "write_read_64", label: "write+read 64 B, AF_UNIX socketpair" },
  { key: "epoll_wait_64", label: "epoll_wait, 64 ready eventfds (LT), decode all" },
] as const;

/** A C JSON key. */
export type OpKey = (typeof OPS)[number]["key"];

/** The two Deno variants of each operation: through ffi/calls.ts, or the bare `libc` symbols. */
export const VARIANTS = { wrappers: "ffi wrappers", raw: "raw libc symbols" } as const;

/** The `Deno.bench` name of an operation's variant. */
export function benchName(label: string, variant: keyof typeof VARIANTS): string {
  return `${label}: ${VARIANTS[variant]}`;
}

/** What the C program prints per operation (ns per iteration). */
export interface CStats {
  /** Mean of the timed rounds. */
  avg: number;
  /** Fastest round. */
  min: number;
  /** Median round. */
  p50: number;
  /** Iterations timed, over all rounds. */
  iterations: number;
}

const SOURCE = new URL("ffi_c.c", import.meta.url).pathname;
const BUILD_DIR = new URL(".build/", import.meta.url).pathname;
const BINARY = `${BUILD_DIR}ffi_c`;

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const text = new TextDecoder();
  return { ok: out.success, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Whether a C compiler answers as `cc`. */
export function haveCc(): boolean {
  try {
    return run("cc", ["--version"]).ok;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Compiles the C benchmark if needed; returns the binary's path. */
export function buildC(): string {
  if (mtime(BINARY) > mtime(SOURCE)) return BINARY;
  Deno.mkdirSync(BUILD_DIR, { recursive: true });
  const cc = run("cc", ["-O2", "-Wall", "-Wextra", "-o", BINARY, SOURCE]);
  if (!cc.ok) throw new Error(`cc failed on ${SOURCE}:\n${cc.stderr}`);
  return BINARY;
}

/** Builds and runs the C benchmark; `null` when there is no `cc`. */
export function runC(): Record<OpKey, CStats> | null {
  if (!haveCc()) return null;
  const result = run(buildC(), []);
  if (!result.ok) throw new Error(`${BINARY} failed:\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as Record<OpKey, CStats>;
  for (const { key } of OPS) {
    if (typeof parsed[key]?.avg !== "number") {
      throw new Error(`${BINARY} printed no "${key}": ${result.stdout}`);
    }
  }
  return parsed;
}

if (import.meta.main) {
  const results = runC();
  console.log(results === null ? "no `cc` on PATH: C benchmark skipped" : JSON.stringify(results, null, 2));
}
