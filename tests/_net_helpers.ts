/**
 * Fixtures for the net-layer and echo-server tests: deterministic payloads,
 * byte-exact stream checks, bounded waits, a spawner that waits for a
 * server's `listening on HOST:PORT` line (and always kills the whole process
 * group), process-tree and VmRSS lookups, and RST-ing clients.
 *
 * /proc is read through `cat` in a subprocess: Deno 2 refuses `/proc` reads
 * without `--allow-all`, and the test task grants only `--allow-run` for it.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  AF_INET,
  close,
  connect,
  encodeIp,
  send,
  setsockopt,
  SO_LINGER,
  SOCK_STREAM,
  socket,
  SOL_SOCKET,
} from "../ffi/mod.ts";

/** The repository root (where deno.json is): the cwd for `deno task`. */
export const REPO_ROOT: string = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** `KiB` and `MiB` in bytes, for readable sizes. */
export const KiB = 1024;
/** One mebibyte. */
export const MiB = 1024 * KiB;

/** Something with `Deno.Conn`'s `read` (ours or Deno's). */
export interface Reader {
  read(p: Uint8Array): Promise<number | null>;
}

/** Something with `Deno.Conn`'s `write`. */
export interface Writer {
  write(p: Uint8Array): Promise<number>;
}

// ---------------------------------------------------------------- payloads

/** `size` pseudo-random bytes from `seed` (xorshift32: fast, and a failure reproduces from its seed). */
export function payload(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** `count` sizes from 1 byte to `max`, log-uniform: many small payloads, a few near `max`. */
export function payloadSizes(count: number, max: number, seed: number): number[] {
  const random = payload(count * 4, seed);
  const view = new DataView(random.buffer);
  const bits = Math.log2(max);
  return Array.from({ length: count }, (_, i) => {
    const u = view.getUint32(i * 4) / 2 ** 32;
    return Math.max(1, Math.min(max, Math.round(2 ** (u * bits))));
  });
}

/** Writes all of `data` with `write` (which may write partially), in `chunk`-byte calls. */
export async function writeAll(w: Writer, data: Uint8Array, chunk = 256 * KiB): Promise<void> {
  for (let off = 0; off < data.byteLength;) {
    off += await w.write(data.subarray(off, Math.min(off + chunk, data.byteLength)));
  }
}

/**
 * Reads `r` to EOF, checking every byte against `expected` as it arrives (no
 * second copy of big payloads), and that the stream ends exactly at its end.
 */
export async function readAndCompare(r: Reader, expected: Uint8Array, bufSize = 64 * KiB): Promise<void> {
  const buf = new Uint8Array(bufSize);
  let off = 0;
  for (let n; (n = await r.read(buf)) !== null;) {
    assert(off + n <= expected.byteLength, `got ${off + n} bytes, expected ${expected.byteLength}`);
    const at = firstMismatch(buf.subarray(0, n), expected.subarray(off, off + n));
    assert(at < 0, `byte ${off + at} differs`);
    off += n;
  }
  assertEquals(off, expected.byteLength, "stream ended early");
}

function firstMismatch(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Reads `r` to EOF and returns everything it gave. */
export async function readAll(r: Reader): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * KiB);
  for (let n; (n = await r.read(buf)) !== null;) chunks.push(buf.slice(0, n));
  return concat(chunks);
}

/** Reads exactly `n` bytes (rejects on an early EOF). */
export async function readExactly(r: Reader, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let off = 0; off < n;) {
    const got = await r.read(out.subarray(off));
    if (got === null) throw new Error(`EOF after ${off} of ${n} bytes`);
    off += got;
  }
  return out;
}

/** The chunks, joined. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------- time

export { deadline, delay } from "./_helpers.ts";
import { deadline, delay } from "./_helpers.ts";

/** What a read settled with within `ms`: a count, null (EOF), an error's name, or "timeout". */
export async function readOutcome(r: Reader, ms: number): Promise<number | null | string> {
  try {
    return await deadline(r.read(new Uint8Array(1024)), ms, "read");
  } catch (err) {
    return err instanceof Error && err.message.startsWith("timed out") ? "timeout" : (err as Error).name;
  }
}

// ---------------------------------------------------------------- RST

/** `struct linger { int l_onoff = 1; int l_linger = 0; }`: close() then sends RST instead of FIN. */
export const LINGER_ABORT: Uint8Array = new Uint8Array(new Int32Array([1, 0]).buffer);

/** Arms `fd` so that its close() resets the connection. */
export function armReset(fd: number): void {
  setsockopt(fd, SOL_SOCKET, SO_LINGER, LINGER_ABORT);
}

/**
 * A plain blocking client (ffi, no reactor) that connects to 127.0.0.1:port,
 * sends `data`, and aborts the connection with RST.
 */
export function resetClient(port: number, data: Uint8Array): void {
  const fd = socket(AF_INET, SOCK_STREAM);
  try {
    connect(fd, encodeIp("127.0.0.1", port));
    for (let off = 0; off < data.byteLength;) off += send(fd, data.subarray(off));
    armReset(fd);
  } finally {
    close(fd);
  }
}

// ---------------------------------------------------------------- processes

/** Lines of a child's stdout, read on demand. */
export class LineReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffered = "";
  #done = false;

  /** Decodes `stream` as UTF-8 lines. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line, or null at EOF. */
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        return line;
      }
      if (this.#done) return this.#takeRest();
      const { value, done } = await this.#reader.read();
      if (done) this.#done = true;
      else this.#buffered += value;
    }
  }

  #takeRest(): string | null {
    const rest = this.#buffered;
    this.#buffered = "";
    return rest === "" ? null : rest;
  }

  /** Every remaining line, up to EOF. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let line; (line = await this.next()) !== null;) lines.push(line);
    return lines;
  }

  /** Stops reading (for the error path: the stream must not be left open). */
  async cancel(): Promise<void> {
    if (!this.#done) await this.#reader.cancel().catch(() => {});
    this.#done = true;
  }
}

/** A spawned server that printed `listening on HOST:PORT`. */
export interface ListeningChild {
  readonly child: Deno.ChildProcess;
  readonly hostname: string;
  readonly port: number;
  /** stdout after the `listening` line. */
  readonly stdout: LineReader;
  /** All of stderr, once the child exits. */
  readonly stderr: Promise<string>;
}

/** How to spawn: args to `Deno.execPath()`, cwd (default REPO_ROOT), stdin. */
export interface SpawnOptions {
  cwd?: string;
  stdin?: "piped" | "null";
  /** How long to wait for the `listening` line (default 15 s). */
  timeoutMs?: number;
}

const LISTENING = /^listening on (.+):(\d+)$/;

/**
 * Starts `deno <args>` in the repo (or `options.cwd`) with stdout and stderr
 * piped, in its own process group so that `killTree` reaches every child.
 */
export function spawnDeno(args: string[], options: SpawnOptions = {}): Deno.ChildProcess {
  return spawnProgram(Deno.execPath(), args, options);
}

/** Like {@linkcode spawnDeno}, for any program (e.g. the compiled examples/echo.c). */
export function spawnProgram(program: string, args: string[], options: SpawnOptions = {}): Deno.ChildProcess {
  return new Deno.Command(program, {
    args,
    cwd: options.cwd ?? REPO_ROOT,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/**
 * Spawns `deno <args>` in its own process group (`detached`), so that
 * `killTree` reaches `deno task`'s grandchild too, and waits for its first
 * stdout line to be `listening on HOST:PORT`.
 */
export function spawnListening(args: string[], options: SpawnOptions = {}): Promise<ListeningChild> {
  return spawnListeningProgram(Deno.execPath(), args, options);
}

/** Like {@linkcode spawnListening}, for any program that prints `listening on HOST:PORT` first. */
export async function spawnListeningProgram(
  program: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<ListeningChild> {
  const child = spawnProgram(program, args, options);
  const stdout = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const line = await deadline(
      stdout.next(),
      options.timeoutMs ?? 15_000,
      `"listening on" from ${program} ${args.join(" ")}`,
    );
    const m = LISTENING.exec(line ?? "");
    if (m === null) throw new Error(`first line was ${JSON.stringify(line)}`);
    return { child, hostname: m[1], port: Number(m[2]), stdout, stderr };
  } catch (err) {
    await killTree(child);
    await stdout.cancel();
    throw new Error(`${(err as Error).message}; stderr: ${await stderr}`);
  }
}

/** How a server that was not meant to start ended. */
export interface FailedStart {
  /** Whether it printed `listening on` after all (it was then killed). */
  listened: boolean;
  /** Its exit code (137 when it was killed). */
  code: number;
  /** What it printed. */
  stdout: string;
  /** Its errors. */
  stderr: string;
}

/**
 * Runs `program args` until it exits or prints `listening on` (a start that
 * should have failed: it is killed at once), for at most `timeoutMs`. Its
 * process group is killed in any case.
 */
export async function runUnlessListening(
  program: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<FailedStart> {
  const child = spawnProgram(program, args);
  const stdout = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  try {
    const first = await deadline(stdout.next(), timeoutMs, `${program} ${args.join(" ")} to exit`) ?? "";
    const listened = LISTENING.test(first);
    if (listened) await killTree(child);
    const rest = await stdout.rest();
    const { code } = await deadline(child.status, timeoutMs, `${program} to exit`);
    return { listened, code, stdout: [first, ...rest].join("\n"), stderr: await stderr };
  } finally {
    await killTree(child);
    await stdout.cancel();
    await stderr;
  }
}

/**
 * Hands `server` to `drive`, then, whatever happened, kills its process
 * group and closes its pipes.
 */
export async function driveListening<T>(
  server: ListeningChild,
  drive: (server: ListeningChild) => Promise<T>,
): Promise<T> {
  try {
    return await drive(server);
  } finally {
    await killTree(server.child);
    await server.stdout.cancel();
    await server.stderr;
  }
}

/** SIGKILLs `child`'s whole process group (deno task's children included) and reaps it. Idempotent. */
export async function killTree(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch { /* the group is gone already */ }
  return await child.status;
}

/** One /proc/<pid>/stat line, the fields the tests use. */
export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
}

async function cat(shellGlob: string): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `cat ${shellGlob} 2>/dev/null`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** Every process's pid, ppid and comm, from /proc/[0-9]*\/stat. */
export async function processTable(): Promise<ProcStat[]> {
  const text = await cat("/proc/[0-9]*/stat");
  return text.split("\n").filter((l) => l !== "").map((line) => {
    // comm is in parentheses and may hold spaces or ")": split at the last ")".
    const close = line.lastIndexOf(")");
    const fields = line.slice(close + 2).split(" ");
    return {
      pid: Number(line.slice(0, line.indexOf(" "))),
      comm: line.slice(line.indexOf("(") + 1, close),
      ppid: Number(fields[1]),
    };
  });
}

/** The descendants of `pid` (not `pid` itself). */
export async function descendants(pid: number): Promise<ProcStat[]> {
  const table = await processTable();
  const found: ProcStat[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * The deno process that runs the script under `deno task` spawned as `pid`:
 * deno task runs it as a child (possibly via a shell), so take the one
 * descendant named deno.
 */
export async function taskScriptPid(pid: number): Promise<number> {
  const denos = (await descendants(pid)).filter((p) => p.comm === "deno");
  assertEquals(denos.length, 1, `expected one deno under ${pid}, got ${JSON.stringify(denos)}`);
  return denos[0].pid;
}

/** VmRSS of `pid` in bytes. */
export async function vmRss(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await cat(`/proc/${pid}/status`));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * KiB;
}

let clockTicks: number | undefined;

/** CPU time (user + system) `pid` has used so far, in seconds, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  clockTicks ??= Number(await sh("getconf CLK_TCK")) || 100;
  const line = await cat(`/proc/${pid}/stat`);
  if (line === "") throw new Error(`no /proc/${pid}/stat: the process is gone`);
  // comm may hold spaces: the fields after it start two characters past the last ")".
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime: fields 14 and 15
}

async function sh(command: string): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", command], stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * Context switches (voluntary and not) of all of `pid`'s threads so far,
 * from /proc/<pid>/task/\*\/status: each wake-up of a sleeping thread is one,
 * so a process that nothing wakes does not add any.
 */
export async function contextSwitches(pid: number): Promise<number> {
  const text = await cat(`/proc/${pid}/task/*/status`);
  const counts = [...text.matchAll(/^(?:nonvoluntary|voluntary)_ctxt_switches:\s+(\d+)$/gm)];
  if (counts.length === 0) throw new Error(`no /proc/${pid}/task: the process is gone`);
  return counts.reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The fd numbers `pid` has open, ascending, from /proc/<pid>/fd. */
export async function openFdsOf(pid: number): Promise<number[]> {
  const fds = (await sh(`ls /proc/${pid}/fd`)).split("\n").filter((l) => l !== "").map(Number);
  if (fds.length === 0) throw new Error(`no /proc/${pid}/fd: the process is gone`);
  return fds.sort((a, b) => a - b);
}

/**
 * The RLIMIT_NOFILE under which `pid` has exactly `spare` fd numbers free
 * (the kernel hands out the lowest free number, below the limit).
 */
export async function fdLimitLeaving(pid: number, spare: number): Promise<number> {
  const open = new Set(await openFdsOf(pid));
  let limit = 0;
  for (let free = 0; free < spare; limit++) if (!open.has(limit)) free++;
  return limit;
}

/** Sets the soft RLIMIT_NOFILE of a running process (util-linux `prlimit`; the hard limit is kept). */
export async function lowerFdLimit(pid: number, soft: number): Promise<void> {
  const out = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${soft}:`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`prlimit failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
export const TCP_STATE = { ESTABLISHED: 1, FIN_WAIT2: 5, CLOSE_WAIT: 8 } as const;

/** One IPv4 TCP socket as /proc/net/tcp shows it. */
export interface TcpSocketInfo {
  localPort: number;
  remotePort: number;
  /** A {@linkcode TCP_STATE} number. */
  state: number;
  /** Bytes sent but not yet acknowledged by the peer (or not yet sent). */
  txQueue: number;
  /** Bytes received that the owner has not read. */
  rxQueue: number;
}

/** Every IPv4 TCP socket, from one read of /proc/net/tcp. */
export async function tcpSockets(): Promise<TcpSocketInfo[]> {
  const sockets: TcpSocketInfo[] = [];
  for (const line of (await cat("/proc/net/tcp")).split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...; addresses are HEXIP:HEXPORT
    const [, local, remote, state, queues] = line.trim().split(/\s+/);
    if (local === undefined || queues === undefined) continue;
    sockets.push({
      localPort: parseInt(local.split(":")[1], 16),
      remotePort: parseInt(remote.split(":")[1], 16),
      state: parseInt(state, 16),
      txQueue: parseInt(queues.split(":")[0], 16),
      rxQueue: parseInt(queues.split(":")[1], 16),
    });
  }
  return sockets;
}

/** The IPv4 TCP socket bound to `localPort` and connected to `remotePort`, or null. */
export async function tcpSocket(localPort: number, remotePort: number): Promise<TcpSocketInfo | null> {
  return (await tcpSockets()).find((s) => s.localPort === localPort && s.remotePort === remotePort) ?? null;
}

/** Polls `check` every 10 ms until it holds; fails with `what` after `ms`. */
export async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(10)) {
    if (await check()) return;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
