/** Builds the native pieces of the benchmark into bench/.build/: loadgen, the C echo server, go_net. */
import { runToEnd } from "./child.ts";
import type { Skipped } from "./types.ts";

export interface Builds {
  loadgen: string;
  /** bench/.build/echo, or null when its source is missing or did not compile. */
  echoC: string | null;
  goNet: string | null;
  skipped: Skipped[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The first C compiler that runs, or null. */
export async function findCc(): Promise<string | null> {
  for (const cc of ["cc", "gcc", "clang"]) {
    if ((await runToEnd([cc, "--version"], {}, 10_000)).ok) return cc;
  }
  return null;
}

async function compileC(cc: string, root: string, src: string, out: string): Promise<string | null> {
  const r = await runToEnd([cc, "-O2", "-Wall", "-Wextra", "-o", out, src], { cwd: root });
  return r.ok ? null : `${cc} failed on ${src}:\n${r.output}`;
}

async function buildGo(root: string, out: string): Promise<string | null> {
  if (!(await runToEnd(["go", "version"], {}, 10_000)).ok) {
    return "`go` not found (apt-get install golang-go), go-net skipped";
  }
  // GOTOOLCHAIN=local: never try to download a toolchain (no network here, and no surprises).
  const env: Record<string, string> = { GOTOOLCHAIN: "local", CGO_ENABLED: "0" };
  if (!Deno.env.get("HOME")) env.GOCACHE = `${root}/bench/.build/gocache`;
  const r = await runToEnd(["go", "build", "-o", out, "bench/peers/go_net/main.go"], { cwd: root, env });
  return r.ok ? null : `go build failed:\n${r.output}`;
}

/** Builds everything; throws only if the load generator itself cannot be built. */
export async function buildAll(cc: string, root: string, echoSrc: string): Promise<Builds> {
  const dir = `${root}/bench/.build`;
  await Deno.mkdir(dir, { recursive: true });
  const loadgenError = await compileC(cc, root, "bench/loadgen.c", `${dir}/loadgen`);
  if (loadgenError) throw new Error(loadgenError);
  const skipped: Skipped[] = [];
  let echoC: string | null = `${dir}/echo`;
  const echoError = (await exists(`${root}/${echoSrc}`) || await exists(echoSrc))
    ? await compileC(cc, root, echoSrc, echoC)
    : `${echoSrc} not found (ratios vs C will be missing)`;
  if (echoError) skipped.push({ name: "c", reason: echoError }), echoC = null;
  const goError = await buildGo(root, `${dir}/go_net`);
  if (goError) skipped.push({ name: "go-net", reason: goError });
  return { loadgen: `${dir}/loadgen`, echoC, goNet: goError ? null : `${dir}/go_net`, skipped };
}
