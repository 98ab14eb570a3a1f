/**
 * The kernel settings that could stop N connections on one machine: checked
 * before a run, changed only with `--tune` (as root), and always restored.
 *
 * @module
 */

/** One setting, as read, and what the run needs of it. */
export interface SysctlCheck {
  name: string;
  value: string;
  /** What the run needs, in words. */
  need: string;
  ok: boolean;
  /** The value `--tune` would set, when it can be fixed. */
  fix?: string;
}

/** A setting changed by the harness, with the value to put back. */
export interface SysctlChange {
  name: string;
  old: string;
  now: string;
}

const path = (name: string): string => `/proc/sys/${name.replaceAll(".", "/")}`;

/** A sysctl's value (whitespace collapsed), or null when absent (e.g. conntrack not loaded). */
export function readSysctl(name: string): string | null {
  try {
    return Deno.readTextFileSync(path(name)).trim().split(/\s+/).join(" ");
  } catch {
    return null;
  }
}

function nums(name: string): number[] {
  return (readSysctl(name) ?? "").split(" ").map(Number);
}

/**
 * What N connections (both ends on this machine, `perSource` per source
 * address) need: 2N fds machine-wide, a port range wider than `perSource`, an
 * accept queue for `inFlight` handshakes per listener, and TCP memory for
 * `beatsInFlight` heartbeats waiting at once.
 */
export function checkSysctls(
  conns: number,
  perSource: number,
  inFlight: number,
  beatsInFlight: number,
): SysctlCheck[] {
  const out: SysctlCheck[] = [];
  const [lo, hi] = nums("net.ipv4.ip_local_port_range");
  out.push({
    name: "net.ipv4.ip_local_port_range",
    value: `${lo} ${hi}`,
    need: `≥ 2 × ${perSource} (connections per source address; connect() tries odd ports first)`,
    ok: hi - lo + 1 >= 2 * perSource,
    fix: "1024 65535",
  });
  const somaxconn = nums("net.core.somaxconn")[0];
  out.push({
    name: "net.core.somaxconn",
    value: String(somaxconn),
    need: `≥ ${inFlight} (handshakes in flight per listener at most)`,
    ok: somaxconn >= inFlight,
    fix: String(Math.max(4096, inFlight)),
  });
  const synBacklog = nums("net.ipv4.tcp_max_syn_backlog")[0];
  out.push({
    name: "net.ipv4.tcp_max_syn_backlog",
    value: String(synBacklog),
    need: `≥ ${inFlight} (SYN_RECV per listener; syncookies cover the rest)`,
    ok: synBacklog >= inFlight || readSysctl("net.ipv4.tcp_syncookies") === "1",
  });
  // Loopback hands every packet to the sending CPU's backlog; past netdev_max_backlog it is dropped,
  // and with 100 processes on 2 cores ksoftirqd drains it late: bursts of heartbeats overflow it.
  const backlog = nums("net.core.netdev_max_backlog")[0];
  const burst = Math.min(conns, beatsInFlight);
  out.push({
    name: "net.core.netdev_max_backlog",
    value: String(backlog),
    need: `≥ ${burst} (heartbeats one burst can queue on a CPU)`,
    ok: backlog >= burst,
    fix: String(Math.max(backlog, burst)),
  });
  const fileMax = nums("fs.file-max")[0];
  const files = 2 * conns + 50_000;
  out.push({
    name: "fs.file-max",
    value: String(fileMax),
    need: `≥ ${files} (both ends' sockets and the rest of the machine)`,
    ok: fileMax >= files,
    fix: String(files + 500_000),
  });
  // Idle sockets hold ~no buffer pages; a heartbeat waiting in a socket holds ~1 page at each end.
  const [, pressure, max] = nums("net.ipv4.tcp_mem");
  const pagesNeeded = 2 * Math.min(conns, beatsInFlight) + 10_000;
  out.push({
    name: "net.ipv4.tcp_mem",
    value: readSysctl("net.ipv4.tcp_mem") ?? "?",
    need: `pressure > ~${pagesNeeded} pages (~1 page per end per heartbeat in flight)`,
    ok: pressure > pagesNeeded,
    fix: `${Math.max(pressure, pagesNeeded * 2)} ${Math.max(pressure, pagesNeeded * 3)} ${
      Math.max(max, pagesNeeded * 4)
    }`,
  });
  const conntrackMax = readSysctl("net.netfilter.nf_conntrack_max");
  const tracked = readSysctl("net.netfilter.nf_conntrack_count");
  if (conntrackMax !== null) {
    out.push({
      name: "net.netfilter.nf_conntrack_max",
      value: `${conntrackMax} (tracking ${tracked} now)`,
      need: `≥ ${conns} if loopback is tracked (count 0 at rest: not tracked)`,
      ok: Number(conntrackMax) >= conns || Number(tracked) === 0,
    });
  }
  return out;
}

/** Sets each failed check's fix (root only); returns what changed, for `restoreSysctls`. */
export function tuneSysctls(checks: SysctlCheck[]): SysctlChange[] {
  const changed: SysctlChange[] = [];
  for (const c of checks) {
    if (c.ok || c.fix === undefined) continue;
    const old = readSysctl(c.name)!;
    Deno.writeTextFileSync(path(c.name), c.fix);
    changed.push({ name: c.name, old, now: readSysctl(c.name)! });
  }
  return changed;
}

/** Puts back every value `tuneSysctls` changed; errors are reported, not thrown (this runs in finally). */
export function restoreSysctls(changed: SysctlChange[]): string[] {
  const problems: string[] = [];
  for (const c of changed.reverse()) {
    try {
      Deno.writeTextFileSync(path(c.name), c.old);
    } catch (err) {
      problems.push(`could not restore ${c.name}=${c.old}: ${err instanceof Error ? err.message : err}`);
    }
  }
  changed.length = 0;
  return problems;
}
