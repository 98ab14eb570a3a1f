/**
 * Whether a reactor lets the process exit: each test runs a small script in
 * a child `deno run` and checks that it exits by itself, with code 0 and its
 * output complete, or (the controls) that it is still running at a deadline,
 * when it is killed by PID. The controls prove the exit checks can fail.
 * Also here, because their failures were exits or hangs: a refused timer
 * leaves no phantom, a foreign timer cannot be cleared, and the top-level
 * `await using` trap says what happened.
 *
 * @module
 */

import { assert, assertEquals, assertGreaterOrEqual, assertMatch } from "@std/assert";
import { type ChildResult, runScript } from "./_reactor_helpers.ts";

const EXIT_DEADLINE_MS = 8000; // generous: a cold `deno run` compiles the modules first
const STAY_ALIVE_MS = 1500;

const PRELUDE = `
import { Reactor } from "$REPO/reactor/mod.ts";
import { close, EFD_NONBLOCK, eventfd, eventfd_read, eventfd_write } from "$REPO/ffi/mod.ts";
`;

function assertExited(r: ChildResult, marker: string): void {
  assert(!r.timedOut, `still running after ${EXIT_DEADLINE_MS} ms (killed). stderr:\n${r.stderr}`);
  assertEquals(r.code, 0, `exit code ${r.code}. stderr:\n${r.stderr}`);
  assert(r.stdout.includes(marker), `stdout lacks "${marker}": ${r.stdout}`);
}

function assertStillRunning(r: ChildResult): void {
  assert(r.timedOut, `exited by itself (code ${r.code}) though it should have stayed. stderr:\n${r.stderr}`);
}

for (const strategy of ["nonblocking", "worker"]) {
  Deno.test(`reactor exit[${strategy}]: after register + deregister the process exits by itself`, async () => {
    const r = await runScript(
      `${PRELUDE}
const reactor = new Reactor({ strategy: "${strategy}", busyWaitMicros: 0 });
const efd = eventfd(0, EFD_NONBLOCK);
const reg = reactor.register(efd, { readable: true });
setTimeout(() => eventfd_write(efd, 1), 20);
await reg.readable(); // the loop has parked and been woken: it really ran
eventfd_read(efd);
reg.deregister();
close(efd);
console.log("deregistered; reactor left open");
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "deregistered");
  });

  Deno.test(`reactor exit[${strategy}]: a timer keeps the process alive until it fires, then it exits`, async () => {
    const r = await runScript(
      `${PRELUDE}
const reactor = new Reactor({ strategy: "${strategy}" });
const t0 = performance.now();
reactor.setTimer(300, () => console.log("fired after", Math.round(performance.now() - t0), "ms"));
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "fired after");
    const ms = Number(/fired after (\d+) ms/.exec(r.stdout)?.[1]);
    assertGreaterOrEqual(ms, 299, "the timer fired early");
  });

  Deno.test(`reactor exit[${strategy}]: a cleared timer lets the process exit at once`, async () => {
    const r = await runScript(
      `${PRELUDE}
const reactor = new Reactor({ strategy: "${strategy}" });
const timer = reactor.setTimer(60_000, () => console.log("must not fire"));
setTimeout(() => { reactor.clearTimer(timer); console.log("cleared"); }, 50);
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "cleared");
    assert(!r.stdout.includes("must not fire"));
  });

  // Regression: the refused timer stayed in the heap; when the next timer
  // fired, rearming for it threw from the loop (an uncaught error, exit 1).
  Deno.test(`reactor exit[${strategy}]: a delay refused for its range leaves no phantom timer`, async () => {
    const r = await runScript(
      `${PRELUDE}
const reactor = new Reactor({ strategy: "${strategy}" });
try {
  reactor.setTimer(200 * 86_400_000, () => console.log("phantom fired"));
} catch (err) {
  console.log("refused:", err.name);
}
reactor.setTimer(20, () => console.log("fired"));
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "fired");
    assertMatch(r.stdout, /refused: RangeError/);
  });

  // Regression: clearing b's timer through a was accepted. a went idle with its
  // own timer pending (never fired); b kept counting a timer marked done and
  // never let the process exit.
  Deno.test(`reactor exit[${strategy}]: clearTimer with another reactor's timer is refused`, async () => {
    const r = await runScript(
      `${PRELUDE}
const a = new Reactor({ strategy: "${strategy}" });
const b = new Reactor({ strategy: "${strategy}" });
a.setTimer(10, () => console.log("a fired"));
const timerOfB = b.setTimer(50, () => console.log("b fired"));
try {
  a.clearTimer(timerOfB);
} catch (err) {
  console.log("refused:", err.name);
}
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "b fired");
    assertMatch(r.stdout, /refused: TypeError/);
    assertMatch(r.stdout, /a fired/);
  });

  // The `await using` trap: the module body ends, the scope closes the reactor,
  // the handler never runs. The process still exits, and a later use says why.
  Deno.test(`reactor exit[${strategy}]: a top-level \`await using\` reactor says its scope ended`, async () => {
    const r = await runScript(
      `${PRELUDE}
await using reactor = new Reactor({ strategy: "${strategy}" });
const efd = eventfd(0, EFD_NONBLOCK);
reactor.register(efd, { readable: true }, () => console.log("handler ran"));
setTimeout(() => {
  eventfd_write(efd, 1);
  try {
    reactor.register(efd, { readable: true });
  } catch (err) {
    console.log(err.name + ": " + err.message);
  }
  close(efd);
}, 50);
`,
      EXIT_DEADLINE_MS,
    );
    assertExited(r, "BadResource: the reactor is closed: the `await using` scope that owned it ended");
    assert(!r.stdout.includes("handler ran"), "the handler ran after the scope closed the reactor");
  });

  Deno.test(`reactor exit[${strategy}] control: an fd left registered keeps the process alive`, async () => {
    const r = await runScript(
      `${PRELUDE}
const reactor = new Reactor({ strategy: "${strategy}", busyWaitMicros: 0 });
reactor.register(eventfd(0, EFD_NONBLOCK), { readable: true });
console.log("registered");
`,
      STAY_ALIVE_MS,
    );
    assertStillRunning(r);
    assertMatch(r.stdout, /registered/);
  });
}

Deno.test("reactor exit[nonblocking]: unref() lets the process exit with an fd still registered", async () => {
  const r = await runScript(
    `${PRELUDE}
const reactor = new Reactor({ strategy: "nonblocking", busyWaitMicros: 0 });
const efd = eventfd(0, EFD_NONBLOCK);
const reg = reactor.register(efd, { readable: true });
setTimeout(() => eventfd_write(efd, 1), 20);
await reg.readable(); // parked and woken once while ref'd
reg.clearReadable();
eventfd_read(efd);
reactor.unref();
console.log("unref'd with", reactor.size, "registered");
`,
    EXIT_DEADLINE_MS,
  );
  assertExited(r, "unref'd with 1 registered");
});

Deno.test("reactor exit[nonblocking]: unref() while parked lets the process exit", async () => {
  const r = await runScript(
    `${PRELUDE}
const reactor = new Reactor({ strategy: "nonblocking", busyWaitMicros: 0 });
reactor.register(eventfd(0, EFD_NONBLOCK), { readable: true });
// By then the loop sits in its park: unref() must reach the pending op itself.
setTimeout(() => { reactor.unref(); console.log("unref'd while parked:", reactor.stats.parks, "park"); }, 100);
`,
    EXIT_DEADLINE_MS,
  );
  assertExited(r, "unref'd while parked: 1 park");
});

Deno.test("reactor exit[nonblocking]: ref() after unref() keeps the process alive again", async () => {
  const r = await runScript(
    `${PRELUDE}
const reactor = new Reactor({ strategy: "nonblocking", busyWaitMicros: 0 });
reactor.register(eventfd(0, EFD_NONBLOCK), { readable: true });
reactor.unref();
setTimeout(() => { reactor.ref(); console.log("ref'd again"); }, 100);
`,
    STAY_ALIVE_MS,
  );
  assertStillRunning(r);
  assertMatch(r.stdout, /ref'd again/);
});

Deno.test("reactor exit: a reactor that was never used does not hold the process", async () => {
  const r = await runScript(`${PRELUDE}\nnew Reactor();\nconsole.log("made");\n`, EXIT_DEADLINE_MS);
  assertExited(r, "made");
});
