/** Describes the machine and the runtimes, so that results can be compared across hosts. */
import { runToEnd } from "./child.ts";

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  deno: string;
  node: string | null;
  go: string | null;
}

function cpuModel(): string {
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    return m ? m[1].trim() : "unknown";
  } catch {
    return "unknown";
  }
}

async function versionOf(argv: string[]): Promise<string | null> {
  const r = await runToEnd(argv, {}, 10_000);
  return r.ok ? r.output.trim().split("\n")[0] : null;
}

export async function describeMachine(): Promise<Machine> {
  return {
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    node: await versionOf(["node", "--version"]),
    go: (await versionOf(["go", "version"]))?.replace(/^go version /, "") ?? null,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, Linux ${m.kernel}; Deno ${m.deno}, Node ${m.node ?? "absent"}, ` +
    `Go ${m.go ?? "absent"}`;
}
