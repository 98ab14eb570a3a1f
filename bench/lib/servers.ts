/** The servers under test, and the reasons some of them cannot run here. */
import type { Builds } from "./build.ts";
import type { ServerSpec, Skipped } from "./types.ts";

export const SERVER_NAMES = ["c", "epoll-et", "epoll-lt", "deno-listen", "node-net", "go-net"];

/** The third-party peers that "cheapest peer" targets compare against. */
export const PEERS = ["deno-listen", "node-net", "go-net"];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function ours(mode: "et" | "lt"): ServerSpec {
  const argv = [Deno.execPath(), "run", "--allow-ffi", "--allow-env", "--allow-read", "examples/echo.ts"];
  return { name: `epoll-${mode}`, argv: [...argv, "--port", "0", "--mode", mode], ours: true };
}

function peer(name: string, argv: string[], env?: Record<string, string>): ServerSpec {
  return { name, argv: [...argv, "--port", "0", "--hostname", "127.0.0.1"], env, ours: false };
}

/** All servers that can run, plus skip notes for the rest (in SERVER_NAMES order). */
export async function serverSpecs(
  root: string,
  builds: Builds,
  nodeVersion: string | null,
): Promise<{ servers: ServerSpec[]; skipped: Skipped[] }> {
  const servers: ServerSpec[] = [];
  const skipped = [...builds.skipped];
  if (builds.echoC) {
    servers.push({ name: "c", argv: [builds.echoC, "--port", "0", "--mode", "et"], ours: false });
  }
  if (await exists(`${root}/examples/echo.ts`)) servers.push(ours("et"), ours("lt"));
  else {
    for (const mode of ["et", "lt"]) {
      skipped.push({ name: `epoll-${mode}`, reason: "examples/echo.ts not found" });
    }
  }
  servers.push(peer("deno-listen", [Deno.execPath(), "run", "--allow-net", "bench/peers/deno_listen.ts"]));
  if (nodeVersion) servers.push(peer("node-net", ["node", "bench/peers/node_net.mjs"]));
  else skipped.push({ name: "node-net", reason: "`node` not found" });
  // GOMAXPROCS=1: one thread running Go code, like the single-threaded event loops it is compared to.
  if (builds.goNet) servers.push(peer("go-net", [builds.goNet], { GOMAXPROCS: "1" }));
  const order = (n: string): number => SERVER_NAMES.indexOf(n);
  skipped.sort((a, b) => order(a.name) - order(b.name));
  return { servers, skipped };
}
