/**
 * Loading libc: the errors a user sees when a permission or the library is
 * missing, and the DENO_EPOLL_LIBC override. Each case runs in a child Deno
 * (the library is loaded once per process at import).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";

const MOD = new URL("../ffi/mod.ts", import.meta.url).href;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

// `deno run` on a temp file, not `deno eval`: eval grants every permission.
const CHECK = "console.log(m.getrlimit(m.RLIMIT_NOFILE).soft > 0);";

async function importIn(flags: string[], env: Record<string, string> = {}, body = CHECK): Promise<Outcome> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `const m = await import("${MOD}"); ${body}\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", ...flags, script],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } finally {
    await Deno.remove(script);
  }
}

Deno.test("without --allow-ffi, importing the library fails with an error naming the flag", async () => {
  const { code, stderr } = await importIn(["--no-prompt"]);
  assert(code !== 0, "the import should fail");
  assertStringIncludes(stderr, "run with --allow-ffi");
});

Deno.test("with --allow-ffi alone, the library loads and works (no env or read permission needed)", async () => {
  const { code, stdout, stderr } = await importIn(["--no-prompt", "--allow-ffi"]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim(), "true");
});

Deno.test("DENO_EPOLL_LIBC names the library when --allow-env grants it", async () => {
  const path = "/lib/x86_64-linux-gnu/libc.so.6";
  const ok = await importIn(["--no-prompt", "--allow-ffi", "--allow-env=DENO_EPOLL_LIBC"], {
    DENO_EPOLL_LIBC: path,
  });
  assertEquals(ok.code, 0, ok.stderr);
  const missing = await importIn(["--no-prompt", "--allow-ffi", "--allow-env=DENO_EPOLL_LIBC"], {
    DENO_EPOLL_LIBC: "/nonexistent/libc.so.6",
  });
  assert(missing.code !== 0);
  assertStringIncludes(missing.stderr, "could not load /nonexistent/libc.so.6");
  const relative = await importIn(["--no-prompt", "--allow-ffi", "--allow-env=DENO_EPOLL_LIBC"], {
    DENO_EPOLL_LIBC: "libc.so.6",
  });
  assert(relative.code !== 0);
  assertStringIncludes(relative.stderr, "DENO_EPOLL_LIBC must be an absolute path");
});

Deno.test("DENO_EPOLL_LIBC is ignored (no prompt, no failure) when --allow-env does not grant it", async () => {
  const { code, stderr } = await importIn(["--no-prompt", "--allow-ffi"], {
    DENO_EPOLL_LIBC: "/nonexistent/libc.so.6",
  });
  assertEquals(code, 0, stderr);
});

Deno.test("a scoped --allow-ffi=<libc path> works, errno and its message included", async () => {
  const path = "/lib/x86_64-linux-gnu/libc.so.6";
  // Pointer views need the unscoped flag: errno and strerror are copied by libc instead.
  const body = `const [a] = m.socketpair(m.AF_UNIX, m.SOCK_STREAM | m.SOCK_NONBLOCK);
    console.log(m.read(a, new Uint8Array(4)) === m.WOULD_BLOCK);
    try { m.close(99999); } catch (e) { console.log(e.code, e.message); }`;
  const { code, stdout, stderr } = await importIn(
    ["--no-prompt", `--allow-ffi=${path}`, "--allow-env=DENO_EPOLL_LIBC"],
    { DENO_EPOLL_LIBC: path },
    body,
  );
  assertEquals(code, 0, stderr);
  const [wouldBlock, ebadf] = stdout.trim().split("\n");
  assertEquals(wouldBlock, "true");
  assertStringIncludes(ebadf, "EBADF close: Bad file descriptor");
});
