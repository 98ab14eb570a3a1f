/**
 * {@linkcode TimerWheel}: deadlines by the million (connection deadlines,
 * idle timeouts, heartbeats) as a hashed timing wheel, as Netty's
 * `HashedWheelTimer` and Kafka's purgatory keep them.
 *
 * Time is cut into ticks of `tickMs`; a deadline goes into slot
 * `tick % slots`, found again when the wheel's cursor passes that slot
 * (entries more than one revolution out wait for their round). `add` and
 * `cancel` are O(1) and make no syscall; cancelled entries are dropped when
 * their slot is next swept. The wheel sleeps on one timer of its driver
 * (the reactor's timerfd), armed for the next slot that holds anything, so a
 * wheel with nothing due costs no wake-ups, and an empty one no timer at all.
 *
 * Deadlines are `performance.now()` milliseconds; an entry fires at the first
 * sweep at or after its deadline: at most one tick late, never early.
 *
 * @module
 */

/** What a wheel entry calls when its deadline passes: an object, so a million entries need no closures. */
export interface Expirable {
  /** Called once, at or after the deadline (at most one tick late). */
  expire(): void;
}

/** How a wheel gets woken: one timer at a time, cancellable (the reactor's `setTimer`/`clearTimer`). */
export interface WheelDriver {
  /** Calls `fire` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, fire: () => void): () => void;
  /** Where exceptions from `expire()` go. */
  reportError(err: unknown): void;
}

/** Options for {@linkcode TimerWheel}. */
export interface TimerWheelOptions {
  /** The resolution in ms (default 2): deadlines fire up to this late. */
  tickMs?: number;
  /** Slots per revolution, a power of two (default 4096: 8.2 s at 2 ms). */
  slots?: number;
}

/** A scheduled wheel entry; pass it to {@linkcode TimerWheel.cancel}. */
export class WheelEntry {
  /** The absolute tick it fires at. */
  readonly tick: number;
  #target: Expirable | null;

  /** Made by `TimerWheel.add`. */
  constructor(tick: number, target: Expirable) {
    this.tick = tick;
    this.#target = target;
  }

  /** True until it fired or was cancelled. */
  get pending(): boolean {
    return this.#target !== null;
  }

  /** Takes the target, leaving the entry spent: null if it already was. */
  take(): Expirable | null {
    const target = this.#target;
    this.#target = null;
    return target;
  }
}

/** A hashed timing wheel; see the module doc. */
export class TimerWheel {
  readonly #tickMs: number;
  readonly #mask: number;
  readonly #slots: WheelEntry[][];
  readonly #driver: WheelDriver;
  readonly #due: WheelEntry[] = [];
  #cursor: number; // every tick up to this one has been swept
  #size = 0;
  #armedTick = Infinity;
  #disarm: (() => void) | null = null;
  #closed = false;

  /** A wheel woken through `driver`. */
  constructor(driver: WheelDriver, options: TimerWheelOptions = {}) {
    const tickMs = options.tickMs ?? 2;
    const slots = options.slots ?? 4096;
    if (typeof tickMs !== "number" || !(tickMs >= 0.1 && tickMs <= 60_000)) {
      throw new RangeError(`tickMs must be a number in [0.1, 60000], got ${tickMs}`);
    }
    if (!Number.isInteger(slots) || slots < 2 || slots > 2 ** 20 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`slots must be a power of two in [2, 2^20], got ${slots}`);
    }
    this.#driver = driver;
    this.#tickMs = tickMs;
    this.#mask = slots - 1;
    this.#slots = Array.from({ length: slots }, () => []);
    this.#cursor = this.#tickOf(performance.now()) - 1;
  }

  /** Entries scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.#size;
  }

  /** The resolution in ms. */
  get tickMs(): number {
    return this.#tickMs;
  }

  #tickOf(ms: number): number {
    return Math.floor(ms / this.#tickMs);
  }

  /**
   * Calls `target.expire()` at or after `deadline` (`performance.now()` ms;
   * a past one fires at the next tick). O(1), no syscall unless the wheel
   * must wake earlier than it planned.
   */
  add(deadline: number, target: Expirable): WheelEntry {
    if (this.#closed) throw new Deno.errors.BadResource("the timer wheel is closed");
    if (typeof deadline !== "number" || Number.isNaN(deadline)) {
      throw new TypeError(`deadline must be a number, got ${deadline}`);
    }
    const tick = Math.max(Math.ceil(deadline / this.#tickMs), this.#cursor + 1);
    const entry = new WheelEntry(tick, target);
    this.#slots[tick & this.#mask].push(entry);
    this.#size++;
    if (tick < this.#armedTick) this.#arm(tick);
    return entry;
  }

  /** Cancels `entry` (O(1)); harmless if it already fired or was cancelled. */
  cancel(entry: WheelEntry): void {
    if (!(entry instanceof WheelEntry)) throw new TypeError("cancel() takes a WheelEntry from add()");
    if (entry.take() !== null) this.#size--;
  }

  // Sweeps every slot from the cursor up to now (at most one revolution:
  // that visits every slot once), then fires what was due, in tick order.
  #advance(): void {
    this.#disarm = null;
    this.#armedTick = Infinity;
    const now = this.#tickOf(performance.now());
    const last = Math.min(now, this.#cursor + this.#slots.length);
    const due = this.#due;
    for (let t = this.#cursor + 1; t <= last; t++) this.#sweep(this.#slots[t & this.#mask], now, due);
    this.#cursor = Math.max(this.#cursor, now);
    if (due.length > 1) due.sort((a, b) => a.tick - b.tick);
    for (let i = 0; i < due.length; i++) {
      const target = due[i].take();
      if (target === null) continue; // cancelled by an earlier callback of this batch
      this.#size--;
      try {
        target.expire();
      } catch (err) {
        this.#driver.reportError(err);
      }
    }
    due.length = 0;
    this.#rearm();
  }

  // Moves the slot's due entries to `due`, drops spent ones, keeps the rest.
  #sweep(slot: WheelEntry[], now: number, due: WheelEntry[]): void {
    let keep = 0;
    for (let i = 0; i < slot.length; i++) {
      const entry = slot[i];
      if (!entry.pending) continue;
      if (entry.tick <= now) due.push(entry);
      else slot[keep++] = entry;
    }
    slot.length = keep;
  }

  // Wakes at the next slot that holds anything (it may hold only later
  // rounds: then that wake finds nothing due and looks further).
  #rearm(): void {
    if (this.#closed || this.#size === 0 || this.#disarm !== null) return;
    for (let t = this.#cursor + 1; t <= this.#cursor + this.#slots.length; t++) {
      if (this.#slots[t & this.#mask].length > 0) {
        this.#arm(t);
        return;
      }
    }
  }

  #arm(tick: number): void {
    this.#disarm?.();
    this.#armedTick = tick;
    // At most one revolution ahead: a deadline days out (past what a timer
    // may be armed for) is found by the sweeps, and an early wake costs one.
    const delay = Math.min(
      Math.max(tick * this.#tickMs - performance.now(), 0),
      this.#slots.length * this.#tickMs,
    );
    this.#disarm = this.#driver.schedule(delay, () => this.#advance());
  }

  /** Cancels every entry and the wheel's timer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm?.();
    this.#disarm = null;
    for (const slot of this.#slots) {
      for (const entry of slot) entry.take();
      slot.length = 0;
    }
    this.#size = 0;
  }
}
