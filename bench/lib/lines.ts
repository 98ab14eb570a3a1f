/** Line-wise reading of a child's stdout/stderr, so pipes never fill up and block the child. */

const KEEP = 50;

interface Waiter {
  match: (line: string) => boolean;
  resolve: (line: string | null) => void;
}

export class LineSink {
  /** The last lines seen, for error messages. */
  readonly tail: string[] = [];
  readonly done: Promise<void>;
  #waiters: Waiter[] = [];
  #closed = false;

  constructor(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) {
    this.done = this.#pump(stream, onLine);
  }

  /** Resolves with the first (already seen or future) line that matches, or null on EOF/timeout. */
  waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<string | null> {
    const seen = this.tail.find(match);
    if (seen !== undefined || this.#closed) return Promise.resolve(seen ?? null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const waiter: Waiter = { match, resolve: (line) => finish(line) };
      const finish = (line: string | null): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(line);
      };
      this.#waiters.push(waiter);
    });
  }

  #push(line: string, onLine?: (line: string) => void): void {
    onLine?.(line);
    this.tail.push(line);
    if (this.tail.length > KEEP) this.tail.shift();
    for (const w of [...this.#waiters]) if (w.match(line)) w.resolve(line);
  }

  async #pump(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void): Promise<void> {
    let pending = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
          this.#push(pending.slice(0, i), onLine);
          pending = pending.slice(i + 1);
        }
      }
    } catch {
      // The child was killed mid-write: whatever was read is all there is.
    }
    if (pending) this.#push(pending, onLine);
    this.#closed = true;
    for (const w of [...this.#waiters]) w.resolve(null);
  }
}
