/**
 * Loading libc: the errors a user sees when a permission or the library is
 * missing, the DENO_EPOLL_LIBC override, scoped grants, and Deno's
 * permission prompt answered at a terminal. Each case runs in a child Deno
 * (the library is loaded once per process at import).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { libcCandidates } from "../ffi/mod.ts";

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

Deno.test("a scoped --allow-ffi=<libc path> alone works: the usual glibc locations are tried", async () => {
  const path = libcCandidates().find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  assert(path !== undefined, `no glibc at ${libcCandidates().join(", ")}`);
  const { code, stdout, stderr } = await importIn(["--no-prompt", `--allow-ffi=${path}`]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim(), "true");
});

// ------------------------------------------------------------ the --allow-ffi prompt at a terminal

// Deno prompts only when stdin and stderr are a terminal: util-linux's
// `script` gives the child one. Absent `script`, the tests are skipped.
const HAS_SCRIPT = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

const PROMPT_WAIT_MS = 20_000;

/**
 * Runs the import under a pseudo-terminal without --allow-ffi, answers Deno's
 * first permission prompt with `answer`, and returns everything the terminal
 * showed. The child is killed (by its PID) if it hangs.
 */
async function answerPrompt(answer: string): Promise<{ code: number; screen: string }> {
  const dir = await Deno.makeTempDir(); // a cwd without any libc.so.6 in it, as a user's project
  const script = `${dir}/main.ts`;
  await Deno.writeTextFile(
    script,
    `const m = await import("${MOD}"); ${CHECK.replace("console.log(", 'console.log("LOADED", ')}\n`,
  );
  const command = `'${Deno.execPath()}' run --no-config '${script}'`;
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: dir,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), PROMPT_WAIT_MS);
  const writer = child.stdin.getWriter();
  const answerBytes = new TextEncoder().encode(`${answer}\r`);
  let screen = "";
  // Deno discards what was typed before it reads the answer, so the answer is
  // repeated until the prompt reports it (Granted / Denied).
  let repeat: ReturnType<typeof setInterval> | undefined;
  try {
    const text = new TextDecoder();
    for await (const chunk of child.stdout) {
      screen += text.decode(chunk, { stream: true });
      const settled = /Granted|Denied/.test(screen);
      if (settled && repeat !== undefined) {
        clearInterval(repeat);
        repeat = undefined;
      } else if (!settled && repeat === undefined && screen.includes("Allow?")) {
        repeat = setInterval(() => writer.write(answerBytes).catch(() => {}), 250);
      }
    }
    await child.stderr.cancel();
    const { code } = await child.status;
    return { code, screen };
  } finally {
    clearInterval(repeat);
    clearTimeout(killer);
    await writer.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

for (const answer of ["y", "A"]) {
  Deno.test({
    name: `answering "${answer}" at the --allow-ffi prompt loads libc${
      HAS_SCRIPT ? "" : " (ignored: no script(1))"
    }`,
    ignore: !HAS_SCRIPT,
    async fn(): Promise<void> {
      const { code, screen } = await answerPrompt(answer);
      assertStringIncludes(screen, "ffi access", "Deno did not prompt");
      assertEquals(code, 0, screen);
      assertStringIncludes(screen, "LOADED true");
    },
  });
}

Deno.test({
  name: `answering "n" at the --allow-ffi prompt fails once, naming the flag${
    HAS_SCRIPT ? "" : " (ignored: no script(1))"
  }`,
  ignore: !HAS_SCRIPT,
  async fn(): Promise<void> {
    const { code, screen } = await answerPrompt("n");
    assert(code !== 0, screen);
    assertStringIncludes(screen, "run with --allow-ffi");
    assertEquals(screen.split("Allow?").length - 1, 1, `prompted more than once:\n${screen}`);
  },
});
