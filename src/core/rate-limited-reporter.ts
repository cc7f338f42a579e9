/**
 * Writes errors nobody listens for to stderr, at most once per error code per interval, so that
 * an error is never silently dropped and a storm of them cannot flood the log: the first of a
 * code is written at once; those that follow within the interval are counted, and one line at
 * the interval's end says how many there were and shows the last of them.
 *
 * That line is written by a timer that never keeps the process alive (`unref`); `close()`
 * writes what is still counted at once and clears the timers, and from then on every report
 * is written as it comes.
 */
export class RateLimitedReporter {
  readonly #intervalMs: number;
  readonly #write: (line: string) => void;
  /** code → when a line was last written, and what came since (counted, the last one kept). */
  readonly #seen = new Map<string, Window>();
  #closed = false;

  constructor(intervalMs = 1000, write: (line: string) => void = (line) => process.stderr.write(line)) {
    this.#intervalMs = intervalMs;
    this.#write = write;
  }

  /** Reports `err` under `code`: written now, or counted when the same code was written less than an interval ago. */
  report(what: string, code: string, err: unknown): void {
    this.reportWith(what, code, err, this.#write);
  }

  /** {@link RateLimitedReporter.report}, written by `write` instead of the default writer. */
  reportWith(what: string, code: string, err: unknown, write: (line: string) => void): void {
    const now = Date.now();
    const seen = this.#seen.get(code);
    if (!this.#closed && seen !== undefined && now - seen.at < this.#intervalMs) {
      seen.held = { what, err, write, count: (seen.held?.count ?? 0) + 1 };
      if (seen.timer === undefined) {
        seen.timer = setTimeout(() => this.#flush(code), seen.at + this.#intervalMs - now);
        seen.timer.unref?.();
      }
      return;
    }
    this.#seen.set(code, { at: now, held: undefined, timer: undefined });
    writeLine(write, what, code, err, '');
  }

  /**
   * Writes what is still counted, clears the timers, and writes every later report at once: for
   * a client that closed, whose last errors must not wait for a timer (nor be lost with it).
   */
  close(): void {
    this.#closed = true;
    for (const code of [...this.#seen.keys()]) this.#flush(code);
  }

  /** The end of `code`'s interval: one line for what came within it, if anything did. */
  #flush(code: string): void {
    const seen = this.#seen.get(code);
    if (seen === undefined) return;
    if (seen.timer !== undefined) clearTimeout(seen.timer);
    seen.timer = undefined;
    const held = seen.held;
    if (held === undefined) return;
    // The summary line counts as this code's line: the next interval starts now.
    this.#seen.set(code, { at: Date.now(), held: undefined, timer: undefined });
    const more = held.count === 1 ? '1 more with this code' : `${held.count} more with this code`;
    writeLine(held.write, held.what, code, held.err, ` (${more} within ${this.#intervalMs} ms of the line before; this is the last)`);
  }
}

/** One code's interval: when its last line was written, and what came since. */
interface Window {
  at: number;
  held: { what: string; err: unknown; write: (line: string) => void; count: number } | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** `aio-rdkafka: <what> [<code>]: <message><suffix>`; without a message when `err` is undefined. */
function writeLine(write: (line: string) => void, what: string, code: string, err: unknown, suffix: string): void {
  const text = err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`;
  try {
    write(`aio-rdkafka: ${what} [${code}]${text}${suffix}\n`);
  } catch {
    // stderr itself failing is the one thing left to ignore.
  }
}
