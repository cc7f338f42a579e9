/**
 * Writes errors nobody listens for to stderr, at most once per error code per interval, so that
 * an error is never silently dropped and a storm of them cannot flood the log.
 */
export class RateLimitedReporter {
  readonly #intervalMs: number;
  readonly #write: (line: string) => void;
  /** code → when it was last written and how many were held back since. */
  readonly #seen = new Map<string, { at: number; suppressed: number }>();

  constructor(intervalMs = 1000, write: (line: string) => void = (line) => process.stderr.write(line)) {
    this.#intervalMs = intervalMs;
    this.#write = write;
  }

  /** Reports `err` under `code` unless the same code was written less than an interval ago. */
  report(what: string, code: string, err: unknown): void {
    this.reportWith(what, code, err, this.#write);
  }

  /** {@link RateLimitedReporter.report}, written by `write` instead of the default writer. */
  reportWith(what: string, code: string, err: unknown, write: (line: string) => void): void {
    const now = Date.now();
    const seen = this.#seen.get(code);
    if (seen !== undefined && now - seen.at < this.#intervalMs) {
      seen.suppressed++;
      return;
    }
    const held = seen !== undefined && seen.suppressed > 0 ? ` (${seen.suppressed} more with this code held back)` : '';
    this.#seen.set(code, { at: now, suppressed: 0 });
    const text = err instanceof Error ? err.message : String(err);
    try {
      write(`aio-rdkafka: ${what} [${code}]: ${text}${held}\n`);
    } catch {
      // stderr itself failing is the one thing left to ignore.
    }
  }
}
