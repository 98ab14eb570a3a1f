/**
 * The servers the stress harness can start, how each one shares a port
 * between processes, and the native builds (the client, echo.c, the Go peer)
 * compiled into bench/.build on the fly (`lib/build.ts`).
 *
 * @module
 */

import { buildGo, compileC } from "../lib/build.ts";

/** Server names, as in bench/echo.ts where they overlap. */
export const SERVER_NAMES = [
  "epoll-et",
  "epoll-lt",
  "c",
  "go-net",
  "node-net",
  "net-receive",
  "net-pipe",
  "net-buffer",
  "net-reader",
  "net-small",
] as const;
/** One of {@linkcode SERVER_NAMES}. */
export type ServerName = typeof SERVER_NAMES[number];

/**
 * How K processes of a server split the load: `reuseport`, all on one port
 * (SO_REUSEPORT; the kernel hashes each connection to a listener), or
 * `ports`, one port each (every client process targets one server: an exact
 * split, and it needs nothing of the server).
 */
export type Spread = "reuseport" | "ports";

/** A server ready to start: argv for a port, and whether it can share one. */
export interface ServerPlan {
  name: ServerName;
  /** The argv for one process on `port` (0: any), sharing it when `share`. */
  argv: (port: number, share: boolean) => string[];
  /** How it shares a port: its own flag, `--workers 2` (echo.ts before --reuse-port), or not at all. */
  sharing: "--reuse-port" | "--workers 2" | null;
  env?: Record<string, string>;
  /** One of this package's servers (the targets apply to these). */
  ours: boolean;
  /** It prints its live heap on SIGUSR2 (bench/stress/net_echo.ts). */
  heap?: boolean;
}

/** Paths of what was built. */
export interface Builds {
  client: string;
  echoC: string | null;
  goNet: string | null;
  notes: string[];
}

/** Builds the client (required), and echo.c (from `codeRoot`) and the Go peer when `want` names them. */
export async function buildNative(codeRoot: string, want: Set<ServerName>): Promise<Builds> {
  const client = await compileC("bench/stress/client.c", "client");
  const notes: string[] = [];
  const echoC = want.has("c")
    ? await compileC(`${codeRoot}/examples/echo.c`, "stress_echo_c").catch((e) => void notes.push(e.message))
    : undefined;
  const go = want.has("go-net") ? await buildGo() : { reason: "" };
  if ("reason" in go && want.has("go-net")) notes.push(`the Go peer did not build: ${go.reason}`);
  return { client, echoC: echoC ?? null, goNet: "path" in go ? go.path : null, notes };
}

function mentions(path: string, flag: string): boolean {
  try {
    return Deno.readTextFileSync(path).includes(flag);
  } catch {
    return false;
  }
}

/** The plan for `name`, or an error message when it cannot run here. */
export function planServer(name: ServerName, root: string, builds: Builds): ServerPlan | string {
  const deno = Deno.execPath();
  switch (name) {
    case "epoll-et":
    case "epoll-lt": {
      // The echo task's command, run directly: `deno task` would add a process (and its RSS) per server.
      const base = [deno, "run", "--allow-ffi", "--allow-read", "examples/echo.ts", "--mode", name.slice(6)];
      const flagged = mentions(`${root}/examples/echo.ts`, '"reuse-port"');
      const sharing = flagged ? "--reuse-port" : "--workers 2";
      return {
        name,
        ours: true,
        sharing,
        argv: (port, share) => [...base, "--port", String(port), ...(share ? sharing.split(" ") : [])],
      };
    }
    case "c": {
      if (builds.echoC === null) return "examples/echo.c did not build";
      const echoC = builds.echoC;
      const sharing = mentions(`${root}/examples/echo.c`, '"--reuse-port"') ? "--reuse-port" : null;
      return {
        name,
        ours: false,
        sharing,
        argv: (port, share) => [echoC, "--port", String(port), ...(share && sharing ? [sharing] : [])],
      };
    }
    case "go-net": {
      if (builds.goNet === null) return "the Go peer did not build";
      const goNet = builds.goNet;
      return {
        name,
        ours: false,
        sharing: "--reuse-port",
        argv: (port, share) => [goNet, "--port", String(port), ...(share ? ["--reuse-port"] : [])],
      };
    }
    case "node-net":
      // Node 20's net.Server has no reusePort: one port per process.
      return {
        name,
        ours: false,
        sharing: null,
        argv: (port) => ["node", "bench/peers/node_net.mjs", "--port", String(port)],
      };
    case "net-receive":
    case "net-pipe":
    case "net-buffer":
    case "net-reader":
    case "net-small": {
      const idiom = name.slice(4);
      const script = `${root}/bench/stress/net_echo.ts`;
      const base = [deno, "run", "--allow-ffi", "--v8-flags=--expose-gc", script, "--idiom", idiom];
      return {
        name,
        ours: true,
        heap: true,
        sharing: "--reuse-port",
        argv: (port, share) => [...base, "--port", String(port), ...(share ? ["--reuse-port"] : [])],
      };
    }
  }
}
